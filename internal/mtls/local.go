package mtls

import (
	"net"
	"net/netip"
	"strings"
)

// IsLocal reports whether address, to listen on or to dial, stays on this
// machine: a unix socket ("unix:///path", "unix:path") or a loopback host
// ("127.0.0.1:4244", "[::1]:4244", "localhost:4244"). An empty host
// (":4244") listens on every interface and is not local. Only local
// addresses may carry plaintext.
func IsLocal(address string) bool {
	if strings.HasPrefix(address, "unix:") || strings.HasPrefix(address, "unix-abstract:") {
		return true
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
