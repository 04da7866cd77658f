package policy

import (
	"fmt"
	"strings"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// l7Rules validates toPorts[].rules: one protocol, each rule checked.
func (b *builder) l7Rules(v yamlpos.Value[l7Spec], what string) *L7Rules {
	s := v.V
	kinds := 0
	for _, n := range []int{len(s.HTTP), len(s.DNS), len(s.Kafka)} {
		if n > 0 {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		b.addf(v.Line, "%s: no rules; write http, dns or kafka rules (http: [{}] observes without restricting)", what)
		return nil
	case kinds > 1:
		b.addf(v.Line, "%s: one protocol per port rule; split http, dns and kafka into separate toPorts entries", what)
		return nil
	}
	out := &L7Rules{}
	ok := true
	for i, h := range s.HTTP {
		r := HTTPRule{Method: h.V.Method.V, Path: h.V.Path.V, Host: h.V.Host.V}
		for _, hd := range h.V.Headers {
			r.Headers = append(r.Headers, hd.V)
		}
		for _, msg := range r.compile() {
			b.addf(h.Line, "%s.http[%d].%s", what, i, msg)
			ok = false
		}
		out.HTTP = append(out.HTTP, r)
	}
	for i, d := range s.DNS {
		r := DNSRule{MatchName: d.V.MatchName.V, MatchPattern: d.V.MatchPattern.V}
		if r.MatchPattern != "" {
			p, msg := CompileNamePattern(r.MatchPattern)
			if msg != "" {
				b.addf(d.V.MatchPattern.LineOr(d.Line), "%s.dns[%d].matchPattern %q: %s", what, i, r.MatchPattern, msg)
				ok = false
			}
			r.pattern = p
		}
		if r.MatchName != "" && !validNamePattern.MatchString(r.MatchName) || strings.Contains(r.MatchName, "*") {
			b.addf(d.V.MatchName.LineOr(d.Line), "%s.dns[%d].matchName %q: want a DNS name; use matchPattern for wildcards", what, i, r.MatchName)
			ok = false
		}
		out.DNS = append(out.DNS, r)
	}
	for i, k := range s.Kafka {
		r := KafkaRule{Role: k.V.Role.V, APIKey: k.V.APIKey.V, Topic: k.V.Topic.V, ClientID: k.V.ClientID.V}
		if r.Role != "" && kafkaRoles[strings.ToLower(r.Role)] == nil {
			b.addf(k.V.Role.LineOr(k.Line), "%s.kafka[%d].role %q: want produce or consume", what, i, r.Role)
			ok = false
		}
		if _, known := KafkaAPIKeys[strings.ToLower(r.APIKey)]; r.APIKey != "" && !known {
			b.addf(k.V.APIKey.LineOr(k.Line), "%s.kafka[%d].apiKey %q: unknown; want one of produce, fetch, metadata, listoffsets, offsetcommit, offsetfetch, findcoordinator, joingroup, heartbeat, leavegroup, syncgroup, apiversions", what, i, r.APIKey)
			ok = false
		}
		if r.Role != "" && r.APIKey != "" {
			b.addf(k.Line, "%s.kafka[%d]: role and apiKey exclude each other; write one", what, i)
			ok = false
		}
		out.Kafka = append(out.Kafka, r)
	}
	if !ok {
		return nil
	}
	return out
}

// fqdn validates one toFQDNs entry.
func (b *builder) fqdn(v yamlpos.Value[fqdnSpec], what string) (FQDNSelector, bool) {
	s := FQDNSelector{MatchName: v.V.MatchName.V, MatchPattern: v.V.MatchPattern.V}
	switch {
	case (s.MatchName == "") == (s.MatchPattern == ""):
		b.addf(v.Line, "%s: write one of matchName and matchPattern", what)
		return s, false
	case s.MatchName != "" && (!validNamePattern.MatchString(s.MatchName) || strings.Contains(s.MatchName, "*")):
		b.addf(v.V.MatchName.LineOr(v.Line), "%s.matchName %q: want a DNS name; use matchPattern for wildcards", what, s.MatchName)
		return s, false
	case s.MatchPattern != "":
		p, msg := CompileNamePattern(s.MatchPattern)
		if msg != "" {
			b.addf(v.V.MatchPattern.LineOr(v.Line), "%s.matchPattern %q: %s", what, s.MatchPattern, msg)
			return s, false
		}
		s.pattern = p
	}
	return s, true
}

// NewHTTPRule compiles an HTTP rule outside a policy file (tests, tools).
func NewHTTPRule(r HTTPRule) (HTTPRule, error) {
	if bad := r.compile(); len(bad) > 0 {
		return r, fmt.Errorf("http rule: %s", strings.Join(bad, "; "))
	}
	return r, nil
}

// NewDNSRule compiles a DNS rule outside a policy file (tests, tools).
func NewDNSRule(r DNSRule) (DNSRule, error) {
	if r.MatchPattern != "" {
		p, msg := CompileNamePattern(r.MatchPattern)
		if msg != "" {
			return r, fmt.Errorf("dns rule: matchPattern %q: %s", r.MatchPattern, msg)
		}
		r.pattern = p
	}
	return r, nil
}

// NewFQDNSelector compiles a selector outside a policy file.
func NewFQDNSelector(name, pattern string) (FQDNSelector, error) {
	s := FQDNSelector{MatchName: name, MatchPattern: pattern}
	if pattern != "" {
		p, msg := CompileNamePattern(pattern)
		if msg != "" {
			return s, fmt.Errorf("fqdn selector: matchPattern %q: %s", pattern, msg)
		}
		s.pattern = p
	}
	return s, nil
}
