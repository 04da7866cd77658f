/* Events the datapath sends to the collector through the ring buffer. The
 * layout is pinned by a golden test against the Go decoder
 * (collector/decoder); change both, and bump EVENT_VERSION. */
#pragma once

#include "common.h"

#define EVENT_VERSION 1

#define EVENT_TRACE 1

/* Why a trace event was emitted (monitor aggregation). */
#define TRACE_REASON_NEW 1       /* first packet of a connection here */
#define TRACE_REASON_TCP_FLAGS 2 /* a SYN, FIN or RST not seen before */
#define TRACE_REASON_REPORT 3    /* periodic report of a long flow */
#define TRACE_REASON_PACKET 4    /* every packet (aggregation none) */

#define EVENT_FLAG_REPLY 0x1 /* the packet belongs to the reply direction */
#define EVENT_FLAG_NO_L4 0x2 /* no L4 header (fragment, extension headers) */

struct trace_event {
	__u8 type;    /* EVENT_TRACE */
	__u8 version; /* EVENT_VERSION */
	__u8 obs_point;
	__u8 reason;
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
	__u64 packets; /* packets of this connection since its last event */
	__u64 bytes;
	__u8 saddr[16]; /* IPv4 as IPv4-mapped IPv6 */
	__u8 daddr[16];
};
