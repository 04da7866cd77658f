package main

import (
	"net"
	"net/netip"

	"github.com/loupe-dev/loupe/collector/peer"
	"github.com/loupe-dev/loupe/internal/mtls"
)

// validateCluster checks what relays see of the agent: that its TCP
// listener is loopback or mutual TLS, and how the registry names it.
func (o agentOptions) validateCluster() error {
	if err := o.validateTLS(); err != nil {
		return err
	}
	if o.advertise != "" {
		if _, _, err := net.SplitHostPort(o.advertise); err != nil || o.listen == "" {
			return badInput("--advertise-address %q: want the HOST:PORT relays dial to reach --listen", o.advertise)
		}
	}
	if o.clusterDir == "" {
		return nil
	}
	if err := peer.CheckName(o.nodeName); err != nil {
		return badInput("--node-name: %v (it names the node's file in --cluster-dir)", err)
	}
	if o.advertise == "" && o.listen != "" && everyInterface(o.listen) {
		return badInput("--listen %s is on every interface: give --advertise-address HOST:PORT, the address relays dial", o.listen)
	}
	return nil
}

// validateTLS allows plaintext on loopback only, and TLS with all three
// files that load.
func (o agentOptions) validateTLS() error {
	if o.tls.Empty() {
		if o.listen != "" && !mtls.IsLocal(o.listen) {
			return badInput("--listen %s: plaintext is only allowed on loopback: listen on 127.0.0.1, or serve mutual TLS with --tls-cert, --tls-key and --tls-client-ca (loupe certs makes them)", o.listen)
		}
		return nil
	}
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

// registryEntry is how relays find this agent: its TCP address when it has
// one (--advertise-address, or the address it really got, for --listen
// 127.0.0.1:0), else its socket.
func (o agentOptions) registryEntry(tcpAddr string) peer.Entry {
	e := peer.Entry{Name: o.nodeName, Address: tcpAddr}
	if o.advertise != "" && tcpAddr != "" {
		e.Address = o.advertise
	}
	if tcpAddr == "" {
		e.Address = "unix://" + o.socket
	}
	if !o.tls.Empty() && tcpAddr != "" {
		e.TLSServerName = o.nodeName
	}
	return e
}

// everyInterface reports whether a listen address has no host or an
// unspecified one (0.0.0.0, ::): no relay can dial that.
func everyInterface(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return host == "" || err == nil && ip.IsUnspecified()
}
