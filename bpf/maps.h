/* Every map of the datapath. Pinned by name under the agent's bpffs root so
 * that enforcement and state survive an agent restart. */
#pragma once

#include "common.h"
#include "events.h"
#include "parse.h"

/* endpoints: the local workloads, by the ifindex of their host-side veth.
 * key: __u32 ifindex. value: struct endpoint_info.
 * Written by the agent when a workload is registered or removed; read by both
 * tc programs to learn the local side's endpoint id and identity. */
struct endpoint_info {
	__u32 identity;
	__u16 endpoint_id;
	__u16 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct endpoint_info);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} endpoints SEC(".maps");

/* ipcache: which identity owns an address, longest prefix wins.
 * key: struct ipcache_key (IPv4 as IPv4-mapped IPv6, prefixlen counts from
 * the start of addr). value: struct ipcache_value.
 * Written by the agent (endpoint addresses, host addresses, CIDRs); read by
 * the tc programs for the remote side of every packet. A miss means world. */
struct ipcache_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct ipcache_value {
	__u32 identity;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_value);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ipcache SEC(".maps");

/* events: the one ring buffer that carries every event to the collector.
 * Written by the tc programs; read by the collector. Its size is set by the
 * agent before load (--ring-buffer-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/* lost_events: events that did not fit in the ring buffer, per CPU.
 * key: __u32 0. value: __u64 count. Written by the tc programs when a ring
 * buffer reservation fails; read by the collector, which reports the growth
 * in-band as lost-event records and in ServerStatus. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lost_events SEC(".maps");

/* flow_table: monitor aggregation, one entry per connection and
 * observation point. key: struct flow_key. value: struct flow_state.
 * Written and read by the tc programs only; LRU so it never fills. */
struct flow_state {
	__u64 last_report_ns;
	__u64 packets; /* since the last event */
	__u64 bytes;   /* since the last event */
	__u32 remote_identity; /* resolved once per connection, as conntrack does */
	__u8 tcp_flags_seen;
	__u8 is_reply;
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_state);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flow_table SEC(".maps");
