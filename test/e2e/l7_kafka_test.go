package e2e

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/loupe-dev/loupe/api/flow"
)

// kafkaClient is a franz-go client in a workload's namespace: every
// connection it opens is dialed there.
func (l *l7Lab) kafkaClient(t *testing.T, from string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	dial := func(ctx context.Context, network, host string) (net.Conn, error) {
		var c net.Conn
		err := runIn(l, from, func() error {
			var err error
			c, err = (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, network, host)
			return err
		})
		return c, err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(l.addr("kafka", "9092", false)),
		kgo.Dialer(dial),
		kgo.RequestRetries(0),
		kgo.ProduceRequestTimeout(5 * time.Second),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// kafkaTopics: the cart may produce to orders and not to payments, on one
// connection; the client sees TOPIC_AUTHORIZATION_FAILED, and the flows
// carry api key, topic and error code.
func (l *l7Lab) kafkaTopics(t *testing.T) {
	cl := l.kafkaClient(t, "cart")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, c := range []struct {
		topic string
		want  error
	}{
		{"orders", nil},
		{"payments", kerr.TopicAuthorizationFailed},
		// Not "orders" again: franz-go would then ask for the metadata of
		// both topics in one request, which the proxy denies whole.
	} {
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: c.topic, Value: []byte("order 7")}).FirstErr()
		if !errors.Is(err, c.want) {
			t.Fatalf("produce to %s: %v, want %v", c.topic, err, c.want)
		}
	}
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		var allowed, denied bool
		for _, f := range fs {
			k := f.GetL7().GetKafka()
			if k.GetTopic() == "payments" && f.GetVerdict() == flow.Verdict_DROPPED {
				denied = len(f.GetPolicyNames()) > 0 && k.GetErrorCode() == 29
			}
			if k.GetApiKey() == "produce" && k.GetTopic() == "orders" && f.GetL7().GetType() == flow.L7FlowType_RESPONSE {
				allowed = f.GetL7().GetLatencyNs() > 0 && k.GetErrorCode() == 0
			}
		}
		return allowed && denied
	}, "--type", "l7", "--workload", "infra/kafka")
}

// kafkaTruncated: a frame that promises more than it sends is closed with
// an ERROR flow; the next client is served.
func (l *l7Lab) kafkaTruncated(t *testing.T) {
	c, err := l.dial("cart", "tcp", l.addr("kafka", "9092", false))
	if err != nil {
		t.Fatal(err)
	}
	// Size 100, then 6 bytes of a header and the end of the stream.
	c.Write([]byte{0, 0, 0, 100, 0, 0, 0, 3, 0, 0})
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Errorf("truncated frame answered with %d bytes", n)
	}
	c.Close()
	cl := l.kafkaClient(t, "cart")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatalf("produce after a truncated frame: %v", err)
	}
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		for _, f := range fs {
			if f.GetVerdict() == flow.Verdict_ERROR {
				return true
			}
		}
		return false
	}, "--type", "l7", "--workload", "infra/kafka")
}
