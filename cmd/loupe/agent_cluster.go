package main

import (
	"github.com/loupe-dev/loupe/collector/peer"
	"github.com/loupe-dev/loupe/internal/mtls"
)

// validateCluster checks what relays see of the agent: its name in the
// registry, and that its TCP listener is loopback or mutual TLS.
func (o agentOptions) validateCluster() error {
	if o.clusterDir != "" {
		if err := peer.CheckName(o.nodeName); err != nil {
			return badInput("--node-name: %v (it names the node's file in --cluster-dir)", err)
		}
	}
	if !o.tls.Empty() {
		if o.tls.Cert == "" || o.tls.Key == "" || o.tls.CA == "" {
			return badInput("--tls-cert, --tls-key and --tls-client-ca go together: give all three (loupe certs makes them)")
		}
		if o.listen == "" {
			return badInput("--tls-cert: there is no --listen address to serve with TLS")
		}
		if _, err := o.tls.ServerConfig(); err != nil {
			return badInput("--tls-cert, --tls-key, --tls-client-ca: %v", err)
		}
		return nil
	}
	if o.listen != "" && !mtls.IsLocal(o.listen) {
		return badInput("--listen %s: plaintext is only allowed on loopback: listen on 127.0.0.1, or serve mutual TLS with --tls-cert, --tls-key and --tls-client-ca (loupe certs makes them)", o.listen)
	}
	return nil
}

// registryEntry is how relays find this agent: its TCP address when it has
// one (the address it really got, for --listen 127.0.0.1:0), else its
// socket.
func (o agentOptions) registryEntry(tcpAddr string) peer.Entry {
	e := peer.Entry{Name: o.nodeName, Address: tcpAddr}
	if tcpAddr == "" {
		e.Address = "unix://" + o.socket
	}
	if !o.tls.Empty() && tcpAddr != "" {
		e.TLSServerName = o.nodeName
	}
	return e
}
