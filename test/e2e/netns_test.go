package e2e

import (
	"net"
	"testing"
	"time"

	labpkg "github.com/loupe-dev/loupe/deploy/lab"
)

// dialIn opens a connection from inside a workload's network namespace; the
// socket stays there, the thread goes back to the host namespace.
func dialIn(t testing.TB, netnsName, network, addr string, timeout time.Duration) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	err := labpkg.RunInNetNS(netnsName, func() (err error) {
		c, err = net.DialTimeout(network, addr, timeout)
		return err
	})
	return c, err
}

// netnsOf returns the network namespace names of a lab's workloads.
func netnsOf(l *lab) map[string]string {
	out := map[string]string{}
	for _, w := range l.workloads() {
		name, _ := w["name"].(string)
		ns, _ := w["netns"].(string)
		out[name] = ns
	}
	return out
}
