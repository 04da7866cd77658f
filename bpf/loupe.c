//go:build ignore

/* The per-endpoint datapath: one program per hook on the host side of every
 * workload's veth. tcx ingress sees what the workload sends (from-endpoint),
 * tcx egress what it receives (to-endpoint). */

#include "common.h"
#include "trace.h"

char __license[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int from_endpoint(struct __sk_buff *skb)
{
	observe(skb, OBS_FROM_ENDPOINT);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int to_endpoint(struct __sk_buff *skb)
{
	observe(skb, OBS_TO_ENDPOINT);
	return TC_ACT_UNSPEC;
}

/* Keep the event layout in BTF for bpf2go, which generates the Go type the
 * golden layout test compares against. */
const struct trace_event *unused_trace_event __attribute__((unused));
