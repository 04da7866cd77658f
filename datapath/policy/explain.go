package policy

import (
	"fmt"
	"strings"
)

// Peer is one side of a connection to explain.
type Peer struct {
	// Name is how messages call the peer ("shop/frontend", "world").
	Name string
	// Local tells that the peer is a local endpoint, Endpoint its ID:
	// only local endpoints have policy enforced on them.
	Local    bool
	Endpoint uint16
	// Identity is what the other side's datapath sees.
	Identity uint32
}

// Step is the decision of one side: the sender's egress or the receiver's
// ingress.
type Step struct {
	// Checked is false when the side is not a local endpoint: nothing
	// enforces policy there.
	Checked bool
	Decision
	Reason string
}

// Verdict explains a hypothetical new connection.
type Verdict struct {
	Outcome         Outcome
	Egress, Ingress Step
	// Side is the direction whose step decided, Reason that step's reason.
	Side   Direction
	Reason string
}

// Explain traces a new connection from one peer to another through res,
// the same Result the datapath enforces: the sender's egress, then the
// receiver's ingress, each decided by Decide. A denial on either side denies
// (the sender's egress reported first), then an audit on either side audits.
func Explain(res *Result, from, to Peer, proto uint8, port uint16) Verdict {
	l4 := describeL4(proto, port)
	eg := step(res, from, to, Egress, l4, proto, port)
	in := step(res, to, from, Ingress, l4, proto, port)
	v := Verdict{Egress: eg, Ingress: in}
	switch {
	case eg.Outcome == Denied:
		v.Outcome, v.Side = Denied, Egress
	case in.Outcome == Denied:
		v.Outcome, v.Side = Denied, Ingress
	case eg.Outcome == Audited:
		v.Outcome, v.Side = Audited, Egress
	case in.Outcome == Audited:
		v.Outcome, v.Side = Audited, Ingress
	// Allowed on both sides: a rule says more than a default, and the
	// receiver's rule more than the sender's.
	case in.Entry != nil || (eg.Entry == nil && (in.Checked || !eg.Checked)):
		v.Outcome, v.Side = Allowed, Ingress
	default:
		v.Outcome, v.Side = Allowed, Egress
	}
	v.Reason = v.Step().Reason
	return v
}

// Step returns the step that decided.
func (v Verdict) Step() Step {
	if v.Side == Egress {
		return v.Egress
	}
	return v.Ingress
}

// step decides for self (the side enforcing dir) talking to remote.
func step(res *Result, self, remote Peer, dir Direction, l4 string, proto uint8, port uint16) Step {
	if !self.Local {
		return Step{Reason: fmt.Sprintf("%s is not a local endpoint: nothing enforces its %s", self.Name, dir)}
	}
	ep := res.Endpoints[self.Endpoint]
	d := Decide(ep, dir, remote.Identity, proto, port)
	s := Step{Checked: true, Decision: d}
	who := fmt.Sprintf("%s %s", remote.Name, l4)
	if dir == Egress {
		who = fmt.Sprintf("to %s", who)
	} else {
		who = fmt.Sprintf("from %s", who)
	}
	switch {
	case d.Entry != nil && d.Outcome == Audited:
		s.Reason = fmt.Sprintf("audit: %s would deny %s", d.Entry.RuleName(), who)
	case d.Entry != nil && d.Outcome == Denied:
		s.Reason = fmt.Sprintf("denied by %s", d.Entry.RuleName())
	case d.Entry != nil && d.Entry.Audit:
		s.Reason = fmt.Sprintf("allowed by %s (audit policy)", d.Entry.RuleName())
	case d.Entry != nil:
		s.Reason = fmt.Sprintf("allowed by %s", d.Entry.RuleName())
	case d.Outcome == Denied:
		s.Reason = fmt.Sprintf("default deny: %s %s %s for %s but no rule allows %s",
			strings.Join(ep.Policies(dir), ", "), selectVerb(ep.Policies(dir)), self.Name, dir, who)
	case d.Outcome == Audited:
		s.Reason = fmt.Sprintf("audit: default deny: audit policy %s %s %s for %s but no rule allows %s",
			strings.Join(ep.Policies(dir), ", "), selectVerb(ep.Policies(dir)), self.Name, dir, who)
	default:
		s.Reason = fmt.Sprintf("default allow: no policy selects %s for %s", self.Name, dir)
	}
	return s
}

func selectVerb(names []string) string {
	if len(names) == 1 {
		return "selects"
	}
	return "select"
}

// describeL4 is "5432/TCP", "ICMP type 8" or "any protocol".
func describeL4(proto uint8, port uint16) string {
	switch {
	case proto == ProtoAny:
		return "on any protocol"
	case isICMP(proto):
		return fmt.Sprintf("with %s type %d", ProtoName(proto), port)
	}
	return fmt.Sprintf("on %d/%s", port, ProtoName(proto))
}

// Locate returns "file:line" of the rule an entry comes from, for messages;
// "" when policies do not hold it.
func Locate(policies []*Policy, e *Entry) string {
	if e == nil {
		return ""
	}
	for _, p := range policies {
		if p.Key() != e.Policy {
			continue
		}
		rules := p.Rules(e.Direction, e.Deny)
		if e.Rule < len(rules) {
			return fmt.Sprintf("%s:%d", p.File, rules[e.Rule].Line)
		}
	}
	return ""
}
