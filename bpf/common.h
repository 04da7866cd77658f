/* Types and helpers every feature header uses. */
#pragma once

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58
#define IPPROTO_SCTP 132

/* Reserved identities; the agent allocates workload identities from 256. */
#define IDENTITY_HOST 1
#define IDENTITY_WORLD 2

/* Observation points, numbered as the flow record's ObservationPoint. */
#define OBS_FROM_ENDPOINT 1
#define OBS_TO_ENDPOINT 2
#define OBS_TO_PROXY 3
#define OBS_FROM_PROXY 4

#define __always_inline inline __attribute__((always_inline))
