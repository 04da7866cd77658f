// Package kafkabroker runs a small in-memory Kafka broker (franz-go's
// kfake) on a listener, for the lab's Kafka workload: the lab starts it in
// a workload's namespace on port 9092, and L7 policy with Kafka rules then
// has a real protocol peer.
package kafkabroker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Topics are created when the broker starts; clients may create more (the
// broker creates a topic on first use).
var Topics = []string{"orders", "payments", "audit"}

// Serve runs a one-broker cluster on ln until ctx ends; it closes ln.
//
// The broker advertises ln's address in Metadata, which clients connect to
// after the first request. A listener on the unspecified address (":9092")
// advertises the first global unicast address of the namespace's
// interfaces instead, which is the workload's own address in the lab.
func Serve(ctx context.Context, ln net.Listener) error {
	adv, err := advertise(ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	var calls atomic.Int32
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.SeedTopics(1, Topics...),
		kfake.ListenFn(func(string, string) (net.Listener, error) {
			if calls.Add(1) > 1 {
				return nil, errors.New("kafka broker: one listener only")
			}
			return advertised{Listener: ln, addr: adv}, nil
		}),
	)
	if err != nil {
		ln.Close()
		return fmt.Errorf("start kafka broker: %w", err)
	}
	<-ctx.Done()
	cluster.Close()
	return nil
}

// advertised is a listener that reports the address clients should use.
type advertised struct {
	net.Listener
	addr net.Addr
}

func (l advertised) Addr() net.Addr { return l.addr }

// advertise is a's address as clients reach it.
func advertise(a net.Addr) (net.Addr, error) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a, nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("kafka broker address: %w", err)
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			return &net.TCPAddr{IP: n.IP, Port: tcp.Port}, nil
		}
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}, nil
}
