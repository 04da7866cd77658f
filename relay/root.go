package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/relay/archiver"
	relayobserver "github.com/loupe-dev/loupe/relay/observer"
	"github.com/loupe-dev/loupe/relay/peers"
)

// Relay is constructed with New, started with Start and stopped with Stop.
type Relay struct {
	cfg      Config
	log      *slog.Logger
	peers    *peers.Manager
	archiver *archiver.Archiver
	server   *grpc.Server
	api      *relayobserver.Server
	listener net.Listener
	served   chan struct{}
}

// New wires a relay; it starts nothing.
func New(cfg Config, log *slog.Logger) (*Relay, error) {
	if cfg.Listen == "" {
		return nil, errors.New("no address to listen on")
	}
	if cfg.Window.MaxFlows <= 0 || cfg.Window.MaxDelay <= 0 {
		return nil, fmt.Errorf("sort window of %d flows and %s: want both positive", cfg.Window.MaxFlows, cfg.Window.MaxDelay)
	}
	r := &Relay{cfg: cfg, log: log, peers: peers.New(cfg.Peers, log)}
	if cfg.Archive != nil {
		r.archiver = archiver.New(cfg.Archive, r.peers, log)
	}
	obs := relayobserver.Config{Window: cfg.Window, Version: cfg.Version}
	if cfg.TracerProvider != nil {
		obs.Tracer = cfg.TracerProvider.Tracer("github.com/loupe-dev/loupe/relay")
	}
	if cfg.History != nil {
		obs.History = cfg.History
	}
	r.server = grpc.NewServer()
	r.api = relayobserver.NewServer(obs, r.peers)
	observer.RegisterObserverServer(r.server, r.api)
	return r, nil
}

// Start connects to the nodes, starts archiving, then serves: in this
// order so that the first client finds nodes being connected, and no flow
// streamed to a client escapes the archive.
func (r *Relay) Start() error {
	l, err := listen(r.cfg.Listen)
	if err != nil {
		return err
	}
	r.listener = l
	r.peers.Start()
	if r.archiver != nil {
		r.archiver.Start()
	}
	r.served = make(chan struct{})
	go func() {
		defer close(r.served)
		// Serve returns when Stop stops the server.
		if err := r.server.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			r.log.Error("serve relay api", "address", l.Addr(), "error", err)
		}
	}()
	return nil
}

// Nodes is every node the relay knows, with its connection state.
func (r *Relay) Nodes() []peers.Node {
	nodes, _ := r.peers.Nodes()
	return nodes
}

// Stats are the counters of the relay's Observer API.
func (r *Relay) Stats() relayobserver.Stats { return r.api.Stats() }

// Addr is where the relay serves, once started.
func (r *Relay) Addr() net.Addr { return r.listener.Addr() }

// stopGrace is how long Stop lets calls finish.
const stopGrace = 2 * time.Second

// Stop stops serving, then archiving, then the node connections: the
// reverse of Start, so no call runs on a closed connection.
func (r *Relay) Stop() {
	if r.served != nil {
		r.api.Close() // followers end now, not at stopGrace
		done := make(chan struct{})
		go func() { r.server.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopGrace):
			r.server.Stop()
			<-done
		}
		<-r.served
	}
	if r.archiver != nil {
		r.archiver.Stop()
		st := r.archiver.Stats()
		r.log.Info("archive streams stopped", "offered", st.Offered, "lost_in_streams", st.Lost)
	}
	r.peers.Stop()
}

// listen opens "host:port" or "unix:///path" (replacing a stale socket).
func listen(address string) (net.Listener, error) {
	path, ok := strings.CutPrefix(address, "unix://")
	if !ok {
		return net.Listen("tcp", address)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale socket: %w", err)
	}
	return net.Listen("unix", path)
}
