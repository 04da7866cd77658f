// Package policy is loupe's network policy language and its resolution into
// the entries the datapath enforces.
//
// # Language
//
// A policy file holds YAML documents of two kinds (docs/policy.md has the
// reference and examples):
//
//   - LoupeNetworkPolicy (apiVersion loupe.dev/v1), with the vocabulary of
//     CiliumNetworkPolicy: endpointSelector; ingress, egress, ingressDeny and
//     egressDeny rules with fromEndpoints/toEndpoints, fromCIDR/toCIDR,
//     fromCIDRSet/toCIDRSet (cidr + except), fromEntities/toEntities (world,
//     host, cluster, all), toPorts (port, endPort, protocol TCP, UDP, SCTP or
//     ANY) and icmps; audit: true; enableDefaultDeny.
//   - Kubernetes NetworkPolicy (networking.k8s.io/v1), as it is, with
//     Kubernetes semantics: podSelector, policyTypes, from/to peers with
//     podSelector, namespaceSelector (over namespace labels) and ipBlock.
//
// Parse and ParseFiles refuse a file whole on any problem, with a
// *ParseError (errors.Is ErrInvalidPolicy) listing every problem as
// "file:line: what is wrong".
//
// # Semantics
//
// An endpoint is default-allow in a direction until a policy selects it in
// that direction; then what no rule allows is denied there. Deny rules win
// over allow rules. A namespaced policy selects endpoints of its namespace
// only; its peer selectors too, unless they name loupe.namespace. Replies of
// allowed connections always pass: conntrack in the datapath sees to that,
// so policy only decides new connections. An audit policy changes nothing
// that is forwarded or dropped: what it would drop is forwarded and reported
// with verdict AUDIT.
//
// # Resolution
//
// Resolve turns the policies, the node's endpoints and the known identities
// into one EndpointPolicy per endpoint: direction flags and a sorted list of
// Entry (remote identity, protocol, port range, deny, audit), plus the CIDR
// identities the ipcache needs. Decide is the lookup the datapath performs on
// those entries, written in Go: Explain and the tests use it, and the BPF
// program follows the same order, so that what explain says is what the
// kernel does.
package policy
