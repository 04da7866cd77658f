// Package mtls is the mutual TLS between relays and agents: a local
// certificate authority for labs and tests (what `loupe certs` writes), the
// tls.Configs both sides use, and the rule that plaintext stays on loopback.
package mtls
