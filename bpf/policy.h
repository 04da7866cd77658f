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
	if (!(pe->flags & enforced_flag))
		return;
	res->enforced = 1;

	__u16 port = policy_port(p);
	struct policy_value *allow = NULL;
	__u8 allow_match = 0;
	struct policy_key k = { .endpoint_id = ep, .dir = dir, .slot = slot };

	for (int i = 0; i < 2; i++) {
		k.identity = i == 0 ? remote : 0;
		/* This protocol, by port prefix: exact first. */
		k.proto = p->key.proto;
		for (int plen = PORT_PREFIX_MAX; plen >= 0; plen--) {
			if (!(pe->port_prefixes & (1U << plen)))
				continue;
			k.prefix = plen;
			k.port = plen ? port & (__u16)(0xffff << (PORT_PREFIX_MAX - plen)) : 0;
			struct policy_value *v = bpf_map_lookup_elem(&policy, &k);
			if (!v)
				continue;
			if (v->deny)
				goto deny;
			if (!allow) {
				allow = v;
				allow_match = match_type_of(k.identity, k.proto);
			}
			continue;
		deny:
			res->rule_id = v->rule_id;
			res->match_type = match_type_of(k.identity, k.proto);
			res->drop_reason = DROP_POLICY_DENY;
			res->verdict = v->audit ? VERDICT_AUDIT : VERDICT_DROPPED;
			return;
		}
		/* Any protocol (L3-only or allow-all). */
		k.proto = 0;
		k.prefix = 0;
		k.port = 0;
		struct policy_value *v = bpf_map_lookup_elem(&policy, &k);
		if (!v)
			continue;
		if (v->deny) {
			res->rule_id = v->rule_id;
			res->match_type = match_type_of(k.identity, 0);
			res->drop_reason = DROP_POLICY_DENY;
			res->verdict = v->audit ? VERDICT_AUDIT : VERDICT_DROPPED;
			return;
		}
		if (!allow) {
			allow = v;
			allow_match = match_type_of(k.identity, 0);
		}
	}
	if (allow) {
		res->rule_id = allow->rule_id;
		res->match_type = allow_match;
		return; /* forwarded; audit only changes what would be dropped */
	}
	res->drop_reason = DROP_POLICY_DENIED;
	res->rule_id = pe->default_rule[dir & 1];
	res->verdict = pe->flags & audit_flag ? VERDICT_AUDIT : VERDICT_DROPPED;
}
