/* Trace events: what the datapath saw, sent through the ring buffer. */
#pragma once

#include "aggregate.h"
#include "configs.h"
#include "events.h"
#include "maps.h"

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

static __always_inline void emit_trace(const struct packet *p, const struct endpoint_info *ep,
				       __u32 src_identity, __u32 dst_identity,
				       const struct verdict_report *v, __u64 now)
{
	struct trace_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return;
	}
	e->type = EVENT_TRACE;
	e->version = EVENT_VERSION;
	e->obs_point = p->key.obs_point;
	e->reason = v->reason;
	e->family = p->key.family;
	e->proto = p->key.proto;
	e->tcp_flags = p->tcp_flags;
	e->flags = (v->is_reply ? EVENT_FLAG_REPLY : 0) | (p->flags & PKT_NO_L4 ? EVENT_FLAG_NO_L4 : 0);
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
	e->packets = v->packets;
	e->bytes = v->bytes;
	__builtin_memcpy(e->saddr, p->key.saddr, 16);
	__builtin_memcpy(e->daddr, p->key.daddr, 16);
	bpf_ringbuf_submit(e, wakeup_flags());
}

/* observe runs the trace path for one packet at one observation point. */
static __always_inline void observe(struct __sk_buff *skb, __u8 obs_point)
{
	struct packet p = {};

	p.key.obs_point = obs_point;
	if (parse_packet(skb, &p) < 0)
		return;

	__u32 ifindex = skb->ifindex;
	struct endpoint_info *ep = bpf_map_lookup_elem(&endpoints, &ifindex);
	if (!ep)
		return;

	__u64 now = bpf_ktime_get_boot_ns();
	struct verdict_report v = {};
	aggregate(&p, now, &v);
	if (!v.reason)
		return;

	__u32 src_identity, dst_identity;
	if (obs_point == OBS_FROM_ENDPOINT) {
		src_identity = ep->identity;
		dst_identity = v.remote_identity;
	} else {
		src_identity = v.remote_identity;
		dst_identity = ep->identity;
	}
	emit_trace(&p, ep, src_identity, dst_identity, &v, now);
}
