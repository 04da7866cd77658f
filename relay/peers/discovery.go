package peers

import (
	"context"
	"errors"
	"io"

	peerpb "github.com/loupe-dev/loupe/api/peer"
)

// discover follows one peer service until ctx ends: every node it adds or
// updates is connected to, every node it deletes is gone. When the service
// fails, the nodes it announced stay as they are (a node does not leave
// because one agent restarts) and the stream is opened again with backoff.
func (m *Manager) discover(ctx context.Context, svc Peer) {
	bo := m.cfg.NewBackoff()
	failing := false
	ok := func() {
		if failing {
			m.log.Info("peer service available", "address", svc.Address)
		}
		failing = false
		bo.Reset()
	}
	for {
		err := m.follow(ctx, svc, ok)
		if ctx.Err() != nil {
			return
		}
		if !failing {
			m.log.Warn("peer service unavailable", "address", svc.Address, "error", ErrorText(err))
		}
		failing = true
		if bo.Wait(ctx) != nil {
			return
		}
	}
}

// follow reads one Notify stream until it fails.
func (m *Manager) follow(ctx context.Context, svc Peer, ok func()) error {
	conn, _, err := dial(svc, m.cfg.TLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := peerpb.NewPeerClient(conn).Notify(ctx, &peerpb.NotifyRequest{})
	if err != nil {
		return err
	}
	for {
		n, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errors.New("peer service ended the stream")
		}
		if err != nil {
			return err
		}
		ok()
		m.apply(n)
	}
}

// apply turns one notification into a change of the node set.
func (m *Manager) apply(n *peerpb.ChangeNotification) {
	if n.GetName() == "" {
		return
	}
	switch n.GetType() {
	case peerpb.ChangeNotificationType_PEER_ADDED, peerpb.ChangeNotificationType_PEER_UPDATED:
		if n.GetAddress() != "" {
			m.upsert(Peer{Name: n.GetName(), Address: n.GetAddress(), TLSServerName: n.GetTlsServerName()})
		}
	case peerpb.ChangeNotificationType_PEER_DELETED:
		m.remove(n.GetName())
	}
}
