package kafkaproxy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// TestDecide: a request is decided per topic and one denied topic denies
// it whole; calls whose topics the proxy cannot read, or that name a topic
// only by id, pass only under a policy that allows everything.
func TestDecide(t *testing.T) {
	metadata := func(topics ...string) kmsg.Request {
		r := kmsg.NewPtrMetadataRequest()
		for _, tp := range topics {
			mt := kmsg.NewMetadataRequestTopic()
			if tp != "" {
				mt.Topic = kmsg.StringPtr(tp)
			} else {
				mt.TopicID = [16]byte{1}
			}
			r.Topics = append(r.Topics, mt)
		}
		r.SetVersion(12)
		return r
	}
	describeConfigs := kmsg.NewPtrDescribeConfigsRequest()
	restrictive := kafkaPolicy(policy.KafkaRule{Topic: "allowed"})
	open := kafkaPolicy(policy.KafkaRule{})
	cases := []struct {
		name string
		pol  *proxy.Policy
		msg  kmsg.Request
		want decision
	}{
		{"allowed topic", restrictive, metadata("allowed"), decision{allowed: true, topic: "allowed", policies: []string{"shop/kafka-rules"}}},
		{"mixed topics", restrictive, metadata("allowed", "denied"), decision{topic: "denied", code: 29, policies: []string{"shop/kafka-rules"}}},
		{"every topic", restrictive, metadata(), decision{allowed: true, policies: []string{"shop/kafka-rules"}}},
		{"topic by id", restrictive, metadata(""), decision{code: 31, close: true, policies: []string{"shop/kafka-rules"}}},
		{"topic by id, open policy", open, metadata(""), decision{allowed: true, policies: []string{"shop/kafka-rules"}}},
		{"unread topics", restrictive, describeConfigs, decision{code: 31, close: true, policies: []string{"shop/kafka-rules"}}},
		{"unread topics, visibility only", proxy.AllowAll(), describeConfigs, decision{allowed: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{meta: &proxy.Conn{Policy: tc.pol}, all: allowsAll(tc.pol)}
			got := s.decide(&request{key: tc.msg.Key(), version: tc.msg.GetVersion(), msg: tc.msg})
			if diff := cmp.Diff(got, tc.want, cmp.AllowUnexported(decision{})); diff != "" {
				t.Errorf("decision (-got +want):\n%s", diff)
			}
		})
	}
}

// TestDenyResponseShapes: local answers carry the error where each API
// keeps it, with the request's topics and partitions.
func TestDenyResponseShapes(t *testing.T) {
	del := kmsg.NewPtrDeleteTopicsRequest()
	del.TopicNames = []string{"a", "b"}
	del.SetVersion(3)
	body, ok := denyResponse(&request{key: 20, version: 3, correlation: 4, msg: del}, 29)
	if !ok {
		t.Fatal("no answer to DeleteTopics v3")
	}
	resp := kmsg.NewPtrDeleteTopicsResponse()
	resp.SetVersion(3)
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 2 || *resp.Topics[1].Topic != "b" || resp.Topics[1].ErrorCode != 29 {
		t.Errorf("DeleteTopics answer: %+v", resp.Topics)
	}

	of := kmsg.NewPtrOffsetFetchRequest()
	of.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{3}}}}}
	of.SetVersion(8)
	body, ok = denyResponse(&request{key: 9, version: 8, correlation: 4, msg: of}, 29)
	if !ok {
		t.Fatal("no answer to OffsetFetch v8")
	}
	ofr := kmsg.NewPtrOffsetFetchResponse()
	ofr.SetVersion(8)
	if err := ofr.ReadFrom(body[5:]); err != nil { // correlation id, empty header tags
		t.Fatal(err)
	}
	g := ofr.Groups
	if len(g) != 1 || g[0].Group != "g" || g[0].ErrorCode != 0 || g[0].Topics[0].Partitions[0].Partition != 3 || g[0].Topics[0].Partitions[0].ErrorCode != 29 {
		t.Errorf("OffsetFetch answer: %+v", g)
	}
}
