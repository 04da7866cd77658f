/* Connection tracking: the first packet of a connection is decided by
 * policy; later packets and replies pass on the tracked entry, so a policy
 * change never breaks an established connection and replies always pass. */
#pragma once

#include "maps.h"
#include "parse.h"

#define DIR_INGRESS 0
#define DIR_EGRESS 1

#define SEC_NS 1000000000ULL
#define CT_LIFETIME_SYN (60 * SEC_NS)          /* handshake not complete */
#define CT_LIFETIME_TCP (6 * 3600 * SEC_NS)    /* established */
#define CT_LIFETIME_CLOSING (10 * SEC_NS)      /* FIN or RST seen */
#define CT_LIFETIME_NONTCP (60 * SEC_NS)       /* UDP, ICMP, SCTP, others */
/* Refresh an entry's expiry at most this often, to save map writes. */
#define CT_REFRESH_NS SEC_NS

enum ct_status {
	CT_NEW,
	CT_ESTABLISHED, /* a packet in the connection's original direction */
	CT_REPLY,       /* a packet of the reply direction */
};

static __always_inline void ct_key_from(struct ct_key *k, const struct packet *p, __u16 ep, __u8 dir, int reverse)
{
	if (reverse) {
		__builtin_memcpy(k->saddr, p->key.daddr, 16);
		__builtin_memcpy(k->daddr, p->key.saddr, 16);
		k->sport = p->key.dport;
		k->dport = p->key.sport;
	} else {
		__builtin_memcpy(k->saddr, p->key.saddr, 16);
		__builtin_memcpy(k->daddr, p->key.daddr, 16);
		k->sport = p->key.sport;
		k->dport = p->key.dport;
	}
	k->endpoint_id = ep;
	k->proto = p->key.proto;
	k->dir = dir;
}

static __always_inline __u64 ct_lifetime(const struct packet *p, __u8 flags_fwd, __u8 flags_rev)
{
	if (p->key.proto != IPPROTO_TCP)
		return CT_LIFETIME_NONTCP;
	__u8 all = flags_fwd | flags_rev;
	if (all & (TCP_FIN | TCP_RST))
		return CT_LIFETIME_CLOSING;
	/* Established once both sides have sent something past the SYN. */
	if ((flags_fwd & TCP_ACK) && (flags_rev & TCP_ACK))
		return CT_LIFETIME_TCP;
	return CT_LIFETIME_SYN;
}

static __always_inline void ct_refresh(struct ct_entry *e, const struct packet *p, int reply, __u64 now)
{
	__u8 flags = p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK);
	if (reply) {
		if ((e->tcp_flags_rev | flags) != e->tcp_flags_rev)
			e->tcp_flags_rev |= flags;
	} else if ((e->tcp_flags_fwd | flags) != e->tcp_flags_fwd) {
		e->tcp_flags_fwd |= flags;
	}
	__u64 expires = now + ct_lifetime(p, e->tcp_flags_fwd, e->tcp_flags_rev);
	/* Closing shortens the lifetime at once; otherwise refresh lazily. */
	if (expires < e->expires_ns || expires - e->expires_ns > CT_REFRESH_NS)
		e->expires_ns = expires;
}

/* ct_lookup finds the connection of p at endpoint ep, enforced in dir, and
 * tells its proxy state. */
static __always_inline enum ct_status ct_lookup(const struct packet *p, __u16 ep, __u8 dir, __u64 now, __u8 *proxy)
{
	struct ct_key k = {};

	ct_key_from(&k, p, ep, dir, 0);
	struct ct_entry *e = bpf_map_lookup_elem(&conntrack, &k);
	if (e && e->expires_ns > now) {
		ct_refresh(e, p, 0, now);
		*proxy = e->proxy;
		return CT_ESTABLISHED;
	}
	/* The reply of a connection this endpoint saw in the other direction. */
	ct_key_from(&k, p, ep, dir == DIR_EGRESS ? DIR_INGRESS : DIR_EGRESS, 1);
	e = bpf_map_lookup_elem(&conntrack, &k);
	if (e && e->expires_ns > now) {
		ct_refresh(e, p, 1, now);
		*proxy = e->proxy;
		return CT_REPLY;
	}
	return CT_NEW;
}

static __always_inline void ct_create(const struct packet *p, __u16 ep, __u8 dir, __u32 rule_id, __u8 audit,
				      __u8 proxy, __u64 now)
{
	struct ct_key k = {};
	struct ct_entry e = { .rule_id = rule_id, .audit = audit, .proxy = proxy };

	ct_key_from(&k, p, ep, dir, 0);
	e.tcp_flags_fwd = p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK);
	e.expires_ns = now + ct_lifetime(p, e.tcp_flags_fwd, 0);
	bpf_map_update_elem(&conntrack, &k, &e, BPF_ANY);
}
