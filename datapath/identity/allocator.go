// Package identity gives every distinct label set one numeric security
// identity. Allocations are persisted so they survive agent restarts, and
// released when no endpoint uses them any more.
package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/statefile"
)

// Reserved identities, as in Cilium.
const (
	Host  uint32 = 1
	World uint32 = 2

	// MinLocal and MaxLocal bound the identities allocated to label sets.
	MinLocal uint32 = 256
	MaxLocal uint32 = 65535
)

// ErrExhausted means every identity in [MinLocal, MaxLocal] is in use.
var ErrExhausted = errors.New("identities exhausted")

var reserved = map[uint32]labels.Set{
	Host:  {"reserved:host"},
	World: {"reserved:world"},
}

// Identity is one allocation.
type Identity struct {
	ID     uint32     `json:"id"`
	Labels labels.Set `json:"labels"`
	Refs   int        `json:"-"` // rebuilt from endpoints at start
}

// Allocator hands out identities and persists them in a JSON file.
type Allocator struct {
	path string

	mu    sync.RWMutex
	dirty bool // allocations changed since the last Flush
	byKey map[string]*Identity
	byID  map[uint32]*Identity
	next  uint32
}

// NewAllocator reads the allocations saved at path, if any.
func NewAllocator(path string) (*Allocator, error) {
	a := &Allocator{path: path, byKey: map[string]*Identity{}, byID: map[uint32]*Identity{}, next: MinLocal}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	var saved []*Identity
	if err := json.Unmarshal(data, &saved); err != nil {
		return nil, fmt.Errorf("parse identities %s: %w", path, err)
	}
	for _, id := range saved {
		a.byKey[id.Labels.String()] = id
		a.byID[id.ID] = id
		a.next = max(a.next, id.ID+1)
	}
	return a, nil
}

// Acquire returns the identity of a label set, allocating one if needed, and
// counts one more user of it. New allocations reach the file with Flush:
// callers acquire many at once (a policy revision with 10k CIDRs) and save
// once.
func (a *Allocator) Acquire(s labels.Set) (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.byKey[s.String()]; ok {
		id.Refs++
		return id.ID, nil
	}
	n, err := a.freeIDLocked()
	if err != nil {
		return 0, err
	}
	id := &Identity{ID: n, Labels: slices.Clone(s), Refs: 1}
	a.byKey[s.String()] = id
	a.byID[n] = id
	a.dirty = true
	return n, nil
}

// Release drops one user of an identity; the last one frees it.
func (a *Allocator) Release(n uint32) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, ok := a.byID[n]
	if !ok {
		return nil
	}
	if id.Refs--; id.Refs <= 0 {
		delete(a.byID, n)
		delete(a.byKey, id.Labels.String())
		a.dirty = true
	}
	return nil
}

// Labels returns the labels of an identity, reserved ones included.
func (a *Allocator) Labels(n uint32) (labels.Set, bool) {
	if s, ok := reserved[n]; ok {
		return s, true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	id, ok := a.byID[n]
	if !ok {
		return nil, false
	}
	return id.Labels, true
}

// List returns reserved and allocated identities, by number.
func (a *Allocator) List() []Identity {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Identity, 0, len(reserved)+len(a.byID))
	for n, s := range reserved {
		out = append(out, Identity{ID: n, Labels: s})
	}
	for _, id := range a.byID {
		out = append(out, *id)
	}
	slices.SortFunc(out, func(x, y Identity) int { return int(x.ID) - int(y.ID) })
	return out
}

// Prune frees identities nobody acquired since the allocator was created:
// after a restart, endpoints that did not come back release theirs.
func (a *Allocator) Prune() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for n, id := range a.byID {
		if id.Refs <= 0 {
			delete(a.byID, n)
			delete(a.byKey, id.Labels.String())
		}
	}
	return a.saveLocked()
}

// IsReserved reports whether n is a reserved identity.
func IsReserved(n uint32) bool { _, ok := reserved[n]; return ok }

func (a *Allocator) freeIDLocked() (uint32, error) {
	for range MaxLocal - MinLocal + 1 {
		n := a.next
		if a.next++; a.next > MaxLocal {
			a.next = MinLocal
		}
		if _, used := a.byID[n]; !used {
			return n, nil
		}
	}
	return 0, ErrExhausted
}

// Flush saves the allocations if they changed. Callers flush before they
// report a change as done, so a restart finds every identity in use.
func (a *Allocator) Flush() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dirty {
		return nil
	}
	return a.saveLocked()
}

// saveLocked writes the allocations.
func (a *Allocator) saveLocked() error {
	ids := make([]*Identity, 0, len(a.byID))
	for _, id := range a.byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y *Identity) int { return int(x.ID) - int(y.ID) })
	data, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		return fmt.Errorf("encode identities: %w", err)
	}
	if err := statefile.Write(a.path, data); err != nil {
		return err
	}
	a.dirty = false
	return nil
}
