package kafkaproxy

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// allowsAll reports whether a connection's policy allows every request:
// each direction under L7 policy is open, or has an empty Kafka rule (which
// matches everything). Only then may calls the proxy cannot read pass.
func allowsAll(p *proxy.Policy) bool {
	for _, set := range []*policy.L7Set{p.Egress, p.Ingress} {
		if set == nil || set.AllowAll {
			continue
		}
		open := false
		for _, g := range set.Grants {
			if g.Rules == nil {
				continue
			}
			for _, r := range g.Rules.Kafka {
				open = open || r == (policy.KafkaRule{})
			}
		}
		if !open {
			return false
		}
	}
	return true
}

// denyAll is the policy of a connection that came without one: fail
// closed.
func denyAll() *proxy.Policy {
	return &proxy.Policy{Egress: &policy.L7Set{}}
}

// decision is what becomes of one request.
type decision struct {
	allowed  bool
	topic    string // the first topic, or the first denied one
	policies []string
	code     int16 // the error a denied request is answered with
	close    bool  // drop the connection instead of answering
}

// Kafka error codes the proxy answers with.
const (
	errTopicAuthorization   int16 = 29
	errGroupAuthorization   int16 = 30
	errClusterAuthorization int16 = 31
	errTxnAuthorization     int16 = 53
)

// decide applies the policy to a parsed request (req.msg set).
func (s *session) decide(req *request) decision {
	topics, known := requestTopics(req.msg)
	if !known {
		return s.decideOpaque(req)
	}
	for _, t := range topics {
		if t == "" {
			return s.decideOpaque(req)
		}
	}
	d := decision{allowed: true}
	if len(topics) == 0 {
		topics = []string{""}
	}
	d.topic = topics[0]
	for _, t := range topics {
		v := s.meta.Policy.Kafka(req.key, t, req.clientID)
		if !v.Allowed {
			code := errTopicAuthorization
			if t == "" {
				code = topLevelDenial(req)
			}
			return decision{topic: t, policies: v.Policies, code: code}
		}
		d.policies = proxy.AppendPolicies(d.policies, v.Policies...)
	}
	return d
}

// decideOpaque decides a request the proxy cannot read the topics of: it
// passes only when the policy allows everything, else the connection is
// dropped (there is no sound answer to give).
func (s *session) decideOpaque(req *request) decision {
	if s.all {
		v := s.meta.Policy.Kafka(req.key, "", req.clientID)
		return decision{allowed: true, policies: v.Policies}
	}
	return decision{code: errClusterAuthorization, close: true, policies: s.denyingPolicies()}
}

func (s *session) denyingPolicies() []string {
	for _, set := range []*policy.L7Set{s.meta.Policy.Egress, s.meta.Policy.Ingress} {
		if set != nil && !set.AllowAll {
			return set.PolicyNames()
		}
	}
	return nil
}

// topLevelDenial is the authorization error of a call without topics, as
// a broker would give it: group calls name the group, transactional calls
// the transactional id; an idempotent producer's InitProducerID without one
// asks for a cluster permission.
func topLevelDenial(req *request) int16 {
	switch req.key {
	case 10, 11, 12, 13, 14, 15, 16, 42:
		return errGroupAuthorization
	case 22:
		if r, ok := req.msg.(*kmsg.InitProducerIDRequest); ok && r.TransactionalID == nil {
			return errClusterAuthorization
		}
		return errTxnAuthorization
	case 25, 26:
		return errTxnAuthorization
	}
	return errClusterAuthorization
}
