/* Feature switches, set from Go before the object is loaded (volatile const
 * lands in .rodata, so the verifier prunes disabled paths). */
#pragma once

#include "common.h"

/* Monitor aggregation levels: how many trace events a connection produces. */
#define AGGREGATION_NONE 0   /* one event per packet */
#define AGGREGATION_MEDIUM 1 /* new connection, new SYN/FIN/RST, periodic report */
#define AGGREGATION_MAX 2    /* new connection and first close, no reports */

volatile const __u8 monitor_aggregation = AGGREGATION_MEDIUM;

/* How often a long-lived connection reports its packet and byte counts
 * (AGGREGATION_MEDIUM), in nanoseconds. */
volatile const __u64 report_interval_ns = 5ULL * 1000 * 1000 * 1000;

/* Ring buffer wakeups: records are submitted without waking the collector;
 * the one that makes this many bytes wait wakes it, and the collector drains
 * on a short timer besides, which bounds the delay at low rates. 0 lets the
 * kernel wake the reader for every record it has caught up with. */
volatile const __u64 wakeup_bytes = 0;

/* A tag of this agent's programs in the proxy mark (bits 8-15), so that
 * the loopback's to_proxy of another loupe datapath on the same host (tests
 * run several) passes packets that are not its own. */
volatile const __u8 proxy_tag = 0;
