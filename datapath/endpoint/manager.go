package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"

	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/datapath/statefile"
)

// MaxEndpoints bounds the endpoints of one node (the endpoints map's size).
const MaxEndpoints = 4095

var (
	// ErrNotFound means no endpoint has that namespace and workload.
	ErrNotFound = errors.New("endpoint not found")
	// ErrInvalid wraps errors in what the caller asked for.
	ErrInvalid = errors.New("invalid endpoint")
)

// Programs are the loaded tc programs, one per hook.
type Programs struct {
	FromEndpoint *ebpf.Program // host-side ingress
	ToEndpoint   *ebpf.Program // host-side egress
}

// Manager owns the node's endpoints. All changes go through it, under one
// lock; readers use the published snapshot without locking.
type Manager struct {
	log       *slog.Logger
	statePath string
	ids       *identity.Allocator
	epMap     *maps.Endpoints
	ipcache   *maps.IPCache
	attacher  *loader.Attacher
	progs     Programs

	mu   sync.Mutex
	eps  map[string]*Endpoint
	snap atomic.Pointer[Snapshot]
}

// Config wires a manager.
type Config struct {
	StateDir string
	Log      *slog.Logger
	IDs      *identity.Allocator
	Objects  *loader.LoupeObjects
	Attacher *loader.Attacher
}

// NewManager returns a manager with no endpoints; Restore re-adopts saved ones.
func NewManager(c Config) *Manager {
	m := &Manager{
		log:       c.Log,
		statePath: filepath.Join(c.StateDir, "endpoints.json"),
		ids:       c.IDs,
		epMap:     maps.NewEndpoints(c.Objects.Endpoints),
		ipcache:   maps.NewIPCache(c.Objects.Ipcache),
		attacher:  c.Attacher,
		progs:     Programs{FromEndpoint: c.Objects.FromEndpoint, ToEndpoint: c.Objects.ToEndpoint},
		eps:       map[string]*Endpoint{},
	}
	m.publishLocked()
	return m
}

// Restore re-adopts the endpoints a previous agent saved: it swaps the new
// programs into their pinned links (never attaching twice), re-writes their
// map entries and drops those whose interface is gone. Host addresses are
// (re)registered as the host identity.
func (m *Manager) Restore() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.syncHostAddresses(); err != nil {
		return err
	}
	data, err := os.ReadFile(m.statePath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read endpoint state: %w", err)
	}
	var saved []*Endpoint
	if len(data) > 0 {
		if err := json.Unmarshal(data, &saved); err != nil {
			return fmt.Errorf("parse endpoint state %s: %w", m.statePath, err)
		}
	}
	for _, ep := range saved {
		l, err := netlink.LinkByName(ep.Interface)
		if err != nil || l.Attrs().Index != ep.Ifindex {
			m.log.Info("endpoint interface gone, dropping endpoint", "endpoint", Key(ep.Namespace, ep.Workload), "interface", ep.Interface)
			m.clearDatapath(ep)
			continue
		}
		if err := m.applyLocked(ep, ep.spec()); err != nil {
			return fmt.Errorf("restore endpoint %s: %w", Key(ep.Namespace, ep.Workload), err)
		}
		m.eps[Key(ep.Namespace, ep.Workload)] = ep
	}
	if err := m.ids.Prune(); err != nil {
		return err
	}
	m.publishLocked()
	return m.saveLocked()
}

