package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// chainTimeout bounds one downstream call of /chain/.
const chainTimeout = 10 * time.Second

// errBadChainPath is a /chain/ path without HOST:PORT: the client's mistake.
var errBadChainPath = errors.New("want /chain/HOST:PORT/PATH")

// chainReply is what a /chain/ call reports of its downstream request.
type chainReply struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	Bytes  int64  `json:"bytes"`
}

// chainClient keeps no connections: each lab call is a connection of its
// own, as a flow per request is what the lab wants to show.
var chainClient = &http.Client{
	Timeout:   chainTimeout,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// chainCall serves GET /chain/HOST:PORT/REST: it calls
// http://HOST:PORT/REST (query included) and returns the downstream status
// and body size. The incoming traceparent is passed on unchanged and the
// lab makes no span of its own, so the trace shows exactly the spans the
// node's proxy makes: the frontend -> catalog request is the parent of
// catalog -> cart when catalog serves /chain/cart:8080/cart.
func chainCall(r *http.Request) (*chainReply, error) {
	target, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/chain/"), "/")
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errBadChainPath, target, err)
	}
	url := "http://" + target + "/" + rest
	if r.URL.RawQuery != "" {
		url += "?" + r.URL.RawQuery
	}
	ctx, cancel := context.WithTimeout(r.Context(), chainTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("chain to %s: %w", url, err)
	}
	if tp := r.Header.Values("Traceparent"); len(tp) > 0 {
		req.Header["Traceparent"] = tp
	}
	if ts := r.Header.Values("Tracestate"); len(ts) > 0 {
		req.Header["Tracestate"] = ts
	}
	resp, err := chainClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("chain to %s: %w", url, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<20))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("chain to %s: read body: %w", url, err)
	}
	return &chainReply{URL: url, Status: resp.StatusCode, Bytes: n}, nil
}
