// Package proxy is the node's transparent L7 proxy. The datapath steers
// connections that an L7 rule covers to it (bpf/proxy.h: the first packet
// is assigned to the proxy's listening socket with bpf_sk_assign, the rest
// are routed to the host by a mark); the proxy reads requests, asks the
// connection's policy, answers denied requests itself and forwards allowed
// ones to the original destination from the client's own address, marked
// so that the datapath does not redirect them again. Every request and
// response becomes an L7 flow.
//
// This package owns the sockets (transparent listeners, the upstream
// dialer) and the connection metadata; the protocols live in sub-packages
// (http, dns, kafka), each a Handler.
package proxy
