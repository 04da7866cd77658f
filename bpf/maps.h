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
#define ENDPOINT_F_IPV4 0x1 /* addr4 is set */
#define ENDPOINT_F_IPV6 0x2 /* addr6 is set */

struct endpoint_info {
	__u32 identity;
	__u16 endpoint_id;
	__u16 flags;   /* ENDPOINT_F_* */
	__u8 addr4[4]; /* the workload's own addresses, for anti-spoofing */
	__u8 addr6[16];
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

/* policy_slot: which revision slot of the policy maps is live.
 * key: __u32 0. value: struct policy_state. Written by the agent last, after
 * the new slot is complete: flipping it is the atomic switch to a new policy
 * revision. Read by the tc programs for every new connection. */
struct policy_state {
	__u32 slot; /* 0 or 1 */
	__u32 pad;
	__u64 revision;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct policy_state);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy_slot SEC(".maps");

/* policy_endpoints: per endpoint and slot, whether each direction is
 * enforced and which port prefix lengths its rules use.
 * key: struct policy_endpoint_key. value: struct policy_endpoint.
 * Written by the agent into the inactive slot; read by the tc programs. */
#define POLICY_F_INGRESS 0x1       /* ingress is default-deny */
#define POLICY_F_EGRESS 0x2        /* egress is default-deny */
#define POLICY_F_INGRESS_AUDIT 0x4 /* ingress default-deny only audits */
#define POLICY_F_EGRESS_AUDIT 0x8  /* egress default-deny only audits */
#define POLICY_F_INGRESS_DENY 0x10 /* some deny rule covers ingress */
#define POLICY_F_EGRESS_DENY 0x20  /* some deny rule covers egress */
#define POLICY_F_INGRESS_PROXY 0x40 /* some allow rule of ingress has L7 rules */
#define POLICY_F_EGRESS_PROXY 0x80  /* some allow rule of egress has L7 rules */

struct policy_endpoint_key {
	__u16 endpoint_id;
	__u8 slot;
	__u8 pad;
};

struct policy_endpoint {
	__u32 flags;         /* POLICY_F_* */
	__u32 port_prefixes; /* bit k: some rule uses a /k port prefix (0..16) */
	/* Rule ids reported for default-deny drops, per direction, so flows
	 * name the policies that put the endpoint into default deny. */
	__u32 default_rule[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct policy_endpoint_key);
	__type(value, struct policy_endpoint);
	__uint(max_entries, 8192);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy_endpoints SEC(".maps");

/* policy: the rules, resolved to identities, one hash lookup per
 * (identity or any, protocol or any, port prefix) so a decision costs the
 * same with 100 or 100k rules. Port ranges are stored as aligned power-of-two
 * blocks (port masked to prefix bits); ICMP rules store type + 1 as port.
 * key: struct policy_key. value: struct policy_value.
 * Written by the agent into the inactive slot; read by the tc programs for
 * the first packet of every connection. */
struct policy_key {
	__u32 identity; /* remote identity, 0 for any */
	__u16 endpoint_id;
	__u16 port;   /* host order, masked to prefix bits; 0 with prefix 0 */
	__u8 proto;   /* 0 for any (then port prefix is 0) */
	__u8 dir;     /* 0 ingress, 1 egress */
	__u8 prefix;  /* port prefix length, 0..16 */
	__u8 slot;
};

/* A key may carry an allow and a deny, each from an enforcing or an audit
 * policy; the decision needs to know which (see policy.h). */
#define PV_ALLOW 0x1       /* an enforcing policy allows */
#define PV_AUDIT_ALLOW 0x2 /* only audit policies allow */
#define PV_DENY 0x4        /* an enforcing policy denies */
#define PV_AUDIT_DENY 0x8  /* only audit policies deny */

struct policy_value {
	__u32 allow_rule; /* rule id of the allow, if any */
	__u32 deny_rule;  /* rule id of the deny, if any */
	__u32 flags;      /* PV_* */
	__u8 proxy;       /* the allow's L7 parser: redirect to the proxy; 0 none */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct policy_key);
	__type(value, struct policy_value);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} policy SEC(".maps");

/* conntrack: connections allowed by policy, per endpoint and enforcement
 * direction, the tuple in the connection's original orientation.
 * key: struct ct_key. value: struct ct_entry. Written by the tc programs
 * (create, refresh, close); expired entries are deleted by the agent's
 * garbage collector and ignored by the datapath. LRU, so it never fills. */
struct ct_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 endpoint_id;
	__u8 proto;
	__u8 dir; /* 0 ingress, 1 egress */
};

struct ct_entry {
	__u64 expires_ns; /* CLOCK_BOOTTIME */
	__u32 rule_id;
	__u8 tcp_flags_fwd;
	__u8 tcp_flags_rev;
	__u8 audit;
	__u8 proxy; /* L7 parser the connection is redirected to, or PROXY_UPSTREAM */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ct_key);
	__type(value, struct ct_entry);
	__uint(max_entries, 262144);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} conntrack SEC(".maps");

/* drop_table: rate limit of drop events, one per connection attempt and
 * observation point per second, carrying the count of drops since.
 * key: struct flow_key. value: struct drop_state. Tc programs only. */
struct drop_state {
	__u64 last_ns;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow_key);
	__type(value, struct drop_state);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} drop_table SEC(".maps");
