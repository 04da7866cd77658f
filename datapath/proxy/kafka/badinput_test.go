package kafkaproxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// dial opens a raw connection to the proxy.
func (f *fixture) dial() *net.TCPConn {
	f.t.Helper()
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

func raw(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func be16(v int16) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// encode is a request as a client sends it.
func encode(req kmsg.Request, version int16, corr int32) []byte {
	req.SetVersion(version)
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, corr)
}

// TestBadInput: each broken input closes its connection (with nothing
// written back), emits an ERROR flow (a DROPPED one for a call the policy
// cannot read), and the handler goes on serving the next connection.
func TestBadInput(t *testing.T) {
	f := newFixture(t, Config{MaxFrame: 1024}, kafkaPolicy(
		policy.KafkaRule{Role: "produce", Topic: "allowed"},
	))
	// A Produce v8 header (not flexible): key, version, correlation id,
	// client id.
	header := bytes.Join([][]byte{be16(0), be16(8), be32(7), be16(3), []byte("raw")}, nil)
	cases := []struct {
		name    string
		input   []byte
		verdict flow.Verdict
	}{
		{"truncated frame", append(be32(100), header...), flow.Verdict_ERROR},
		{"truncated size", []byte{0, 0}, flow.Verdict_ERROR},
		{"negative size", be32(-1), flow.Verdict_ERROR},
		{"frame too big", be32(1025), flow.Verdict_ERROR},
		{"frame too small", append(be32(3), 0, 0, 0), flow.Verdict_ERROR},
		{"client id past the end", append(be32(10), append(header[:8], be16(50)...)...), flow.Verdict_ERROR},
		{"garbage body", append(append(be32(int32(len(header)+6)), header...), 0xff, 0xff, 0xff, 0x7f, 0, 1), flow.Verdict_ERROR},
		{"bad tagged fields", raw(be32(14), be16(0), be16(9), be32(8), be16(-1), []byte{0xff, 0xff, 0xff, 0xff}), flow.Verdict_ERROR},
		{"unknown api key", raw(be32(10), be16(999), be16(0), be32(9), be16(-1)), flow.Verdict_DROPPED},
		{"unknown version", raw(be32(10), be16(0), be16(99), be32(9), be16(-1)), flow.Verdict_DROPPED},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.kafkaFlows(""))
			c := f.dial()
			if _, err := c.Write(tc.input); err != nil {
				t.Fatal(err)
			}
			// The proxy may already have closed on the bytes it read:
			// then there is nothing to half-close.
			_ = c.CloseWrite()
			got, _ := io.ReadAll(c) // ends when the proxy closes; a reset is fine too
			if len(got) != 0 {
				t.Errorf("answered %d bytes, want a closed connection", len(got))
			}
			fs := f.kafkaFlows("")[before:]
			if len(fs) != 1 || fs[0].Verdict != tc.verdict || fs[0].GetL7().GetType() != flow.L7FlowType_REQUEST {
				t.Fatalf("flows: %v, want one %v request flow", fs, tc.verdict)
			}
		})
	}
	cl := f.client()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "allowed", Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatalf("produce after bad input: %v", err)
	}
}

// TestProduceWithoutAcks: an allowed acks=0 produce is forwarded and the
// next request's answer comes back (the proxy waits for no response); a
// denied one is dropped and the connection closed, as a broker does.
func TestProduceWithoutAcks(t *testing.T) {
	f := newFixture(t, Config{}, kafkaPolicy(
		policy.KafkaRule{Role: "produce", Topic: "allowed"},
	))
	produce := func(topic string) *kmsg.ProduceRequest {
		req := kmsg.NewPtrProduceRequest()
		req.Acks = 0
		req.TimeoutMillis = 1000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rt.Partitions = []kmsg.ProduceRequestTopicPartition{kmsg.NewProduceRequestTopicPartition()}
		req.Topics = append(req.Topics, rt)
		return req
	}
	c := f.dial()
	meta := kmsg.NewPtrMetadataRequest()
	in := append(encode(produce("allowed"), 9, 1), encode(meta, 9, 2)...)
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	resp, err := readFrame(c, DefaultMaxFrame, 4)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if corr := int32(binary.BigEndian.Uint32(resp)); corr != 2 {
		t.Fatalf("answer to correlation id %d, want 2 (the metadata request)", corr)
	}
	if _, err := c.Write(encode(produce("denied"), 9, 3)); err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(c); len(got) != 0 {
		t.Errorf("denied acks=0 produce answered %d bytes, want a closed connection", len(got))
	}
	var verdicts []flow.Verdict
	for _, fl := range f.kafkaFlows("produce") {
		if fl.GetL7().GetType() == flow.L7FlowType_RESPONSE {
			t.Errorf("a response flow for an acks=0 produce: %v", fl)
		}
		verdicts = append(verdicts, fl.Verdict)
	}
	if len(verdicts) != 2 || verdicts[0] != flow.Verdict_FORWARDED || verdicts[1] != flow.Verdict_DROPPED {
		t.Errorf("produce flows: %v, want FORWARDED then DROPPED", verdicts)
	}
}
