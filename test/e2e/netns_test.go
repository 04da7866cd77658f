package e2e

import (
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// dialIn opens a connection from inside a workload's network namespace. The
// socket is created on a thread moved into the namespace and stays there;
// the thread is not returned to the pool (it exits with the goroutine).
func dialIn(t testing.TB, netnsName, network, addr string, timeout time.Duration) (net.Conn, error) {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		ns, err := netns.GetFromPath(filepath.Join("/run/netns", netnsName))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			ch <- result{err: err}
			return
		}
		c, err := net.DialTimeout(network, addr, timeout)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
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
