/* L2-L4 parsing: Ethernet, IPv4, IPv6 (extension headers within a bound),
 * TCP, UDP, SCTP, ICMPv4, ICMPv6. Addresses are kept as 16 bytes, IPv4 as
 * IPv4-mapped IPv6, so one code path and one LPM trie serve both families. */
#pragma once

#include "common.h"

/* Extension headers walked before giving up on finding L4. */
#define IPV6_MAX_EXT_HEADERS 6

#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_NONE 59
#define NEXTHDR_DEST 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* packet flags */
#define PKT_NO_L4 0x1 /* a non-first fragment or too many extension headers */

/* flow_key identifies a connection at one observation point. ICMP echo uses
 * the echo identifier as both ports so that a reply is the reverse key. */
struct flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 ifindex;
	__u8 proto;
	__u8 family;
	__u8 obs_point;
	__u8 pad;
};

struct packet {
	struct flow_key key;
	__u32 len;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 flags;
};

struct l4_ports {
	__u16 sport;
	__u16 dport;
};

static __always_inline void ipv4_mapped(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* parse_l4 reads the L4 header at off. It returns 0, or -1 when the header
 * does not fit in the packet. */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off, struct packet *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	switch (p->key.proto) {
	case IPPROTO_TCP: {
		__u8 *tcp = data + off;
		if ((void *)(tcp + 20) > end)
			return -1;
		struct l4_ports *ports = (void *)tcp;
		p->key.sport = bpf_ntohs(ports->sport);
		p->key.dport = bpf_ntohs(ports->dport);
		p->tcp_flags = tcp[13];
		return 0;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP: {
		struct l4_ports *ports = data + off;
		if ((void *)(ports + 1) > end)
			return -1;
		p->key.sport = bpf_ntohs(ports->sport);
		p->key.dport = bpf_ntohs(ports->dport);
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *icmp = data + off;
		if ((void *)(icmp + 8) > end)
			return -1;
		p->icmp_type = icmp[0];
		p->icmp_code = icmp[1];
		__u8 t = icmp[0];
		if (t == ICMP_ECHO || t == ICMP_ECHOREPLY || t == ICMPV6_ECHO_REQUEST ||
		    t == ICMPV6_ECHO_REPLY) {
			__u16 id = bpf_ntohs(*(__u16 *)(icmp + 4));
			p->key.sport = id;
			p->key.dport = id;
		}
		return 0;
	}
	}
	return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct packet *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *ip = data + ETH_HLEN;

	if ((void *)(ip + 20) > end)
		return -1;
	__u32 ihl = (ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return -1;
	p->key.family = 4;
	p->key.proto = ip[9];
	ipv4_mapped(p->key.saddr, *(__be32 *)(ip + 12));
	ipv4_mapped(p->key.daddr, *(__be32 *)(ip + 16));
	/* Only the first fragment carries the L4 header. */
	if (bpf_ntohs(*(__u16 *)(ip + 6)) & 0x1fff) {
		p->flags |= PKT_NO_L4;
		return 0;
	}
	return parse_l4(skb, ETH_HLEN + ihl, p);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct packet *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *ip = data + ETH_HLEN;

	if ((void *)(ip + 40) > end)
		return -1;
	p->key.family = 6;
	__builtin_memcpy(p->key.saddr, ip + 8, 16);
	__builtin_memcpy(p->key.daddr, ip + 24, 16);

	__u8 nexthdr = ip[6];
	__u32 off = ETH_HLEN + 40;

#pragma unroll
	for (int i = 0; i < IPV6_MAX_EXT_HEADERS; i++) {
		__u8 *ext = data + off;
		switch (nexthdr) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			if ((void *)(ext + 8) > end)
				return -1;
			nexthdr = ext[0];
			off += ((__u32)ext[1] + 1) * 8;
			continue;
		case NEXTHDR_AUTH:
			if ((void *)(ext + 8) > end)
				return -1;
			nexthdr = ext[0];
			off += ((__u32)ext[1] + 2) * 4;
			continue;
		case NEXTHDR_FRAGMENT:
			if ((void *)(ext + 8) > end)
				return -1;
			nexthdr = ext[0];
			off += 8;
			if (bpf_ntohs(*(__u16 *)(ext + 2)) & 0xfff8) {
				p->key.proto = nexthdr;
				p->flags |= PKT_NO_L4;
				return 0;
			}
			continue;
		case NEXTHDR_NONE:
			p->key.proto = nexthdr;
			p->flags |= PKT_NO_L4;
			return 0;
		}
		p->key.proto = nexthdr;
		return parse_l4(skb, off, p);
	}
	/* Too many extension headers: account the packet without L4. */
	p->key.proto = nexthdr;
	p->flags |= PKT_NO_L4;
	return 0;
}

/* parse_packet fills p from skb. It returns 0 for IPv4 and IPv6 packets and
 * -1 for anything else (ARP, truncated headers), which is passed unobserved. */
static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *p)
{
	p->len = skb->len;
	p->key.ifindex = skb->ifindex;
	switch (bpf_ntohs(skb->protocol)) {
	case ETH_P_IP:
		return parse_ipv4(skb, p);
	case ETH_P_IPV6:
		return parse_ipv6(skb, p);
	}
	return -1;
}
