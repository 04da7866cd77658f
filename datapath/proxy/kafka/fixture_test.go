package kafkaproxy

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// fixture is a kfake broker behind the handler on loopback.
//
// The broker advertises the proxy's address in Metadata (its listener
// reports the proxy's address), so a client that starts at the proxy stays
// on it for every broker connection, and the handler dials the broker's
// real address (proxy.PlainDialer to Conn.Dst). In the lab nothing of
// this is needed: the datapath redirects every connection to the broker's
// port to the proxy, and the proxy dials the original destination.
type fixture struct {
	t      *testing.T
	addr   string // the proxy, as clients see the broker
	broker netip.AddrPort
	h      *Handler
	pol    *proxy.Policy

	mu    sync.Mutex
	flows []*flow.Flow
}

// advertised is a listener that reports another address.
type advertised struct {
	net.Listener
	addr net.Addr
}

func (l advertised) Addr() net.Addr { return l.addr }

// newFixture starts a broker with topics "allowed" and "denied" (one
// partition each) and the handler in front of it, deciding with pol.
func newFixture(t *testing.T, cfg Config, pol *proxy.Policy) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, addr: ln.Addr().String(), pol: pol}
	var brokerLn net.Listener
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.SeedTopics(1, "allowed", "denied"),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			l, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			brokerLn = l
			return advertised{Listener: l, addr: ln.Addr()}, nil
		}),
	)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	f.broker = netip.MustParseAddrPort(brokerLn.Addr().String())
	f.h = New(cfg, proxy.PlainDialer{}, f.record, nil)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m := &proxy.Conn{
				Src:         netip.MustParseAddrPort(c.RemoteAddr().String()),
				Dst:         f.broker,
				SrcIdentity: 1001,
				DstIdentity: 1002,
				Proto:       6,
				Policy:      f.pol,
				Direction:   flow.TrafficDirection_EGRESS,
			}
			wg.Go(func() { f.h.ServeConn(ctx, c, m) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cancel()
		wg.Wait()
		cluster.Close()
	})
	return f
}

func (f *fixture) record(fl *flow.Flow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flows = append(f.flows, fl)
}

// kafkaFlows returns the flows so far whose Kafka API is api ("" for all).
func (f *fixture) kafkaFlows(api string) []*flow.Flow {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*flow.Flow
	for _, fl := range f.flows {
		if api == "" || fl.GetL7().GetKafka().GetApiKey() == api {
			out = append(out, fl)
		}
	}
	return out
}

// client is a franz-go client that starts at the proxy; it is closed at
// the end of the test.
func (f *fixture) client(opts ...kgo.Opt) *kgo.Client {
	f.t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(f.addr), kgo.ClientID("shop-app")}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(cl.Close)
	return cl
}

// kafkaPolicy is an egress L7 policy of one grant with rules.
func kafkaPolicy(rules ...policy.KafkaRule) *proxy.Policy {
	return &proxy.Policy{Egress: &policy.L7Set{Grants: []policy.L7Grant{{
		Policy: "shop/kafka-rules",
		Rule:   "shop/kafka-rules egress[0]",
		Rules:  &policy.L7Rules{Kafka: rules},
	}}}}
}

// only keeps the flows that pass keep.
func only(fs []*flow.Flow, keep func(*flow.Flow) bool) []*flow.Flow {
	return slices.DeleteFunc(slices.Clone(fs), func(f *flow.Flow) bool { return !keep(f) })
}

func isType(t flow.L7FlowType) func(*flow.Flow) bool {
	return func(f *flow.Flow) bool { return f.GetL7().GetType() == t }
}
