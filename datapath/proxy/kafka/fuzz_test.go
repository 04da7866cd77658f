package kafkaproxy

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// seedRequests are valid requests of the calls the proxy reads, frames
// without their size.
func seedRequests() [][]byte {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr("allowed")
	meta.Topics = append(meta.Topics, mt)
	produce := kmsg.NewPtrProduceRequest()
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "denied"
	pt.Partitions = []kmsg.ProduceRequestTopicPartition{kmsg.NewProduceRequestTopicPartition()}
	produce.Topics = append(produce.Topics, pt)
	offsets := kmsg.NewPtrOffsetFetchRequest()
	og := kmsg.NewOffsetFetchRequestGroup()
	og.Group = "g"
	og.Topics = []kmsg.OffsetFetchRequestGroupTopic{{Topic: "allowed", Partitions: []int32{0, 1}}}
	offsets.Groups = append(offsets.Groups, og)
	del := kmsg.NewPtrDeleteTopicsRequest()
	del.TopicNames = []string{"denied"}
	var out [][]byte
	for _, s := range []struct {
		req kmsg.Request
		v   int16
	}{
		{kmsg.NewPtrApiVersionsRequest(), 3}, {meta, 12}, {meta, 4}, {produce, 9}, {produce, 3},
		{offsets, 8}, {del, 3}, {kmsg.NewPtrJoinGroupRequest(), 9}, {kmsg.NewPtrFetchRequest(), 12},
	} {
		out = append(out, encode(s.req, s.v, 5)[4:])
	}
	return out
}

// FuzzReadFrame: any byte stream gives a frame within the bounds or an
// error, never a panic or an allocation past the bound.
func FuzzReadFrame(f *testing.F) {
	for _, s := range seedRequests() {
		f.Add(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, err := readFrame(bytes.NewReader(data), 4096, minFrame)
		if err == nil && (len(frame) < minFrame || len(frame) > 4096) {
			t.Fatalf("frame of %d bytes outside the bounds", len(frame))
		}
	})
}

// FuzzRequest: any request frame is parsed or refused; a parsed one is
// decided, and a denied one answered, without a panic, and the answer
// parses as the request's response.
func FuzzRequest(f *testing.F) {
	for _, s := range seedRequests() {
		f.Add(s)
	}
	pol := &proxy.Policy{Egress: &policy.L7Set{Grants: []policy.L7Grant{{
		Policy: "p", Rules: &policy.L7Rules{Kafka: []policy.KafkaRule{{Role: "consume", Topic: "allowed"}}},
	}}}}
	s := &session{h: New(Config{}, nil, nil, nil), meta: &proxy.Conn{Policy: pol}}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseRequest(data)
		if err != nil {
			return
		}
		d := s.decide(req)
		if d.allowed || d.close || acksZero(req) {
			return
		}
		body, ok := denyResponse(req, d.code)
		if !ok {
			return
		}
		resp := req.msg.ResponseKind()
		resp.SetVersion(req.version)
		if c := int32(binary.BigEndian.Uint32(body)); c != req.correlation {
			t.Fatalf("answer to correlation id %d, want %d", c, req.correlation)
		}
		if code, _ := s.inspectResponse(req, body); code != d.code {
			t.Fatalf("answer carries error %d, want %d", code, d.code)
		}
	})
}

// FuzzResponse: any broker response to a known request is inspected
// without a panic.
func FuzzResponse(f *testing.F) {
	reqs := seedRequests()
	for i := range reqs {
		f.Add(uint8(i), []byte{0, 0, 0, 5, 0})
	}
	s := &session{h: New(Config{}, nil, nil, slog.New(slog.DiscardHandler)), meta: &proxy.Conn{Policy: denyAll()}}
	f.Fuzz(func(t *testing.T, which uint8, frame []byte) {
		if len(frame) < 4 {
			return
		}
		req, err := parseRequest(reqs[int(which)%len(reqs)])
		if err != nil {
			t.Fatal(err)
		}
		s.inspectResponse(req, frame)
	})
}
