// Package httpproxy is the L7 proxy's HTTP handler: HTTP/1.1 and HTTP/2
// with prior knowledge (h2c, which gRPC uses), detected on the first bytes
// of a redirected connection.
//
// Every request is decided by the connection's policy (method, path, host,
// headers). A denied request is answered by the proxy, as Cilium's Envoy
// does: 403 "Access denied", or for gRPC a trailers-only response with
// grpc-status 7 (PERMISSION_DENIED); the server never sees it and the
// connection stays open for the next request. An allowed request goes to
// the original destination on one upstream connection per client
// connection, opened lazily with the proxy's dialer and reopened when the
// server closes it, so the server sees one connection per client.
//
// Flows: a REQUEST flow when a request is decided (FORWARDED or DROPPED,
// with the deciding policies), a RESPONSE flow with the status and the
// latency from the request to the response headers, and an ERROR flow
// (type REQUEST, code 400, 408 or 431) for requests the proxy cannot read.
// Credentials are redacted by default (see Config).
//
// A W3C traceparent on a request is validated, the proxy takes a new span
// id for the request, records trace id, parent and its span in the flows,
// and forwards the traceparent with its own span as the parent, so the
// server's spans hang below the proxy's.
package httpproxy
