/* Policy decisions for the first packet of a connection: deny rules first
 * (any match denies), then allow rules; no match is a deny when the
 * endpoint's direction is enforced, an allow otherwise. The agent's Go
 * mirror of this order (datapath/policy.Decide) explains decisions. */
#pragma once

#include "conntrack.h"
#include "events.h"
#include "maps.h"

#define PORT_PREFIX_MAX 16

struct policy_result {
	__u8 verdict;     /* VERDICT_FORWARDED, VERDICT_DROPPED or VERDICT_AUDIT */
	__u8 drop_reason; /* when dropped or audited */
	__u8 match_type;  /* MATCH_* */
	__u8 enforced;    /* the direction is under policy */
	__u8 flags;       /* the endpoint's POLICY_F_* */
	__u8 proxy;       /* L7 parser of the deciding allow: redirect; 0 none */
	__u32 rule_id;
};

/* policy_port is the port a rule keys on: ICMP rules key on type + 1, so
 * that port 0 keeps meaning "any". */
static __always_inline __u16 policy_port(const struct packet *p)
{
	if (p->key.proto == IPPROTO_ICMP || p->key.proto == IPPROTO_ICMPV6)
		return (__u16)p->icmp_type + 1;
	return p->key.dport;
}

/* match_type_of names how specific the matching key was. */
static __always_inline __u8 match_type_of(__u32 identity, __u8 proto)
{
	if (identity)
		return proto ? MATCH_L3_L4 : MATCH_L3_ONLY;
	return proto ? MATCH_L4_ONLY : MATCH_ALL;
}

/* policy_match remembers the first (most specific) matching key of each
 * kind of entry. */
struct policy_match {
	__u32 rule;
	__u8 match_type;
	__u8 found;
	__u8 proxy;
};

static __always_inline void remember(struct policy_match *m, __u32 rule, __u8 match_type, __u8 proxy)
{
	if (!m->found) {
		m->rule = rule;
		m->match_type = match_type;
		m->proxy = proxy;
		m->found = 1;
	}
}

static __always_inline void collect(const struct policy_value *v, __u8 match_type, struct policy_match *deny,
				    struct policy_match *audit_deny, struct policy_match *allow,
				    struct policy_match *audit_allow)
{
	if (v->flags & PV_DENY)
		remember(deny, v->deny_rule, match_type, 0);
	if (v->flags & PV_AUDIT_DENY)
		remember(audit_deny, v->deny_rule, match_type, 0);
	if (v->flags & PV_ALLOW)
		remember(allow, v->allow_rule, match_type, v->proxy);
	if (v->flags & PV_AUDIT_ALLOW)
		remember(audit_allow, v->allow_rule, match_type, v->proxy);
}

/* decide_ctx is the state of one decision, shared with the per-prefix
 * lookups that bpf_loop runs (verified once, not once per unrolled path). */
struct decide_ctx {
	struct policy_key k;
	__u32 prefixes;
	__u16 port;
	struct policy_match deny, audit_deny, allow, audit_allow;
};

static __always_inline void lookup_collect(struct decide_ctx *c)
{
	struct policy_value *v = bpf_map_lookup_elem(&policy, &c->k);

	if (v)
		collect(v, match_type_of(c->k.identity, c->k.proto), &c->deny, &c->audit_deny, &c->allow,
			&c->audit_allow);
}

/* lookup_prefix looks up the port masked to prefix length 16 - i. */
static long lookup_prefix(__u32 i, void *data)
{
	struct decide_ctx *c = data;
	__u32 plen = PORT_PREFIX_MAX - i;

	if (i > PORT_PREFIX_MAX)
		return 1;
	if (!(c->prefixes & (1U << plen)))
		return 0;
	c->k.prefix = plen;
	c->k.port = plen ? c->port & (__u16)(0xffff << (PORT_PREFIX_MAX - plen)) : 0;
	lookup_collect(c);
	return 0;
}

/* policy_decide follows datapath/policy.Decide:
 *  1. an enforcing deny matches: dropped (POLICY_DENY);
 *  2. no enforcing allow matches and a non-audit policy enforces the
 *     direction: dropped by default (POLICY_DENIED);
 *  3. an audit deny matches: forwarded, verdict AUDIT;
 *  4. an allow (enforcing, else audit) matches: forwarded;
 *  5. nothing matched: AUDIT if audit policies enforce the direction, else
 *     forwarded. */
