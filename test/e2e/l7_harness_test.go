package e2e

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	labpkg "github.com/loupe-dev/loupe/deploy/lab"
)

// l7Lab is the demo lab with shop.yaml and shop-l7.yaml applied: the
// connections those policies cover go through the agent's proxy.
type l7Lab struct {
	t     *testing.T
	agent *agentProc
	lab   *lab
	addrs map[string][2]string
	netns map[string]string // workload name -> network namespace
}

func newL7Lab(t *testing.T) *l7Lab {
	t.Helper()
	a := newAgent(t, "l7", "--proxy-header-timeout", "1s")
	a.start()
	l := labUp(t, a)
	applyPolicy(t, a, "../../deploy/lab/policies/shop.yaml")
	applyPolicy(t, a, "../../deploy/lab/policies/shop-l7.yaml")
	return l7LabOf(t, a, l)
}

// l7LabOf wraps a lab that is up and has its policies.
func l7LabOf(t *testing.T, a *agentProc, l *lab) *l7Lab {
	netns := map[string]string{}
	for _, w := range l.workloads() {
		name, _ := w["name"].(string)
		ns, _ := w["netns"].(string)
		netns[name] = ns
	}
	return &l7Lab{t: t, agent: a, lab: l, addrs: addrs(t, l), netns: netns}
}

// dial opens a connection from a workload of the lab, on a thread in its
// network namespace; the connection stays usable from any goroutine.
func (l *l7Lab) dial(from, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := runIn(l, from, func() error {
		var err error
		c, err = net.DialTimeout(network, addr, 3*time.Second)
		return err
	})
	return c, err
}

// runIn runs fn on a thread in a workload's network namespace.
func runIn(l *l7Lab, workload string, fn func() error) error {
	return labpkg.RunInNetNS(l.netns[workload], fn)
}

// addr is a workload's address with a port: IPv4 (v6 false) or IPv6.
func (l *l7Lab) addr(workload string, port string, v6 bool) string {
	a := l.addrs[workload][0]
	if v6 {
		a = l.addrs[workload][1]
	}
	return net.JoinHostPort(a, port)
}

// oneConnClient is an HTTP client that sends every request on c, so that
// a test knows allowed and denied requests share one connection.
func oneConnClient(c net.Conn) *http.Client {
	used := false
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			MaxConnsPerHost: 1,
			DialContext: func(context.Context, string, string) (net.Conn, error) {
				if used {
					return nil, net.ErrClosed
				}
				used = true
				return c, nil
			},
		},
	}
}

// l7Flows waits until the agent holds flows matching the filter flags
// for which done is true, and returns them.
func (l *l7Lab) l7Flows(t *testing.T, done func([]*flow.Flow) bool, args ...string) []*flow.Flow {
	t.Helper()
	var fs []*flow.Flow
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		fs = flowsOf(observeJSON(t, l.agent, append([]string{"--last", "1000"}, args...)...))
		if done(fs) {
			return fs
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("flows %v: condition not met; have %d:\n%s", args, len(fs), summarize(fs))
	return nil
}

func summarize(fs []*flow.Flow) string {
	var b []byte
	for _, f := range fs {
		b = append(b, (f.GetEventType().String() + " " + f.GetVerdict().String() + " " + f.GetObservationPoint().String() + " " +
			f.GetL7().String() + "\n")...)
	}
	return string(b)
}
