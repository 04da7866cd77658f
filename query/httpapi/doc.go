// Package httpapi serves the incident queries of query/incident as JSON
// over HTTP, for `loupe query` and the web UI:
//
//	GET /api/v1/query                 the kinds, their by, sort and limits
//	GET /api/v1/query/{kind}?since=&until=&by=&sort=&namespace=&workload=&limit=
//
// since and until are RFC 3339 times, "now", or durations before now (30s,
// 15m, 2h, 1d, 1d12h); the window defaults to the last hour and is widened
// to whole minutes. Errors are {"error": "..."}: 400 names the parameter
// that is wrong, 500 is anything else (the database, a timeout).
//
// The handler routes on full paths, so it can be mounted at "/" or at
// "/api/v1/" of another mux without stripping a prefix.
package httpapi