static __always_inline void policy_decide(const struct packet *p, __u16 ep, __u8 dir, __u32 remote,
					  struct policy_result *res)
{
	__u32 zero = 0;
	struct policy_state *st = bpf_map_lookup_elem(&policy_slot, &zero);
	__u8 slot = st ? (__u8)st->slot : 0;

	res->verdict = VERDICT_FORWARDED;
	struct policy_endpoint_key pek = { .endpoint_id = ep, .slot = slot };
	struct policy_endpoint *pe = bpf_map_lookup_elem(&policy_endpoints, &pek);
	if (!pe)
		return;
	res->flags = pe->flags;
	__u32 enforced_flag = dir == DIR_INGRESS ? POLICY_F_INGRESS : POLICY_F_EGRESS;
	__u32 audit_flag = dir == DIR_INGRESS ? POLICY_F_INGRESS_AUDIT : POLICY_F_EGRESS_AUDIT;
	__u32 deny_flag = dir == DIR_INGRESS ? POLICY_F_INGRESS_DENY : POLICY_F_EGRESS_DENY;
	__u32 proxy_flag = dir == DIR_INGRESS ? POLICY_F_INGRESS_PROXY : POLICY_F_EGRESS_PROXY;
	/* Deny rules apply, and L7 rules redirect, even where no policy puts
	 * the direction into default deny; without any, nothing to decide. */
	if (!(pe->flags & (enforced_flag | deny_flag | proxy_flag)))
		return;
	int enforced = (pe->flags & enforced_flag) != 0;

	struct decide_ctx c = {
		.k = { .endpoint_id = ep, .dir = dir, .slot = slot },
		.prefixes = pe->port_prefixes,
		.port = policy_port(p),
	};
	/* The remote identity, then any identity: this protocol by port
	 * prefix (most specific first), then any protocol. */
	c.k.identity = remote;
	c.k.proto = p->key.proto;
	bpf_loop(PORT_PREFIX_MAX + 1, lookup_prefix, &c, 0);
	c.k.proto = 0;
	c.k.prefix = 0;
	c.k.port = 0;
	lookup_collect(&c);
	c.k.identity = 0;
	c.k.proto = p->key.proto;
	bpf_loop(PORT_PREFIX_MAX + 1, lookup_prefix, &c, 0);
	c.k.proto = 0;
	c.k.prefix = 0;
	c.k.port = 0;
	lookup_collect(&c);

	if (c.deny.found) {
		res->enforced = 1;
		res->verdict = VERDICT_DROPPED;
		res->drop_reason = DROP_POLICY_DENY;
		res->rule_id = c.deny.rule;
		res->match_type = c.deny.match_type;
		return;
	}
	if (!enforced) {
		if (c.audit_deny.found) {
			res->enforced = 1; /* report the verdict */
			res->verdict = VERDICT_AUDIT;
			res->drop_reason = DROP_POLICY_DENY;
			res->rule_id = c.audit_deny.rule;
			res->match_type = c.audit_deny.match_type;
		} else if (c.allow.found && c.allow.proxy) {
			/* L7 visibility without default deny. */
			res->proxy = c.allow.proxy;
			res->rule_id = c.allow.rule;
			res->match_type = c.allow.match_type;
		}
		return;
	}
	res->enforced = 1;
	if (!c.allow.found && !(pe->flags & audit_flag)) {
		res->verdict = VERDICT_DROPPED;
		res->drop_reason = DROP_POLICY_DENIED;
		res->rule_id = pe->default_rule[dir & 1];
		return;
	}
	if (c.audit_deny.found) {
		res->verdict = VERDICT_AUDIT;
		res->drop_reason = DROP_POLICY_DENY;
		res->rule_id = c.audit_deny.rule;
		res->match_type = c.audit_deny.match_type;
		return;
	}
	struct policy_match *a = c.allow.found ? &c.allow : &c.audit_allow;
	if (a->found) {
		res->rule_id = a->rule;
		res->match_type = a->match_type;
		res->proxy = a->proxy;
		return;
	}
	res->verdict = VERDICT_AUDIT;
	res->drop_reason = DROP_POLICY_DENIED;
	res->rule_id = pe->default_rule[dir & 1];
}
