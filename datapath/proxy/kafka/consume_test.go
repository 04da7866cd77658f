package kafkaproxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// fetchFrom asks broker 0 for partition 0 of topic from offset 0, and
// returns the partition's error code.
func fetchFrom(t *testing.T, cl *kgo.Client, topic string) int16 {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl.Broker(0))
	if err != nil {
		t.Fatalf("fetch %s: %v", topic, err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch %s: %d topics in the response, want one with one partition", topic, len(resp.Topics))
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// listOffsets asks for the end offset of partition 0 of topic and returns
// the partition's error code.
func listOffsets(t *testing.T, cl *kgo.Client, topic string) int16 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl.Broker(0))
	if err != nil {
		t.Fatalf("list offsets of %s: %v", topic, err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || resp.Topics[0].Topic != topic {
		t.Fatalf("list offsets of %s: answer %+v", topic, resp.Topics)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// TestConsumeAllowedAndDenied: a consumer of "allowed" reads what was
// produced there through the proxy; fetching or listing offsets of
// "denied" is answered TOPIC_AUTHORIZATION_FAILED per partition, a fetch
// of "allowed" after that passes again, and the fetch flows say which was
// which.
func TestConsumeAllowedAndDenied(t *testing.T) {
	f := newFixture(t, Config{}, kafkaPolicy(
		policy.KafkaRule{Role: "produce", Topic: "allowed"},
		policy.KafkaRule{Role: "consume", Topic: "allowed"},
		policy.KafkaRule{APIKey: "metadata"},
	))
	ctx := context.Background()
	if err := f.client().ProduceSync(ctx, &kgo.Record{Topic: "allowed", Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	cl := f.client(kgo.ConsumeTopics("allowed"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond)) // the test's own fetches queue behind the consumer's
	var got []string
	for len(got) == 0 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume allowed: %v", err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if got[0] != "hello" {
		t.Fatalf("consumed %q, want hello", got)
	}

	if code := listOffsets(t, cl, "denied"); code != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("list offsets of denied: error %d, want %d", code, kerr.TopicAuthorizationFailed.Code)
	}
	if code := fetchFrom(t, cl, "denied"); code != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("fetch from denied: error %d, want %d", code, kerr.TopicAuthorizationFailed.Code)
	}
	if code := fetchFrom(t, cl, "allowed"); code != 0 {
		t.Errorf("fetch from allowed after a denial: error %d", code)
	}

	var allowed, denied int
	for _, fl := range only(f.kafkaFlows("fetch"), isType(flow.L7FlowType_REQUEST)) {
		switch k := fl.GetL7().GetKafka(); {
		case k.Topic == "allowed" && fl.Verdict == flow.Verdict_FORWARDED:
			allowed++
		case k.Topic == "denied" && fl.Verdict == flow.Verdict_DROPPED && k.ErrorCode == 29:
			denied++
		case k.Topic == "" && fl.Verdict == flow.Verdict_FORWARDED:
			// An incremental fetch of a fetch session names no topic;
			// the session holds only partitions allowed before.
		default:
			t.Errorf("fetch flow: %v %v", fl.Verdict, k)
		}
	}
	if allowed < 2 || denied != 1 {
		t.Errorf("fetch flows: %d allowed, %d denied; want at least 2 and 1", allowed, denied)
	}
	lo := only(f.kafkaFlows("listoffsets"), func(fl *flow.Flow) bool { return fl.Verdict == flow.Verdict_DROPPED })
	if len(lo) != 1 || lo[0].GetL7().GetKafka().Topic != "denied" {
		t.Errorf("list offsets drops: %v", lo)
	}
}

// TestRoles: a consume-only client cannot produce, a produce-only client
// cannot fetch nor join a group (answered GROUP_AUTHORIZATION_FAILED), and
// the calls every client makes pass for both.
func TestRoles(t *testing.T) {
	ctx := context.Background()
	t.Run("consume", func(t *testing.T) {
		f := newFixture(t, Config{}, kafkaPolicy(policy.KafkaRule{Role: "consume"}))
		cl := f.client(kgo.DisableIdempotentWrite(), kgo.RecordRetries(1))
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: "allowed", Value: []byte("x")}).FirstErr()
		if !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Errorf("produce as a consumer: got %v, want %v", err, kerr.TopicAuthorizationFailed)
		}
		if code := fetchFrom(t, cl, "allowed"); code != 0 {
			t.Errorf("fetch as a consumer: error %d", code)
		}
	})
	t.Run("produce", func(t *testing.T) {
		f := newFixture(t, Config{}, kafkaPolicy(policy.KafkaRule{Role: "produce"}))
		cl := f.client()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "allowed", Value: []byte("x")}).FirstErr(); err != nil {
			t.Errorf("produce as a producer: %v", err)
		}
		if code := fetchFrom(t, cl, "allowed"); code != kerr.TopicAuthorizationFailed.Code {
			t.Errorf("fetch as a producer: error %d, want %d", code, kerr.TopicAuthorizationFailed.Code)
		}
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group = "g"
		join.SessionTimeoutMillis = 30000
		join.RebalanceTimeoutMillis = 30000
		join.ProtocolType = "consumer"
		join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
		resp, err := join.RequestWith(ctx, cl.Broker(0))
		if err != nil {
			t.Fatalf("join group: %v", err)
		}
		if resp.ErrorCode != kerr.GroupAuthorizationFailed.Code {
			t.Errorf("join group as a producer: error %d, want %d", resp.ErrorCode, kerr.GroupAuthorizationFailed.Code)
		}
		drops := only(f.kafkaFlows("joingroup"), func(fl *flow.Flow) bool { return fl.Verdict == flow.Verdict_DROPPED })
		if len(drops) != 1 || drops[0].GetL7().GetKafka().ErrorCode != 30 {
			t.Errorf("join group flows: %v", drops)
		}
	})
}
