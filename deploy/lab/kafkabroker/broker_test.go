package kafkabroker

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestServe produces to and consumes from the broker on a given listener,
// and Serve returns when its context ends.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var serveErr error
	wg.Go(func() { serveErr = Serve(ctx, ln) })
	defer func() {
		cancel()
		wg.Wait()
		if serveErr != nil {
			t.Errorf("serve: %v", serveErr)
		}
	}()

	cl, err := kgo.NewClient(kgo.SeedBrokers(ln.Addr().String()),
		kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("o-1")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	for {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume: %v", err)
		}
		if recs := fs.Records(); len(recs) > 0 {
			if string(recs[0].Value) != "o-1" {
				t.Fatalf("consumed %q", recs[0].Value)
			}
			return
		}
	}
}

// TestAdvertise: an unspecified listen address is advertised as an
// interface's address, a specific one as itself.
func TestAdvertise(t *testing.T) {
	a, err := advertise(&net.TCPAddr{IP: net.IPv6unspecified, Port: 9092})
	if err != nil {
		t.Fatal(err)
	}
	if tcp := a.(*net.TCPAddr); tcp.IP.IsUnspecified() || tcp.Port != 9092 {
		t.Errorf("advertised %v", a)
	}
	in := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 9092}
	if a, _ := advertise(in); a != net.Addr(in) {
		t.Errorf("advertised %v for %v", a, in)
	}
}
