/* L7 redirect: connections that an L7 rule covers go to the node's proxy.
 *
 * The first packet of a redirected connection (every datagram, for UDP) is
 * assigned to the proxy's listening socket with bpf_sk_assign; every packet
 * of it carries PROXY_MARK_TO, which the agent's policy routing rule
 * (fwmark -> a table with a local default route) delivers to the host, where
 * the kernel finds the proxy's accepted socket by its 4-tuple. At tc ingress
 * (what a workload sends) this happens in place; at tc egress (what a
 * workload receives) sk_assign is not available, so the packet is handed to
 * the ingress of the loopback device, where to_proxy assigns it.
 *
 * The proxy connects upstream from the client's own address, with
 * PROXY_MARK_FROM on its sockets: those connections are policed as usual but
 * never redirected again, and their replies are marked for local delivery
 * so that they reach the proxy's upstream socket. */
#pragma once

#include "common.h"
#include "configs.h"
#include "parse.h"

#define PROXY_MARK_MASK 0xffff0000
#define PROXY_MARK_TO 0x4c500000   /* to the proxy; bits 8-15: proxy_tag, 0-7: the L7 parser */
#define PROXY_MARK_FROM 0x4c510000 /* set by the proxy on its upstream sockets */

#define LOOPBACK_IFINDEX 1

/* ct_entry.proxy: the parser a redirected connection goes to, or
 * PROXY_UPSTREAM for the proxy's own upstream connections. */
#define PROXY_UPSTREAM 0x80

/* proxy_ports: where the proxy listens, on loopback, per L7 parser.
 * key: __u32 parser. value: struct proxy_ports, ports by protocol and family
 * (0: no listener). Written by the agent when its proxy starts and cleared
 * when it stops; read by the tc programs, which look the listening socket
 * up by that address and assign redirected packets to it. (A socket map
 * would hold the sockets themselves, but this kernel refuses listening TCP
 * sockets in one.) */
struct proxy_ports {
	__u16 port[4]; /* [(proto == UDP) * 2 + (family == 6)] */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct proxy_ports);
	__uint(max_entries, 4);
} proxy_ports SEC(".maps");

/* proxy_socket looks up the proxy's socket for parser; the caller releases
 * it. */
static __always_inline struct bpf_sock *proxy_socket(struct __sk_buff *skb, __u8 parser, __u8 family, __u8 proto)
{
	__u32 key = parser & 3;
	struct proxy_ports *pp = bpf_map_lookup_elem(&proxy_ports, &key);

	if (!pp)
		return NULL;
	__u8 udp = proto == IPPROTO_UDP;
	__u16 port = pp->port[(udp ? 2 : 0) + (family == 6 ? 1 : 0)];
	if (!port)
		return NULL;
	struct bpf_sock_tuple t = {};
	__u32 size = sizeof(t.ipv4);
	if (family == 6) {
		t.ipv6.daddr[3] = bpf_htonl(1);
		t.ipv6.dport = bpf_htons(port);
		size = sizeof(t.ipv6);
	} else {
		t.ipv4.daddr = bpf_htonl(0x7f000001);
		t.ipv4.dport = bpf_htons(port);
	}
	if (udp)
		return bpf_sk_lookup_udp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	return bpf_sk_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
}

/* proxy_available tells whether a listener for parser is there. */
static __always_inline int proxy_available(struct __sk_buff *skb, __u8 parser, __u8 family, __u8 proto)
{
	struct bpf_sock *sk = proxy_socket(skb, parser, family, proto);

	if (!sk)
		return 0;
	bpf_sk_release(sk);
	return 1;
}

/* proxy_assign assigns the packet to the proxy's listener: needed for a
 * TCP SYN and for every UDP datagram; other TCP packets find the accepted
 * socket by their 4-tuple. */
static __always_inline int proxy_assign(struct __sk_buff *skb, __u8 parser, __u8 family, __u8 proto, __u8 tcp_flags)
{
	if (proto == IPPROTO_TCP && !(tcp_flags & TCP_SYN))
		return 0;
	struct bpf_sock *sk = proxy_socket(skb, parser, family, proto);
	if (!sk)
		return -1;
	long err = bpf_sk_assign(skb, sk, 0);
	bpf_sk_release(sk);
	return err ? -1 : 0;
}

/* proxy_from_ingress delivers a packet seen at tc ingress to the proxy. */
static __always_inline int proxy_from_ingress(struct __sk_buff *skb, const struct packet *p, __u8 parser)
{
	skb->mark = PROXY_MARK_TO | ((__u32)proxy_tag << 8) | parser;
	return proxy_assign(skb, parser, p->key.family, p->key.proto, p->tcp_flags) ? TC_ACT_SHOT : TC_ACT_OK;
}

/* proxy_from_egress hands a packet seen at tc egress to the loopback's
 * ingress, addressed to its (all-zero) MAC so that the stack takes it. */
static __always_inline int proxy_from_egress(struct __sk_buff *skb, __u8 parser)
{
	__u8 zero[6] = {};

	skb->mark = PROXY_MARK_TO | ((__u32)proxy_tag << 8) | parser;
	if (bpf_skb_store_bytes(skb, 0, zero, sizeof(zero), 0) < 0)
		return TC_ACT_SHOT;
	return bpf_redirect(LOOPBACK_IFINDEX, BPF_F_INGRESS);
}
