package main

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
	peerpb "github.com/loupe-dev/loupe/api/peer"
	observersrv "github.com/loupe-dev/loupe/collector/observer"
	"github.com/loupe-dev/loupe/collector/peer"
	"github.com/loupe-dev/loupe/datapath/endpoint"
)

// serveAPIs listens and serves: on the unix socket the Observer, Agent and
// Peer APIs in plaintext (file permissions guard it); on --listen the same,
// except that with mutual TLS it serves only the read-only Observer and Peer
// APIs, which is all a relay needs: a relay's certificate does not let it
// change endpoints or policies. Then it lists the node in the registry.
func (a *agent) serveAPIs(o agentOptions, obs *observersrv.Server, api agentpb.AgentServer) error {
	var tcp net.Listener
	if o.listen != "" {
		l, err := net.Listen("tcp", o.listen)
		if err != nil {
			return badInput("--listen %s: %v", o.listen, err)
		}
		tcp = l
	}
	var tcpAddr string
	if tcp != nil {
		tcpAddr = tcp.Addr().String()
	}
	self := o.registryEntry(tcpAddr)
	obs.WithAddress(self.Address, self.TLSServerName != "")
	peers := peer.NewServer(o.clusterDir, self, peer.DefaultInterval)
	readOnly := func(s *grpc.Server) {
		observer.RegisterObserverServer(s, obs)
		peerpb.RegisterPeerServer(s, peers)
	}
	all := func(s *grpc.Server) {
		readOnly(s)
		agentpb.RegisterAgentServer(s, api)
	}
	if o.socket != "" {
		l, err := listenUnix(o.socket)
		if err != nil {
			if tcp != nil {
				tcp.Close()
			}
			return err
		}
		a.serve(grpc.NewServer(), l, all)
	}
	if tcp != nil {
		if o.tls.Empty() {
			a.serve(grpc.NewServer(), tcp, all)
		} else {
			cfg, err := o.tls.ServerConfig()
			if err != nil {
				tcp.Close()
				return badInput("--tls-cert, --tls-key, --tls-client-ca: %v", err)
			}
			a.serve(grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg))), tcp, readOnly)
		}
	}
	if o.clusterDir != "" {
		if err := peer.Register(o.clusterDir, self); err != nil {
			return fmt.Errorf("--cluster-dir %s: %w", o.clusterDir, err)
		}
		a.registered, a.nodeName = o.clusterDir, o.nodeName
		a.log.Info("listed in the node registry", "dir", o.clusterDir, "address", self.Address, "tls", self.TLSServerName != "")
	}
	return nil
}

func (a *agent) serve(s *grpc.Server, l net.Listener, register func(*grpc.Server)) {
	register(s)
	a.servers = append(a.servers, s)
	go func() {
		// Serve returns when the server stops; stopAPIs owns this goroutine.
		if err := s.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			a.log.Error("serve api", "address", l.Addr(), "error", err)
		}
	}()
}

// stopGrace is how long stopAPIs lets calls finish. Followers and peer
// streams never end on their own: they are cut when it runs out.
const stopGrace = 2 * time.Second

// stopAPIs first leaves the registry, so relays see the node gone rather
// than unavailable, then stops the servers together.
func (a *agent) stopAPIs() error {
	var err error
	if a.registered != "" {
		err = peer.Deregister(a.registered, a.nodeName)
		a.registered = ""
	}
	var wg sync.WaitGroup
	for _, s := range a.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { s.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-time.After(stopGrace):
				s.Stop()
				<-done
			}
		}()
	}
	wg.Wait()
	a.servers = nil
	return err
}

// endpointNamespaces are the namespaces of eps, each once.
func endpointNamespaces(eps []endpoint.Endpoint) []string {
	var out []string
	for _, ep := range eps {
		if !slices.Contains(out, ep.Namespace) {
			out = append(out, ep.Namespace)
		}
	}
	return out
}
