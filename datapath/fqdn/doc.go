// Package fqdn is the node's DNS name cache: which addresses DNS answered
// for which names, until their TTL runs out. The DNS proxy feeds it
// (Learn) with every answer it relays; the policy resolver asks it for the
// addresses a toFQDNs selector stands for now (Prefixes); the collector
// asks it which names an address was answered for (Names).
//
// Ordering is the point of the design: Learn returns only after the
// policy that allows a newly answered address is installed (OnChange), so
// the workload never holds an address its egress policy would still drop.
// When entries expire, the GC goroutine calls OnChange again, and the
// addresses stop being allowed.
//
// A CNAME chain belongs to the name asked: for www.example.com answered as
// CNAME cdn.example.net with A 192.0.2.1, both names get 192.0.2.1, so a
// selector on either allows it. Links between names live only as long as
// the answer that carried them; a later direct query for the target does
// not extend what the alias allows (as in Cilium).
//
// TTLs: Config.MinTTL raises short TTLs. Cilium defaults its equivalent
// (tofqdns-min-ttl) to 3600 s so that long-lived connections to names with
// short TTLs keep working; loupe defaults to 0 because it does not track
// connections per name, and because TTL expiry must be observable (a lab
// scenario shows an address stop being allowed after its TTL). Deployments
// with short-TTL names and long connections should raise it.
//
// Nothing is persisted: after an agent restart the cache is empty and
// toFQDNs rules allow nothing until the workloads resolve their names
// again (through the proxy, which they must reach for DNS anyway). The
// policy installed in the kernel before the restart keeps being enforced
// until the first re-resolution replaces it.
package fqdn
