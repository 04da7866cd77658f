package kafkaproxy

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicAPIs are the calls whose topics the proxy reads and decides one by
// one. Every list of them has the same shape in kmsg (Topics[].Topic), which
// lets one reflective walk read them all.
var topicAPIs = map[int16]bool{
	0: true, 1: true, 2: true, 3: true, // Produce, Fetch, ListOffsets, Metadata
	8: true, 9: true, // OffsetCommit, OffsetFetch
	19: true, 20: true, 21: true, // CreateTopics, DeleteTopics, DeleteRecords
	23: true, 28: true, // OffsetForLeaderEpoch, TxnOffsetCommit
	37: true, 47: true, // CreatePartitions, OffsetDelete
}

// topiclessAPIs name no topic; they are decided with topic "".
var topiclessAPIs = map[int16]bool{
	10: true, 11: true, 12: true, 13: true, 14: true, // coordinator, group membership
	15: true, 16: true, 42: true, // DescribeGroups, ListGroups, DeleteGroups
	17: true, 18: true, 36: true, // SaslHandshake, ApiVersions, SaslAuthenticate
	22: true, 25: true, 26: true, // InitProducerID, AddOffsetsToTxn, EndTxn
	60: true, 71: true, 72: true, // DescribeCluster, telemetry
}

// requestTopics lists the topics a request names, in order, "" for one
// named only by id. known is false for a call whose topics the proxy does
// not read.
func requestTopics(msg kmsg.Request) (topics []string, known bool) {
	k := msg.Key()
	if topiclessAPIs[k] {
		return nil, true
	}
	if !topicAPIs[k] {
		return nil, false
	}
	v := reflect.ValueOf(msg).Elem()
	if names := v.FieldByName("TopicNames"); names.IsValid() {
		topics = append(topics, names.Interface().([]string)...)
	}
	topics = appendTopics(topics, v.FieldByName("Topics"))
	if groups := v.FieldByName("Groups"); groups.IsValid() && groups.Kind() == reflect.Slice {
		for i := range groups.Len() {
			topics = appendTopics(topics, groups.Index(i).FieldByName("Topics"))
		}
	}
	return topics, true
}

func appendTopics(topics []string, list reflect.Value) []string {
	if !list.IsValid() || list.Kind() != reflect.Slice {
		return topics
	}
	for i := range list.Len() {
		topics = append(topics, topicName(list.Index(i).FieldByName("Topic")))
	}
	return topics
}

// topicName reads a Topic field, a string or a nullable one.
func topicName(f reflect.Value) string {
	switch {
	case !f.IsValid():
		return ""
	case f.Kind() == reflect.String:
		return f.String()
	case f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String:
		return f.Elem().String()
	}
	return ""
}
