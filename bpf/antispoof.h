/* Anti-spoofing: a workload may only send from its own addresses (and, for
 * IPv6 neighbour discovery, from link-local or unspecified ones). */
#pragma once

#include "maps.h"
#include "parse.h"

static __always_inline int source_valid(const struct packet *p, const struct endpoint_info *ep)
{
	const __u8 *s = p->key.saddr;

	if (p->key.family == 4)
		return (ep->flags & ENDPOINT_F_IPV4) && s[12] == ep->addr4[0] && s[13] == ep->addr4[1] &&
		       s[14] == ep->addr4[2] && s[15] == ep->addr4[3];
	/* fe80::/10 and :: */
	if (s[0] == 0xfe && (s[1] & 0xc0) == 0x80)
		return 1;
	__u64 hi, lo;
	__builtin_memcpy(&hi, s, 8);
	__builtin_memcpy(&lo, s + 8, 8);
	if (!hi && !lo)
		return 1;
	if (!(ep->flags & ENDPOINT_F_IPV6))
		return 0;
	__u64 ehi, elo;
	__builtin_memcpy(&ehi, ep->addr6, 8);
	__builtin_memcpy(&elo, ep->addr6 + 8, 8);
	return hi == ehi && lo == elo;
}

/* is_neighbour_discovery: ICMPv6 the network needs to work at all (router
 * and neighbour discovery, MLD). Policy does not apply to it, as in Cilium. */
static __always_inline int is_neighbour_discovery(const struct packet *p)
{
	if (p->key.proto != IPPROTO_ICMPV6)
		return 0;
	__u8 t = p->icmp_type;
	return (t >= 130 && t <= 137) || t == 143;
}
