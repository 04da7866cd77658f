// Package peers keeps the relay connected to every node of the cluster: the
// static ones and those the nodes' Peer API announces. One goroutine owns
// each node's connection: it connects, checks the node's status every
// HealthInterval, and reconnects with backoff when it fails. Readers get
// snapshots, and a channel that closes on the next change.
package peers

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/api/observer"
)

// Node is one node as the relay sees it.
type Node struct {
	Name, Address string
	State         observer.NodeState
	TLS           bool
	// Conn is the node's connection while it is connected.
	Conn *grpc.ClientConn
	// Gen numbers connections: a stream that fails says on which one.
	Gen uint64
	// Status is the node's last status while it is connected.
	Status    *observer.ServerStatusResponse
	LastError string
	// Changed is when State last changed.
	Changed time.Time
}

// Manager is constructed with New, started with Start and stopped with Stop.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	nodes   map[string]*entry
	changed chan struct{} // closed on a change, then replaced
	gen     uint64
	ctx     context.Context
	cancel  context.CancelFunc
	stopped bool
	wg      sync.WaitGroup
}

// entry is a node and the goroutine that owns its connection, if any (a
// gone node has none).
type entry struct {
	node   Node
	runner *runner
}

type runner struct {
	peer   Peer
	cancel context.CancelFunc
	kick   chan struct{} // a stream failed: check now
}

// New validates cfg; it starts nothing.
func New(cfg Config, log *slog.Logger) *Manager {
	def := DefaultConfig()
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = def.HealthInterval
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = def.CallTimeout
	}
	if cfg.MaxNodes <= 0 {
		cfg.MaxNodes = def.MaxNodes
	}
	if cfg.MaxGone <= 0 {
		cfg.MaxGone = def.MaxGone
	}
	if cfg.NewBackoff == nil {
		cfg.NewBackoff = def.NewBackoff
	}
	return &Manager{cfg: cfg, log: log, nodes: map[string]*entry{}, changed: make(chan struct{})}
}

// Start connects to the static nodes and subscribes to the peer services.
func (m *Manager) Start() {
	m.mu.Lock()
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.Unlock()
	for _, p := range m.cfg.Static {
		m.upsert(p)
	}
	for _, s := range m.cfg.Services {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.discover(m.ctx, s)
		}()
	}
}

// Stop ends every goroutine and closes every connection.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	if m.cancel != nil {
		m.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Nodes returns every known node by name, and a channel closed at the next
// change of state.
func (m *Manager) Nodes() ([]Node, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Node, 0, len(m.nodes))
	for _, e := range m.nodes {
		out = append(out, e.node)
	}
	slices.SortFunc(out, func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	return out, m.changed
}

// ReportFailure tells the manager that a stream on connection gen of node
// failed, so that it checks the node now rather than at the next interval.
func (m *Manager) ReportFailure(name string, gen uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.nodes[name]; e != nil && e.runner != nil && e.node.Gen == gen {
		select {
		case e.runner.kick <- struct{}{}:
		default:
		}
	}
}

// upsert starts owning p's connection, or restarts it when p changed.
func (m *Manager) upsert(p Peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || m.ctx == nil {
		return
	}
	e := m.nodes[p.Name]
	if e != nil && e.runner != nil && e.runner.peer == p {
		return
	}
	if e == nil {
		if len(m.nodes) >= m.cfg.MaxNodes && !m.evictGoneLocked() {
			m.log.Warn("too many nodes: ignoring one", "node", p.Name, "max", m.cfg.MaxNodes)
			return
		}
		e = &entry{}
		m.nodes[p.Name] = e
	}
	if e.runner != nil {
		e.runner.cancel()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	r := &runner{peer: p, cancel: cancel, kick: make(chan struct{}, 1)}
	e.runner = r
	e.node = Node{Name: p.Name, Address: p.Address, State: observer.NodeState_NODE_STATE_UNKNOWN, TLS: p.TLSServerName != "", Changed: time.Now()}
	m.notifyLocked()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.run(ctx, r)
	}()
}

// remove marks a node gone and stops its goroutine.
func (m *Manager) remove(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.nodes[name]
	if e == nil || e.runner == nil {
		return
	}
	e.runner.cancel()
	e.runner = nil
	e.node.State, e.node.Conn, e.node.Status, e.node.Changed = observer.NodeState_NODE_GONE, nil, nil, time.Now()
	m.log.Info("node gone", "node", name)
	m.notifyLocked()
	m.trimGoneLocked()
}

// update applies fn to r's node if r still owns it, and reports whether it
// does.
func (m *Manager) update(r *runner, fn func(*Node)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.nodes[r.peer.Name]
	if e == nil || e.runner != r {
		return false
	}
	before := e.node.State
	fn(&e.node)
	if e.node.State != before {
		e.node.Changed = time.Now()
		m.notifyLocked()
	}
	return true
}

func (m *Manager) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// trimGoneLocked forgets the oldest gone nodes beyond MaxGone.
func (m *Manager) trimGoneLocked() {
	var gone []*entry
	for _, e := range m.nodes {
		if e.runner == nil {
			gone = append(gone, e)
		}
	}
	slices.SortFunc(gone, func(a, b *entry) int { return a.node.Changed.Compare(b.node.Changed) })
	for len(gone) > m.cfg.MaxGone {
		delete(m.nodes, gone[0].node.Name)
		gone = gone[1:]
	}
}

// evictGoneLocked forgets the oldest gone node to make room.
func (m *Manager) evictGoneLocked() bool {
	var oldest *entry
	for _, e := range m.nodes {
		if e.runner == nil && (oldest == nil || e.node.Changed.Before(oldest.node.Changed)) {
			oldest = e
		}
	}
	if oldest == nil {
		return false
	}
	delete(m.nodes, oldest.node.Name)
	return true
}
