package peer

import (
	"slices"
	"strings"
	"time"

	peerpb "github.com/loupe-dev/loupe/api/peer"
)

// Server implements the Peer API from a registry directory.
type Server struct {
	peerpb.UnimplementedPeerServer
	dir      string
	self     Entry
	interval time.Duration
}

// DefaultInterval is how often Notify reads the registry for changes.
const DefaultInterval = time.Second

// NewServer serves the registry in dir (none when empty), always including
// self: an agent without a registry still announces itself.
func NewServer(dir string, self Entry, interval time.Duration) *Server {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Server{dir: dir, self: self, interval: interval}
}

// Notify sends PEER_ADDED for every node now in the registry, then the
// changes it sees every interval, until the client goes away. Each stream
// reads the directory itself: there is no shared state to bound.
func (s *Server) Notify(_ *peerpb.NotifyRequest, stream peerpb.Peer_NotifyServer) error {
	ctx := stream.Context()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	known := map[string]Entry{}
	for {
		cur, err := s.snapshot()
		if err == nil {
			for _, n := range Diff(known, cur) {
				if err := stream.Send(n); err != nil {
					return err
				}
			}
			known = cur
		}
		// A registry that cannot be read now keeps the last known nodes.
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Server) snapshot() (map[string]Entry, error) {
	cur := map[string]Entry{}
	if s.dir != "" {
		var err error
		if cur, err = Read(s.dir); err != nil {
			return nil, err
		}
	}
	if s.self.Name != "" {
		cur[s.self.Name] = s.self
	}
	return cur, nil
}

// Diff returns the notifications that turn before into after, by node name.
func Diff(before, after map[string]Entry) []*peerpb.ChangeNotification {
	var out []*peerpb.ChangeNotification
	for name, e := range after {
		old, ok := before[name]
		switch {
		case !ok:
			out = append(out, notification(e, peerpb.ChangeNotificationType_PEER_ADDED))
		case old != e:
			out = append(out, notification(e, peerpb.ChangeNotificationType_PEER_UPDATED))
		}
	}
	for name, e := range before {
		if _, ok := after[name]; !ok {
			out = append(out, notification(e, peerpb.ChangeNotificationType_PEER_DELETED))
		}
	}
	slices.SortFunc(out, func(a, b *peerpb.ChangeNotification) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

func notification(e Entry, typ peerpb.ChangeNotificationType) *peerpb.ChangeNotification {
	return &peerpb.ChangeNotification{Name: e.Name, Address: e.Address, Type: typ, TlsServerName: e.TLSServerName}
}
