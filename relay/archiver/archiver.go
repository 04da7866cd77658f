// Package archiver hands every flow of every node to the archive: for each
// connected node, one unfiltered follow stream that starts where the
// archive says it has the node's flows up to.
package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/backoff"
	"github.com/loupe-dev/loupe/relay/peers"
)

// Archive stores every flow of every node: relay.Archive, as the archiver
// consumes it.
type Archive interface {
	Since(ctx context.Context, node string) (time.Time, error)
	Offer(node string, f *flow.Flow)
}

// Nodes is what the archiver needs of the peer manager.
type Nodes interface {
	Nodes() ([]peers.Node, <-chan struct{})
}

// Stats counts what went by.
type Stats struct {
	// Offered is the number of flows handed to the archive.
	Offered uint64
	// Lost is the number of events the nodes reported lost in the archive's
	// streams (their rings overtook the stream): counted, never offered.
	Lost uint64
}

// Archiver is constructed with New, started with Start, stopped with Stop.
type Archiver struct {
	archive    Archive
	nodes      Nodes
	log        *slog.Logger
	NewBackoff func() *backoff.Backoff

	offered, lost atomic.Uint64
	cancel        context.CancelFunc
	wg            sync.WaitGroup
}

// New wires an archiver; it starts nothing.
func New(archive Archive, nodes Nodes, log *slog.Logger) *Archiver {
	return &Archiver{archive: archive, nodes: nodes, log: log, NewBackoff: backoff.New}
}

// Start follows the connected nodes, and those that connect later.
func (a *Archiver) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run(ctx)
	}()
}

// Stop ends every stream and waits for them.
func (a *Archiver) Stop() {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
}

// Stats returns the counters.
func (a *Archiver) Stats() Stats { return Stats{Offered: a.offered.Load(), Lost: a.lost.Load()} }

// follower is the stream of one node's connection.
type follower struct {
	gen    uint64
	cancel context.CancelFunc
}

// run keeps one follower per connected node's connection.
func (a *Archiver) run(ctx context.Context) {
	running := map[string]follower{}
	for {
		nodes, changed := a.nodes.Nodes()
		connected := map[string]bool{}
		for _, n := range nodes {
			if n.State != observer.NodeState_NODE_CONNECTED || n.Conn == nil {
				continue
			}
			connected[n.Name] = true
			if f, ok := running[n.Name]; ok && f.gen == n.Gen {
				continue
			} else if ok {
				f.cancel()
			}
			fctx, cancel := context.WithCancel(ctx)
			running[n.Name] = follower{gen: n.Gen, cancel: cancel}
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				a.follow(fctx, n)
			}()
		}
		for name, f := range running {
			if !connected[name] {
				f.cancel()
				delete(running, name)
			}
		}
		select {
		case <-ctx.Done():
			for _, f := range running {
				f.cancel()
			}
			return
		case <-changed:
		}
	}
}

// follow copies n's flows to the archive until ctx ends; after a failure
// it asks the archive again where to start, so nothing is missed twice.
func (a *Archiver) follow(ctx context.Context, n peers.Node) {
	bo := a.NewBackoff()
	for {
		err := a.copy(ctx, n, bo.Reset)
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("archive stream", "node", n.Name, "error", peers.ErrorText(err))
		if bo.Wait(ctx) != nil {
			return
		}
	}
}

func (a *Archiver) copy(ctx context.Context, n peers.Node, ok func()) error {
	since, err := a.archive.Since(ctx, n.Name)
	if err != nil {
		return fmt.Errorf("ask archive where %s's flows end: %w", n.Name, err)
	}
	// Zero means all the node holds: since the epoch, which a follow
	// stream reads from the oldest flow on (no since would mean new ones).
	req := &observer.GetFlowsRequest{Follow: true, Since: timestamppb.New(since)}
	if since.IsZero() {
		req.Since = timestamppb.New(time.Unix(0, 0))
	}
	stream, err := observer.NewObserverClient(n.Conn).GetFlows(ctx, req)
	if err != nil {
		return err
	}
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errors.New("node ended the stream")
		}
		if err != nil {
			return err
		}
		ok()
		switch {
		case r.GetFlow() != nil:
			a.archive.Offer(n.Name, r.GetFlow())
			a.offered.Add(1)
		case r.GetLostEvents() != nil:
			a.lost.Add(r.GetLostEvents().GetNumEventsLost())
		}
	}
}
