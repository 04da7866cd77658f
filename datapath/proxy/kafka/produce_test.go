package kafkaproxy

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// TestProduceAllowedAndDeniedOnOneConnection is the scenario: a
// producer may write topic "allowed" and not "denied". Through the proxy,
// the allowed produce succeeds, the denied one fails with
// TOPIC_AUTHORIZATION_FAILED as the application sees it, and a produce
// after it succeeds again, all on one connection; flows say so.
func TestProduceAllowedAndDeniedOnOneConnection(t *testing.T) {
	f := newFixture(t, Config{}, kafkaPolicy(
		policy.KafkaRule{Role: "produce", Topic: "allowed"},
		policy.KafkaRule{APIKey: "metadata"}, // every topic's metadata, so the client gets as far as Produce
	))
	cl := f.client(kgo.RecordRetries(1))
	ctx := context.Background()

	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "allowed", Value: []byte("one")}).FirstErr(); err != nil {
		t.Fatalf("produce to an allowed topic: %v", err)
	}
	err := cl.ProduceSync(ctx, &kgo.Record{Topic: "denied", Value: []byte("two")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to a denied topic: got %v, want %v", err, kerr.TopicAuthorizationFailed)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "allowed", Value: []byte("three")}).FirstErr(); err != nil {
		t.Fatalf("produce to an allowed topic after a denial: %v", err)
	}

	produce := f.kafkaFlows("produce")
	reqs := only(produce, isType(flow.L7FlowType_REQUEST))
	resps := only(produce, isType(flow.L7FlowType_RESPONSE))
	if len(reqs) != 3 || len(resps) != 2 {
		t.Fatalf("produce flows: %d requests and %d responses, want 3 and 2", len(reqs), len(resps))
	}
	want := []struct {
		verdict flow.Verdict
		topic   string
		code    int32
	}{
		{flow.Verdict_FORWARDED, "allowed", 0},
		{flow.Verdict_DROPPED, "denied", 29},
		{flow.Verdict_FORWARDED, "allowed", 0},
	}
	port := reqs[0].GetL4().GetTcp().GetSourcePort()
	for i, r := range reqs {
		k := r.GetL7().GetKafka()
		if r.Verdict != want[i].verdict || k.Topic != want[i].topic || k.ErrorCode != want[i].code {
			t.Errorf("request %d: verdict %v topic %q error %d, want %v %q %d", i, r.Verdict, k.Topic, k.ErrorCode,
				want[i].verdict, want[i].topic, want[i].code)
		}
		// The proxy caps Produce at the last version that names topics.
		if r.EventType != flow.EventType_L7 || r.IsReply || k.ApiVersion < 3 || k.ApiVersion > int32(versionCaps[0]) || k.CorrelationId == 0 && i > 0 {
			t.Errorf("request %d: event %v reply %v version %d correlation %d", i, r.EventType, r.IsReply, k.ApiVersion, k.CorrelationId)
		}
		if got := r.GetL4().GetTcp().GetSourcePort(); got != port {
			t.Errorf("request %d came on source port %d, the first on %d: want one connection", i, got, port)
		}
		if r.GetSource().GetIdentity() != 1001 || r.GetDestination().GetIdentity() != 1002 || r.TrafficDirection != flow.TrafficDirection_EGRESS {
			t.Errorf("request %d: identities %d -> %d, direction %v", i, r.GetSource().GetIdentity(), r.GetDestination().GetIdentity(), r.TrafficDirection)
		}
		if len(r.PolicyNames) != 1 || r.PolicyNames[0] != "shop/kafka-rules" {
			t.Errorf("request %d: policy names %v", i, r.PolicyNames)
		}
	}
	if reqs[1].DropReason != flow.DropReason_POLICY_DENIED {
		t.Errorf("denied request: drop reason %v", reqs[1].DropReason)
	}
	for i, r := range resps {
		k, req := r.GetL7().GetKafka(), []*flow.Flow{reqs[0], reqs[2]}[i].GetL7().GetKafka()
		if r.Verdict != flow.Verdict_FORWARDED || !r.IsReply || k.ErrorCode != 0 || k.Topic != "allowed" {
			t.Errorf("response %d: verdict %v reply %v error %d topic %q", i, r.Verdict, r.IsReply, k.ErrorCode, k.Topic)
		}
		if k.CorrelationId != req.CorrelationId || k.ApiVersion != req.ApiVersion {
			t.Errorf("response %d: correlation %d version %d, request's %d %d", i, k.CorrelationId, k.ApiVersion, req.CorrelationId, req.ApiVersion)
		}
		if r.GetL7().GetLatencyNs() == 0 {
			t.Errorf("response %d: no latency", i)
		}
		if r.GetL4().GetTcp().GetDestinationPort() != port {
			t.Errorf("response %d: to port %d, want the client's %d", i, r.GetL4().GetTcp().GetDestinationPort(), port)
		}
	}
}
