package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultStateDir is where labs are recorded unless told otherwise.
const DefaultStateDir = "/var/run/loupe/lab"

// Phases of a lab in its state file.
const (
	PhaseCreating = "creating" // up is (or was, if it died) creating it
	PhaseUp       = "up"
)

// State is what a state file records about one lab: the validated topology,
// so that every command sees the same names and addresses, and what up has
// done so far, so that down can undo it even after a crash half-way.
type State struct {
	Topology
	Phase   string    `json:"phase"`
	Created time.Time `json:"created"`
	// Agent is the agent address the lab registers with; empty if none.
	Agent string `json:"agent,omitempty"`
	// Registered lists the workload IDs CreateEndpoint was called for.
	Registered []string `json:"registered,omitempty"`
	// Servers maps workload IDs to the pid of their `lab serve` process.
	Servers map[string]int `json:"servers,omitempty"`
}

// The layout of a state directory:
//
//	<dir>/lock                      flock held by up and down
//	<dir>/<lab>/state.json          the State, replaced atomically
//	<dir>/<lab>/<namespace>.<name>.log   output of the workload's servers
const (
	lockFile  = "lock"
	stateFile = "state.json"
)

func (m *Manager) labDir(lab string) string { return filepath.Join(m.StateDir, lab) }

func (m *Manager) logPath(lab string, w *Workload) string {
	return filepath.Join(m.labDir(lab), w.Namespace+"."+w.Name+".log")
}

// lock serialises up and down across processes; status, exec and traffic
// only read state files, which are replaced atomically.
func (m *Manager) lock() (unlock func(), err error) {
	if err := os.MkdirAll(m.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(m.StateDir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state dir: %w", err)
	}
	return func() { f.Close() }, nil
}

func (m *Manager) saveState(st *State) error {
	dir := m.labDir(st.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create lab dir: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// LoadState reads one lab's state; ErrNotFound if there is none.
func (m *Manager) LoadState(lab string) (*State, error) {
	if !labNameRe.MatchString(lab) {
		return nil, fmt.Errorf("%w: %q is not a lab name", ErrNotFound, lab)
	}
	path := filepath.Join(m.labDir(lab), stateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no lab %q is up (nothing in %s)", ErrNotFound, lab, m.StateDir)
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decode state %s: %w", path, err)
	}
	return &st, nil
}

// Labs returns the state of every recorded lab, sorted by name.
func (m *Manager) Labs() ([]*State, error) {
	entries, err := os.ReadDir(m.StateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list labs: %w", err)
	}
	var out []*State
	for _, e := range entries {
		if !e.IsDir() || !labNameRe.MatchString(e.Name()) {
			continue
		}
		st, err := m.LoadState(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
