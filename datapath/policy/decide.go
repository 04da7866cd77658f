package policy

import "slices"

// Outcome is what happens to a new connection.
type Outcome uint8

const (
	// Allowed connections are forwarded.
	Allowed Outcome = iota
	// Denied connections are dropped.
	Denied
	// Audited connections are forwarded and reported with verdict AUDIT:
	// an audit policy would have dropped them.
	Audited
)

func (o Outcome) String() string {
	switch o {
	case Denied:
		return "DENIED"
	case Audited:
		return "AUDIT"
	}
	return "ALLOWED"
}

// Decision is the outcome in one direction of one endpoint, and the entry
// that decided it; Entry is nil when the direction's default decided.
type Decision struct {
	Outcome Outcome
	Entry   *Entry
}

// Decide is the reference for the datapath's lookup: the BPF program and
// this function must agree on every input (explain and the tests rely on
// it). For traffic of ep in dir with a remote identity, protocol and port
// (the ICMP type for ICMP), over entries in their sorted order:
//
//  1. an enforced deny entry that matches denies;
//  2. an enforced allow entry that matches allows, subject to step 4; if
//     none matches and the direction is enforced by some non-audit policy,
//     the default denies;
//  3. (what reaches here is forwarded) an audit deny entry that matches
//     makes the verdict AUDIT;
//  4. an enforced allow entry from step 2 allows; else an audit allow
//     entry that matches allows;
//  5. no entry matched: AUDIT if the direction is enforced (by audit
//     policies only, after step 2), else allow.
//
// Audit policies therefore never change what is forwarded; they only turn
// some forwarded verdicts into AUDIT, the ones they would have dropped.
// Replies of allowed connections never reach Decide: conntrack passes them.
func Decide(ep EndpointPolicy, dir Direction, remote uint32, proto uint8, port uint16) Decision {
	var allow, auditDeny, auditAllow *Entry
	for i := range ep.Entries {
		e := &ep.Entries[i]
		if e.Direction != dir || !e.Matches(remote, proto, port) {
			continue
		}
		switch {
		case e.Deny && !e.Audit:
			return Decision{Outcome: Denied, Entry: e}
		case e.Deny:
			auditDeny = first(auditDeny, e)
		case !e.Audit:
			allow = first(allow, e)
		default:
			auditAllow = first(auditAllow, e)
		}
	}
	switch {
	case allow == nil && ep.Enforced(dir) && !ep.Audit(dir):
		return Decision{Outcome: Denied}
	case auditDeny != nil:
		return Decision{Outcome: Audited, Entry: auditDeny}
	case allow != nil:
		return Decision{Outcome: Allowed, Entry: allow}
	case auditAllow != nil:
		return Decision{Outcome: Allowed, Entry: auditAllow}
	case ep.Enforced(dir):
		return Decision{Outcome: Audited}
	}
	return Decision{Outcome: Allowed}
}

func first(have, e *Entry) *Entry {
	if have != nil {
		return have
	}
	return e
}

// DecideL7 is the L7 policy of connections of ep in dir with a remote
// identity, protocol and port: nil when no allow entry that matches has L7
// rules (the connection is not proxied), else the union of the matching
// allow entries' L7 rules, open (AllowAll) when one of them has none.
// Audit entries count as allows here: an audit policy's L7 rules are
// enforced by nothing, so they make the port visible, not restricted.
func DecideL7(ep EndpointPolicy, dir Direction, remote uint32, proto uint8, port uint16) *L7Set {
	var out *L7Set
	plain := false
	for i := range ep.Entries {
		e := &ep.Entries[i]
		if e.Direction != dir || e.Deny || !e.Matches(remote, proto, port) {
			continue
		}
		switch {
		case e.L7 == nil:
			plain = true
		case e.Audit:
			plain = true
			out = mergeL7(out, &L7Set{AllowAll: true})
		default:
			if out == nil {
				out = &L7Set{}
			}
			out = &L7Set{AllowAll: out.AllowAll || e.L7.AllowAll, Grants: append(slices.Clone(out.Grants), e.L7.Grants...)}
		}
	}
	if out != nil && plain {
		out.AllowAll = true
	}
	return out
}
