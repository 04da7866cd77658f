//go:build ignore

/* The per-endpoint datapath: one program per hook on the host side of every
 * workload's veth. tcx ingress sees what the workload sends (from-endpoint,
 * the workload's egress), tcx egress what it receives (to-endpoint, its
 * ingress). Each packet: anti-spoofing, connection tracking, policy for the
 * first packet of a connection, then monitor aggregation and events. */

#include "common.h"
#include "antispoof.h"
#include "conntrack.h"
#include "policy.h"
#include "proxy.h"
#include "trace.h"

char __license[] SEC("license") = "Dual BSD/GPL";

static __always_inline int drop(const struct packet *p, const struct endpoint_info *ep, __u32 src_identity,
				__u32 dst_identity, struct event_meta *m, __u64 now)
{
	__u64 count;

	if (drop_due(p, now, &count)) {
		m->packets = count;
		m->bytes = (__u64)p->len * count;
		if (m->drop_reason == DROP_POLICY_DENIED || m->drop_reason == DROP_POLICY_DENY) {
			m->type = EVENT_POLICY_VERDICT;
			emit_event(p, ep, src_identity, dst_identity, m, now);
		}
		m->type = EVENT_DROP;
		emit_event(p, ep, src_identity, dst_identity, m, now);
	}
	return TC_ACT_SHOT;
}

static __always_inline int handle(struct __sk_buff *skb, __u8 obs_point)
{
	struct packet p = {};

	p.key.obs_point = obs_point;
	if (parse_packet(skb, &p) < 0)
		return TC_ACT_UNSPEC;

	__u32 ifindex = skb->ifindex;
	struct endpoint_info *ep = bpf_map_lookup_elem(&endpoints, &ifindex);
	if (!ep)
		return TC_ACT_UNSPEC;

	__u64 now = bpf_ktime_get_boot_ns();
	__u8 egress = obs_point == OBS_FROM_ENDPOINT;
	__u8 dir = egress ? DIR_EGRESS : DIR_INGRESS;
	/* The proxy's upstream connections reach endpoints through the host. */
	__u8 from_proxy = !egress && (skb->mark & PROXY_MARK_MASK) == PROXY_MARK_FROM;

	if (egress && !source_valid(&p, ep)) {
		struct event_meta m = { .verdict = VERDICT_DROPPED, .drop_reason = DROP_INVALID_SOURCE_IP };
		return drop(&p, ep, ep->identity, lookup_identity(p.key.daddr), &m, now);
	}

	__u32 remote = 0;   /* resolved below only for a new connection */
	__u8 ct_proxy = 0;  /* the connection's proxy state */
	__u8 redirect = 0;  /* the L7 parser this packet goes to */
	enum ct_status ct = CT_NEW;
	if (!is_neighbour_discovery(&p))
		ct = ct_lookup(&p, ep->endpoint_id, dir, now, &ct_proxy);
	if (ct == CT_NEW && !is_neighbour_discovery(&p)) {
		remote = lookup_identity(egress ? p.key.daddr : p.key.saddr);
		__u32 src_identity = egress ? ep->identity : remote;
		__u32 dst_identity = egress ? remote : ep->identity;
		struct policy_result res = {};

		policy_decide(&p, ep->endpoint_id, dir, remote, &res);
		struct event_meta m = {
			.verdict = res.verdict,
			.drop_reason = res.drop_reason,
			.match_type = res.match_type,
			.policy_flags = res.flags,
			.rule_id = res.rule_id,
			.packets = 1,
			.bytes = p.len,
		};
		if (res.verdict == VERDICT_DROPPED)
			return drop(&p, ep, src_identity, dst_identity, &m, now);
		if (res.proxy && !from_proxy) {
			if (!proxy_available(skb, res.proxy, p.key.family, p.key.proto)) {
				m.verdict = VERDICT_DROPPED;
				m.drop_reason = DROP_PROXY_UNAVAILABLE;
				return drop(&p, ep, src_identity, dst_identity, &m, now);
			}
			redirect = res.proxy;
			ct_proxy = res.proxy;
			m.verdict = VERDICT_REDIRECTED;
		}
		ct_create(&p, ep->endpoint_id, dir, res.rule_id, res.verdict == VERDICT_AUDIT,
			  from_proxy ? PROXY_UPSTREAM : ct_proxy, now);
		if (res.enforced || redirect) {
			m.type = EVENT_POLICY_VERDICT;
			emit_event(&p, ep, src_identity, dst_identity, &m, now);
		}
	} else if (ct == CT_ESTABLISHED && ct_proxy && ct_proxy != PROXY_UPSTREAM) {
		redirect = ct_proxy;
	}

	struct verdict_report v = {};
	aggregate(&p, now, remote, &v);
	if (v.reason) {
		struct event_meta m = {
			.type = EVENT_TRACE,
			.reason = v.reason,
			.is_reply = v.is_reply,
			.verdict = VERDICT_FORWARDED,
			.packets = v.packets,
			.bytes = v.bytes,
		};
		if (redirect)
			m.obs_point = OBS_TO_PROXY;
		else if (from_proxy)
			m.obs_point = OBS_FROM_PROXY;
		__u32 src_identity = egress ? ep->identity : v.remote_identity;
		__u32 dst_identity = egress ? v.remote_identity : ep->identity;
		emit_event(&p, ep, src_identity, dst_identity, &m, now);
	}

	if (redirect)
		return egress ? proxy_from_ingress(skb, &p, redirect) : proxy_from_egress(skb, redirect);
	/* A server's reply to the proxy's upstream socket: deliver it to the
	 * host, where that socket is. */
	if (egress && ct == CT_REPLY && ct_proxy == PROXY_UPSTREAM)
		skb->mark = PROXY_MARK_TO;
	return TC_ACT_UNSPEC;
}

SEC("tc")
int from_endpoint(struct __sk_buff *skb)
{
	return handle(skb, OBS_FROM_ENDPOINT);
}

SEC("tc")
int to_endpoint(struct __sk_buff *skb)
{
	return handle(skb, OBS_TO_ENDPOINT);
}

/* to_proxy runs at the loopback's ingress: packets that to_endpoint handed
 * over for the proxy are assigned to its listener there. */
SEC("tc")
int to_proxy(struct __sk_buff *skb)
{
	struct packet p = {};

	if ((skb->mark & PROXY_MARK_MASK) != PROXY_MARK_TO || !(skb->mark & 0xff) ||
	    ((skb->mark >> 8) & 0xff) != proxy_tag)
		return TC_ACT_UNSPEC;
	if (parse_packet(skb, &p) < 0)
		return TC_ACT_SHOT;
	if (proxy_assign(skb, skb->mark & 0xff, p.key.family, p.key.proto, p.tcp_flags) < 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

/* Keep the event layout in BTF for bpf2go, which generates the Go type the
 * golden layout test compares against. */
const struct trace_event *unused_trace_event __attribute__((unused));
