package endpoint

import (
	"net/netip"

	"github.com/loupe-dev/loupe/api/flow"
)

// Snapshot is an immutable view of the endpoints for the collector's hot
// path: flows share its *flow.Endpoint values and address strings instead of
// allocating their own, so nothing in it may be modified once published.
type Snapshot struct {
	byID    map[uint16]*flow.Endpoint
	byIP    map[netip.Addr]*flow.Endpoint
	ipText  map[netip.Addr]string
	ifnames map[uint32]string
}

// publishLocked rebuilds the snapshot from m.eps.
func (m *Manager) publishLocked() {
	s := &Snapshot{
		byID:    make(map[uint16]*flow.Endpoint, len(m.eps)),
		byIP:    make(map[netip.Addr]*flow.Endpoint, 2*len(m.eps)),
		ipText:  make(map[netip.Addr]string, 2*len(m.eps)),
		ifnames: make(map[uint32]string, len(m.eps)),
	}
	for _, ep := range m.eps {
		fe := &flow.Endpoint{
			Id:        uint32(ep.ID),
			Identity:  ep.Identity,
			Namespace: ep.Namespace,
			Workload:  ep.Workload,
			Labels:    identityLabels(ep),
		}
		s.byID[ep.ID] = fe
		for _, a := range ep.Addresses {
			s.byIP[a] = fe
			s.ipText[a] = a.String()
		}
		s.ifnames[uint32(ep.Ifindex)] = ep.Interface
	}
	m.snap.Store(s)
}

// identityLabels are the labels flows show: the identity's, which were
// validated when the endpoint was created.
func identityLabels(ep *Endpoint) []string {
	ls, _ := ep.spec().IdentityLabels()
	return ls
}

// Snapshot returns the current view.
func (m *Manager) Snapshot() *Snapshot { return m.snap.Load() }

// ByID returns the local endpoint with that id.
func (s *Snapshot) ByID(id uint16) (*flow.Endpoint, bool) {
	e, ok := s.byID[id]
	return e, ok
}

// ByIP returns the local endpoint owning an address.
func (s *Snapshot) ByIP(a netip.Addr) (*flow.Endpoint, bool) {
	e, ok := s.byIP[a]
	return e, ok
}

// IPText returns the text of an address, shared for endpoint addresses.
func (s *Snapshot) IPText(a netip.Addr) string {
	if t, ok := s.ipText[a]; ok {
		return t
	}
	return a.String()
}

// InterfaceName returns the name of an endpoint's host-side interface.
func (s *Snapshot) InterfaceName(ifindex uint32) string { return s.ifnames[ifindex] }
