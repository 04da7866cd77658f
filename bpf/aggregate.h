/* Monitor aggregation: decide, per packet, whether the collector needs to
 * hear about it, so that event volume stays bounded by connections rather
 * than packets. */
#pragma once

#include "configs.h"
#include "identity.h"
#include "maps.h"

#define TCP_TRACKED_FLAGS (TCP_SYN | TCP_FIN | TCP_RST)

struct verdict_report {
	__u8 reason; /* TRACE_REASON_*, 0 for no event */
	__u8 is_reply;
	__u32 remote_identity;
	__u64 packets;
	__u64 bytes;
};

static __always_inline void reverse_key(const struct flow_key *k, struct flow_key *r)
{
	__builtin_memcpy(r->saddr, k->daddr, 16);
	__builtin_memcpy(r->daddr, k->saddr, 16);
	r->sport = k->dport;
	r->dport = k->sport;
	r->ifindex = k->ifindex;
	r->proto = k->proto;
	r->family = k->family;
	r->obs_point = k->obs_point == OBS_FROM_ENDPOINT ? OBS_TO_ENDPOINT : OBS_FROM_ENDPOINT;
	r->pad = 0;
}

/* aggregate decides whether the packet gets a trace event. remote is the
 * remote identity when the caller already resolved it (a new connection's
 * policy decision did), 0 to resolve it here on a connection's first packet. */
static __always_inline void aggregate(const struct packet *p, __u64 now, __u32 remote,
				      struct verdict_report *out)
{
	struct flow_state *st = bpf_map_lookup_elem(&flow_table, &p->key);

	if (!st) {
		/* A connection is a reply if its reverse was seen first here. */
		struct flow_key rev;
		reverse_key(&p->key, &rev);
		if (!remote)
			remote = lookup_identity(p->key.obs_point == OBS_FROM_ENDPOINT ? p->key.daddr : p->key.saddr);
		struct flow_state fresh = {
			.last_report_ns = now,
			.remote_identity = remote,
			.tcp_flags_seen = p->tcp_flags & TCP_TRACKED_FLAGS,
			.is_reply = bpf_map_lookup_elem(&flow_table, &rev) != NULL,
		};
		bpf_map_update_elem(&flow_table, &p->key, &fresh, BPF_ANY);
		out->reason = monitor_aggregation == AGGREGATION_NONE ? TRACE_REASON_PACKET
								      : TRACE_REASON_NEW;
		out->is_reply = fresh.is_reply;
		out->remote_identity = fresh.remote_identity;
		out->packets = 1;
		out->bytes = p->len;
		return;
	}

	out->is_reply = st->is_reply;
	out->remote_identity = st->remote_identity;
	__u8 new_flags = p->tcp_flags & TCP_TRACKED_FLAGS & ~st->tcp_flags_seen;
	if (new_flags)
		st->tcp_flags_seen |= new_flags; /* racy across CPUs: at worst one extra event */

	if (monitor_aggregation == AGGREGATION_NONE) {
		out->reason = TRACE_REASON_PACKET;
		out->packets = 1;
		out->bytes = p->len;
		return;
	}

	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, p->len);

	if (monitor_aggregation == AGGREGATION_MAX) {
		/* Only the first close of a connection is worth an event. */
		if (new_flags & (TCP_FIN | TCP_RST) &&
		    !(st->tcp_flags_seen & (TCP_FIN | TCP_RST) & ~new_flags))
			out->reason = TRACE_REASON_TCP_FLAGS;
	} else if (new_flags) {
		out->reason = TRACE_REASON_TCP_FLAGS;
	} else if (now - st->last_report_ns >= report_interval_ns) {
		out->reason = TRACE_REASON_REPORT;
	}
	if (!out->reason)
		return;

	/* Hand the counts since the last event to this one. Concurrent packets
	 * on other CPUs may add between the read and the reset; those are
	 * reported with the next event or lost, never double counted. */
	out->packets = __sync_lock_test_and_set(&st->packets, 0);
	out->bytes = __sync_lock_test_and_set(&st->bytes, 0);
	st->last_report_ns = now;
}
