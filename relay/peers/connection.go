package peers

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/api/observer"
)

// run owns r's connection until ctx ends: connect, watch, and after a
// failure mark the node unavailable and retry with backoff.
func (m *Manager) run(ctx context.Context, r *runner) {
	bo := m.cfg.NewBackoff()
	for {
		err := m.connectAndWatch(ctx, r, bo.Reset)
		if ctx.Err() != nil {
			return
		}
		m.update(r, func(n *Node) {
			if n.State != observer.NodeState_NODE_UNAVAILABLE {
				m.log.Warn("node unavailable", "node", n.Name, "address", n.Address, "error", ErrorText(err))
			}
			n.State, n.Conn, n.Status, n.LastError = observer.NodeState_NODE_UNAVAILABLE, nil, nil, ErrorText(err)
		})
		if bo.Wait(ctx) != nil {
			return
		}
	}
}

// connectAndWatch makes one connection, and returns why it ended. The node
// counts as connected once its status could be read.
func (m *Manager) connectAndWatch(ctx context.Context, r *runner, connected func()) error {
	conn, tls, err := dial(r.peer, m.cfg.TLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	st, err := m.status(ctx, conn, r.peer.Name)
	if err != nil {
		return err
	}
	connected()
	owned := m.update(r, func(n *Node) {
		m.gen++
		n.State, n.Conn, n.Gen, n.TLS, n.Status, n.LastError = observer.NodeState_NODE_CONNECTED, conn, m.gen, tls, st, ""
		m.log.Info("node connected", "node", n.Name, "address", n.Address, "tls", tls)
	})
	if !owned {
		return ctx.Err()
	}
	err = m.watch(ctx, r, conn)
	// Mark the node before its connection closes, so that streams failing
	// with it find it unavailable already.
	if ctx.Err() == nil {
		m.update(r, func(n *Node) {
			n.State, n.Conn, n.Status, n.LastError = observer.NodeState_NODE_UNAVAILABLE, nil, nil, ErrorText(err)
			m.log.Warn("node unavailable", "node", n.Name, "address", n.Address, "error", ErrorText(err))
		})
	}
	return err
}

// watch reads the node's status every HealthInterval, or at once when a
// stream failed, until a read fails or ctx ends.
func (m *Manager) watch(ctx context.Context, r *runner, conn *grpc.ClientConn) error {
	t := time.NewTicker(m.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-r.kick:
		}
		st, err := m.status(ctx, conn, r.peer.Name)
		if err != nil {
			return err
		}
		m.update(r, func(n *Node) { n.Status = st })
	}
}

// status reads the node's status and checks that the address serves the
// node it was given as: flows carry the agent's own name, and the archive
// resumes and de-duplicates each node's flows by it.
func (m *Manager) status(ctx context.Context, conn *grpc.ClientConn, name string) (*observer.ServerStatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	st, err := observer.NewObserverClient(conn).ServerStatus(ctx, &observer.ServerStatusRequest{})
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	if st.GetNodeName() != "" && st.GetNodeName() != name {
		return nil, fmt.Errorf("this address serves node %q, not %q: give the agent's --node-name in --peers", st.GetNodeName(), name)
	}
	return st, nil
}
