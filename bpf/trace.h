/* Events to the collector: trace (what passed), drop (what did not, rate
 * limited per connection) and policy verdict (the decision on a connection's
 * first packet), all through the one ring buffer. */
#pragma once

#include "aggregate.h"
#include "configs.h"
#include "events.h"
#include "maps.h"
#include "policy.h"

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);

	if (lost)
		*lost += 1; /* per-CPU value: no atomics needed */
}

/* wakeup_flags wakes the collector only for the record that makes the
 * waiting data cross wakeup_bytes. A wakeup is an interrupt (irq_work), far
 * dearer than the record itself, so under load one covers thousands of
 * records; at low rates the collector's drain timer picks records up. */
static __always_inline __u64 wakeup_flags(void)
{
	if (!wakeup_bytes)
		return 0;
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 rec = sizeof(struct trace_event) + 8; /* record header */
	return avail >= wakeup_bytes && avail < wakeup_bytes + rec ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* event_meta is what differs between event types. */
struct event_meta {
	__u8 type;
	__u8 obs_point; /* OBS_* when not the hook's own (to/from proxy); 0 otherwise */
	__u8 reason;
	__u8 is_reply;
	__u8 verdict;
	__u8 drop_reason;
	__u8 match_type;
	__u8 policy_flags;
	__u32 rule_id;
	__u64 packets;
	__u64 bytes;
};

static __always_inline void emit_event(const struct packet *p, const struct endpoint_info *ep,
				       __u32 src_identity, __u32 dst_identity,
				       const struct event_meta *m, __u64 now)
{
	struct trace_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return;
	}
	e->type = m->type;
	e->version = EVENT_VERSION;
	e->obs_point = m->obs_point ? m->obs_point : p->key.obs_point;
	e->reason = m->reason;
	e->family = p->key.family;
	e->proto = p->key.proto;
	e->tcp_flags = p->tcp_flags;
	e->flags = (m->is_reply ? EVENT_FLAG_REPLY : 0) | (p->flags & PKT_NO_L4 ? EVENT_FLAG_NO_L4 : 0) |
		   (p->key.obs_point == OBS_TO_ENDPOINT ? EVENT_FLAG_TO_ENDPOINT : 0);
	e->icmp_type = p->icmp_type;
	e->icmp_code = p->icmp_code;
	e->endpoint_id = ep->endpoint_id;
	e->sport = p->key.sport;
	e->dport = p->key.dport;
	e->ifindex = p->key.ifindex;
	e->src_identity = src_identity;
	e->dst_identity = dst_identity;
	e->pkt_len = p->len;
	e->ts_ns = now;
	e->packets = m->packets;
	e->bytes = m->bytes;
	__builtin_memcpy(e->saddr, p->key.saddr, 16);
	__builtin_memcpy(e->daddr, p->key.daddr, 16);
	e->rule_id = m->rule_id;
	e->verdict = m->verdict;
	e->drop_reason = m->drop_reason;
	e->match_type = m->match_type;
	e->policy_flags = m->policy_flags;
	bpf_ringbuf_submit(e, wakeup_flags());
}

/* drop_due counts a drop and says whether this one gets an event: the first
 * of a connection attempt, then one per second with the count since. */
static __always_inline int drop_due(const struct packet *p, __u64 now, __u64 *count)
{
	struct drop_state *st = bpf_map_lookup_elem(&drop_table, &p->key);

	if (!st) {
		struct drop_state fresh = { .last_ns = now };
		bpf_map_update_elem(&drop_table, &p->key, &fresh, BPF_ANY);
		*count = 1;
		return 1;
	}
	__sync_fetch_and_add(&st->count, 1);
	if (now - st->last_ns < SEC_NS)
		return 0;
	*count = __sync_lock_test_and_set(&st->count, 0);
	st->last_ns = now;
	return 1;
}