// Create registers an endpoint. Creating one that exists with the same spec
// returns it unchanged; with a different spec, the old one is replaced.
func (m *Manager) Create(s Spec) (Endpoint, error) {
	if err := s.Validate(); err != nil {
		return Endpoint{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	l, err := netlink.LinkByName(s.Interface)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: interface %q: %w", ErrInvalid, s.Interface, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := Key(s.Namespace, s.Workload)
	if old, ok := m.eps[key]; ok {
		if old.sameSpec(s) && old.Ifindex == l.Attrs().Index {
			return *old, nil
		}
		if err := m.deleteLocked(old); err != nil {
			return Endpoint{}, err
		}
	}
	id, err := m.freeIDLocked()
	if err != nil {
		return Endpoint{}, err
	}
	ep := &Endpoint{ID: id, Ifindex: l.Attrs().Index}
	if err := m.applyLocked(ep, s); err != nil {
		m.clearDatapath(ep)
		return Endpoint{}, err
	}
	m.eps[key] = ep
	m.publishLocked()
	return *ep, m.saveLocked()
}

// applyLocked acquires the identity and programs the datapath for ep.
func (m *Manager) applyLocked(ep *Endpoint, s Spec) error {
	ls, err := s.IdentityLabels()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	ident, err := m.ids.Acquire(ls)
	if err != nil {
		return fmt.Errorf("allocate identity: %w", err)
	}
	ep.Namespace, ep.Workload, ep.Labels = s.Namespace, s.Workload, s.Labels
	ep.Interface, ep.Addresses, ep.Netns, ep.Identity = s.Interface, s.Addresses, s.Netns, ident

	if err := m.epMap.Set(uint32(ep.Ifindex), ep.ID, ident, ep.Addresses); err != nil {
		return err
	}
	for _, a := range ep.Addresses {
		if err := m.ipcache.Upsert(netip.PrefixFrom(a, a.BitLen()), ident); err != nil {
			return err
		}
	}
	for _, h := range []struct {
		hook loader.Hook
		prog *ebpf.Program
	}{{loader.Ingress, m.progs.FromEndpoint}, {loader.Egress, m.progs.ToEndpoint}} {
		mode, err := m.attacher.Attach(ep.Ifindex, h.hook, h.prog)
		if err != nil {
			return fmt.Errorf("attach to %s: %w", ep.Interface, err)
		}
		ep.AttachMode = string(mode)
	}
	return nil
}

// Delete removes an endpoint and everything the datapath held for it.
func (m *Manager) Delete(namespace, workload string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep, ok := m.eps[Key(namespace, workload)]
	if !ok {
		return fmt.Errorf("%s: %w", Key(namespace, workload), ErrNotFound)
	}
	if err := m.deleteLocked(ep); err != nil {
		return err
	}
	m.publishLocked()
	return m.saveLocked()
}

func (m *Manager) deleteLocked(ep *Endpoint) error {
	delete(m.eps, Key(ep.Namespace, ep.Workload))
	m.clearDatapath(ep)
	return m.ids.Release(ep.Identity)
}

// clearDatapath removes what the kernel holds for ep, best effort: parts may
// already be gone with the interface.
func (m *Manager) clearDatapath(ep *Endpoint) {
	errs := []error{m.attacher.Detach(ep.Ifindex), m.epMap.Delete(uint32(ep.Ifindex))}
	for _, a := range ep.Addresses {
		errs = append(errs, m.ipcache.Delete(netip.PrefixFrom(a, a.BitLen())))
	}
	if err := errors.Join(errs...); err != nil {
		m.log.Debug("clear endpoint datapath", "endpoint", Key(ep.Namespace, ep.Workload), "error", err)
	}
}

// List returns the endpoints, by id.
func (m *Manager) List() []Endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Endpoint, 0, len(m.eps))
	for _, ep := range m.eps {
		out = append(out, *ep)
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return int(a.ID) - int(b.ID) })
	return out
}

func (m *Manager) freeIDLocked() (uint16, error) {
	used := make(map[uint16]bool, len(m.eps))
	for _, ep := range m.eps {
		used[ep.ID] = true
	}
	for id := uint16(1); id <= MaxEndpoints; id++ {
		if !used[id] {
			return id, nil
		}
	}
	return 0, fmt.Errorf("all %d endpoint ids in use", MaxEndpoints)
}

func (m *Manager) saveLocked() error {
	// Identities first: the endpoint state refers to them.
	if err := m.ids.Flush(); err != nil {
		return err
	}
	eps := make([]*Endpoint, 0, len(m.eps))
	for _, ep := range m.eps {
		eps = append(eps, ep)
	}
	slices.SortFunc(eps, func(a, b *Endpoint) int { return int(a.ID) - int(b.ID) })
	data, err := json.MarshalIndent(eps, "", "  ")
	if err != nil {
		return fmt.Errorf("encode endpoint state: %w", err)
	}
	return statefile.Write(m.statePath, data)
}

// syncHostAddresses maps the host's own addresses to the host identity.
func (m *Manager) syncHostAddresses() error {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list host addresses: %w", err)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || ip.IsLinkLocalUnicast() {
			continue
		}
		ip = ip.Unmap()
		if err := m.ipcache.Upsert(netip.PrefixFrom(ip, ip.BitLen()), identity.Host); err != nil {
			return err
		}
	}
	return nil
}
