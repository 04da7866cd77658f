package main

import (
	"net"
	"strings"

	"github.com/loupe-dev/loupe/collector/peer"
	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/relay"
	"github.com/loupe-dev/loupe/relay/peers"
)

// config checks the relay's flags and turns them into its configuration,
// before anything starts.
func (o relayOptions) config() (relay.Config, error) {
	cfg := relay.DefaultConfig()
	cfg.Version = version
	if o.listen == "" {
		return cfg, badInput("--listen: must not be empty")
	}
	if !mtls.IsLocal(o.listen) {
		return cfg, badInput("--listen %s: the relay serves plaintext, so only on loopback or a unix socket: use %s", o.listen, defaultRelayServer)
	}
	cfg.Listen = o.listen
	if o.sortWindow <= 0 {
		return cfg, badInput("--sort-window %d: want a positive number of flows", o.sortWindow)
	}
	if o.sortDelay <= 0 {
		return cfg, badInput("--sort-window-delay %s: want a positive duration", o.sortDelay)
	}
	cfg.Window.MaxFlows, cfg.Window.MaxDelay = o.sortWindow, o.sortDelay
	if !o.tls.Empty() {
		if o.tls.Cert == "" || o.tls.Key == "" || o.tls.CA == "" {
			return cfg, badInput("--tls-cert, --tls-key and --tls-ca go together: give all three (loupe certs makes them)")
		}
		if _, err := o.tls.ClientConfig("check"); err != nil {
			return cfg, badInput("--tls-cert, --tls-key, --tls-ca: %v", err)
		}
		cfg.Peers.TLS = o.tls
	}
	if len(o.peers) == 0 && len(o.peerService) == 0 {
		return cfg, badInput("no nodes: give --peers NAME=ADDRESS,... or --peer-service ADDRESS")
	}
	seen := map[string]bool{}
	for _, v := range o.peers {
		p, err := o.peer("--peers", v, true)
		if err != nil {
			return cfg, err
		}
		if seen[p.Name] {
			return cfg, badInput("--peers: node %q is given twice", p.Name)
		}
		seen[p.Name] = true
		cfg.Peers.Static = append(cfg.Peers.Static, p)
	}
	for _, v := range o.peerService {
		p, err := o.peer("--peer-service", v, false)
		if err != nil {
			return cfg, err
		}
		cfg.Peers.Services = append(cfg.Peers.Services, p)
	}
	return cfg, nil
}

// peer parses NAME=ADDRESS (the name optional for a peer service) and
// decides the transport: mutual TLS when the relay has a certificate and
// the address is not a unix socket, verifying the node's name (for a
// service without one, its host); plaintext only to local addresses.
func (o relayOptions) peer(flag, v string, needName bool) (peers.Peer, error) {
	name, addr, hasName := strings.Cut(v, "=")
	if !hasName {
		name, addr = "", v
	}
	switch {
	case needName && !hasName:
		return peers.Peer{}, badInput("%s %q: want NAME=ADDRESS (node-a=127.0.0.1:4244)", flag, v)
	case hasName:
		if err := peer.CheckName(name); err != nil {
			return peers.Peer{}, badInput("%s %q: %v", flag, v, err)
		}
	}
	unix := strings.HasPrefix(addr, "unix:")
	var host string
	if !unix {
		h, _, err := net.SplitHostPort(addr)
		if err != nil {
			return peers.Peer{}, badInput("%s %q: want HOST:PORT or unix:///PATH after the name", flag, v)
		}
		host = h
	}
	p := peers.Peer{Name: name, Address: addr}
	switch {
	case unix:
	case !o.tls.Empty():
		p.TLSServerName = name
		if p.TLSServerName == "" {
			p.TLSServerName = host
		}
	case !mtls.IsLocal(addr):
		return peers.Peer{}, badInput("%s %q: plaintext is only allowed to loopback addresses and unix sockets: give --tls-cert, --tls-key and --tls-ca (loupe certs makes them)", flag, v)
	}
	return p, nil
}
