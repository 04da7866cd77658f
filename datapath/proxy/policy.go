package proxy

import (
	"net/http"

	"github.com/loupe-dev/loupe/datapath/policy"
)

// Policy is the L7 policy of one connection. A connection is redirected
// when the client's egress, the server's ingress, or both, have L7 rules
// for it; one pass through the proxy enforces both, and a request passes
// only if every direction under L7 policy allows it.
type Policy struct {
	// Egress is the client endpoint's L7 policy for this server and port,
	// Ingress the server endpoint's for this client; nil when that
	// direction has no L7 rules here.
	Egress, Ingress *policy.L7Set
}

// AllowAll is a policy that allows every request: visibility only, and
// handler tests.
func AllowAll() *Policy {
	return &Policy{Egress: &policy.L7Set{AllowAll: true}}
}

// Verdict is a policy's answer for one request.
type Verdict struct {
	Allowed bool
	// Policies are the keys of the policies whose rules allowed the
	// request, or, when denied, those of the direction that denied it.
	Policies []string
}

func (p *Policy) decide(match func(r *policy.L7Rules) bool) Verdict {
	v := Verdict{Allowed: true}
	for _, set := range []*policy.L7Set{p.Egress, p.Ingress} {
		if set == nil {
			continue
		}
		ok, names := set.Allows(match)
		v.Policies = AppendPolicies(v.Policies, names...)
		if !ok {
			return Verdict{Allowed: false, Policies: set.PolicyNames()}
		}
	}
	return v
}

// HTTP decides an HTTP request (gRPC: method POST, path /package.Service/Method).
func (p *Policy) HTTP(method, host, path string, h http.Header) Verdict {
	return p.decide(func(r *policy.L7Rules) bool {
		for i := range r.HTTP {
			if r.HTTP[i].Matches(method, host, path, h) {
				return true
			}
		}
		return false
	})
}

// DNS decides a query for name.
func (p *Policy) DNS(name string) Verdict {
	return p.decide(func(r *policy.L7Rules) bool {
		for i := range r.DNS {
			if r.DNS[i].Matches(name) {
				return true
			}
		}
		return false
	})
}

// Kafka decides a request with an API key, the topic it names ("" when it
// names none) and the client id. A request naming several topics is
// decided per topic by the caller.
func (p *Policy) Kafka(apiKey int16, topic, clientID string) Verdict {
	return p.decide(func(r *policy.L7Rules) bool {
		for i := range r.Kafka {
			if r.Kafka[i].Matches(apiKey, topic, clientID) {
				return true
			}
		}
		return false
	})
}

// AppendPolicies adds policy names to list, each once.
func AppendPolicies(list []string, names ...string) []string {
next:
	for _, n := range names {
		for _, have := range list {
			if have == n {
				continue next
			}
		}
		list = append(list, n)
	}
	return list
}
