/* Events the datapath sends to the collector through the ring buffer. The
 * layout is pinned by a golden test against the Go decoder
 * (collector/decoder); change both, and bump EVENT_VERSION. */
#pragma once

#include "common.h"

#define EVENT_VERSION 2

#define EVENT_TRACE 1
#define EVENT_DROP 2
#define EVENT_POLICY_VERDICT 3

/* Verdicts, numbered as the flow record's Verdict. */
#define VERDICT_FORWARDED 1
#define VERDICT_DROPPED 2
#define VERDICT_AUDIT 3
#define VERDICT_REDIRECTED 4

/* Drop reasons, numbered as the flow record's DropReason. */
#define DROP_INVALID_SOURCE_IP 132
#define DROP_POLICY_DENIED 133 /* no rule allows it (default deny) */
#define DROP_POLICY_DENY 181   /* a deny rule matched */
#define DROP_PROXY_UNAVAILABLE 190 /* L7 policy, and no proxy listening */

/* Policy match types, numbered as the flow record's PolicyMatchType. */
#define MATCH_NONE 0
#define MATCH_L3_ONLY 1
#define MATCH_L3_L4 2
#define MATCH_L4_ONLY 3
#define MATCH_ALL 4

/* Why a trace event was emitted (monitor aggregation). */
#define TRACE_REASON_NEW 1       /* first packet of a connection here */
#define TRACE_REASON_TCP_FLAGS 2 /* a SYN, FIN or RST not seen before */
#define TRACE_REASON_REPORT 3    /* periodic report of a long flow */
#define TRACE_REASON_PACKET 4    /* every packet (aggregation none) */

#define EVENT_FLAG_REPLY 0x1 /* the packet belongs to the reply direction */
#define EVENT_FLAG_NO_L4 0x2 /* no L4 header (fragment, extension headers) */
#define EVENT_FLAG_TO_ENDPOINT 0x4 /* seen at the hook of what the endpoint receives */

struct trace_event {
	__u8 type;    /* EVENT_* */
	__u8 version; /* EVENT_VERSION */
	__u8 obs_point;
	__u8 reason; /* TRACE_REASON_*, trace events */
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 tcp_flags; /* flags of this packet */
	__u8 flags;     /* EVENT_FLAG_* */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 endpoint_id; /* the local endpoint */
	__u16 sport;       /* host byte order; ICMP echo: identifier */
	__u16 dport;
	__u32 ifindex;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 pkt_len;
	__u64 ts_ns;   /* CLOCK_BOOTTIME */
	__u64 packets; /* packets of this connection since its last event (drops: since the last drop event) */
	__u64 bytes;
	__u8 saddr[16]; /* IPv4 as IPv4-mapped IPv6 */
	__u8 daddr[16];
	__u32 rule_id;     /* the policy rule that decided, 0 for none */
	__u8 verdict;      /* VERDICT_* */
	__u8 drop_reason;  /* DROP_*, drop events */
	__u8 match_type;   /* MATCH_*, policy verdict events */
	__u8 policy_flags; /* POLICY_F_* of the endpoint, for the enforced direction */
};
