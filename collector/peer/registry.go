// Package peer is the node registry of a cluster without Kubernetes, and the
// Peer API that serves it to relays.
//
// The registry is a directory that every agent of the cluster shares (a
// local directory when they run on one machine, a shared mount otherwise):
// each agent writes <node>.json when it starts and removes it when it stops
// cleanly. An agent that crashes leaves its file, so relays keep the node and
// report it unavailable rather than gone. Cilium keeps the same list in CRDs
// or its kvstore.
package peer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Entry is one node of the registry.
type Entry struct {
	Name string `json:"name"`
	// Address is where the node serves the Observer API.
	Address string `json:"address"`
	// TLSServerName is the name to verify in the node's certificate; empty
	// when it serves plaintext.
	TLSServerName string `json:"tls_server_name,omitempty"`
}

const (
	// MaxNodes bounds the entries read from a registry directory.
	MaxNodes = 4096
	// maxEntrySize bounds one entry file: a larger one is not an entry.
	maxEntrySize = 4096
	suffix       = ".json"
)

// ErrInvalidName means a node name cannot name a registry file.
var ErrInvalidName = errors.New("invalid node name")

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)

// CheckName reports whether name can be a node's name in the registry.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("%w %q: want letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// Register writes e into dir atomically: readers see the old entry or the
// new one, never a part.
func Register(dir string, e Entry) error {
	if err := CheckName(e.Name); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create registry directory: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode registry entry: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+e.Name+"-*")
	if err != nil {
		return fmt.Errorf("write registry entry: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write registry entry: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write registry entry: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write registry entry: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, e.Name+suffix)); err != nil {
		return fmt.Errorf("write registry entry: %w", err)
	}
	return nil
}

// Deregister removes name's entry from dir; a missing entry is no error.
func Deregister(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove registry entry: %w", err)
	}
	return nil
}

// Read returns the entries of dir by name, at most MaxNodes of them. Files
// that are not valid entries (partial, foreign, too large, named for another
// node) are skipped; a missing directory is an empty registry.
func Read(dir string) (map[string]Entry, error) {
	d, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read registry: %w", err)
	}
	defer d.Close()
	out := map[string]Entry{}
	for len(out) < MaxNodes {
		names, err := d.Readdirnames(256)
		for _, n := range names {
			if len(out) >= MaxNodes {
				break
			}
			if e, ok := readEntry(dir, n); ok {
				out[e.Name] = e
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read registry: %w", err)
		}
	}
	return out, nil
}

func readEntry(dir, file string) (Entry, bool) {
	name, ok := strings.CutSuffix(file, suffix)
	if !ok || CheckName(name) != nil {
		return Entry{}, false
	}
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return Entry{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	if err != nil || len(b) > maxEntrySize {
		return Entry{}, false
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil || e.Name != name || e.Address == "" {
		return Entry{}, false
	}
	return e, true
}
