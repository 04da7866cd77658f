// Package dnsproxy is the DNS handler of the node's L7 proxy: queries an
// L7 rule covers (UDP and TCP port 53) reach it with their original
// addresses; it decides each query's name with the connection's policy,
// answers denied ones REFUSED itself, forwards allowed ones to the server
// the client asked for, and relays the answer after the name cache has
// learned it (and, through the cache, after the policy that allows the
// answered addresses is installed). Every query and answer becomes an L7
// flow; input that is not DNS becomes an ERROR flow and is answered
// FORMERR when its header can be read, dropped when not.
//
// Messages are parsed with github.com/miekg/dns: it is what the lab's DNS
// server already uses, it unpacks every record type a resolver may see
// (CNAME chains, AAAA, SVCB, EDNS), and it is fuzzed upstream. The proxy
// relays the server's answer byte for byte and parses it only to learn
// from it, so an answer the library would re-encode differently reaches
// the client unchanged.
package dnsproxy
