package httpproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/loupe-dev/loupe/datapath/proxy"
)

// expectContinueTimeout is how long the upstream leg waits for the
// server's 100 Continue before it sends a body anyway (curl waits 1 s).
const expectContinueTimeout = time.Second

// upstream is a client connection's connection to its server: one at a
// time, opened on the first request that needs it and again when the
// server closed it, so that the server sees the client's connection and
// not a pool.
type upstream struct {
	tr   *http.Transport
	addr string // the server's, whatever the requests name

	mu     sync.Mutex
	cc     *http.ClientConn
	old    []*http.ClientConn // replaced, possibly with HTTP/2 streams still in flight
	closed bool
}

func newUpstream(dial proxy.Dialer, m *proxy.Conn, h2 bool, maxHeaderBytes int) *upstream {
	var p http.Protocols
	if h2 {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	return &upstream{addr: m.Dst.String(), tr: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial.Dial(ctx, "tcp", m)
		},
		Protocols:              &p,
		DisableCompression:     true,
		ExpectContinueTimeout:  expectContinueTimeout,
		MaxResponseHeaderBytes: int64(maxHeaderBytes),
	}}
}

var errUpstreamClosed = errors.New("upstream closed")

// conn is the current connection, dialed if there is none or the last
// one failed or was closed.
func (u *upstream) conn(ctx context.Context) (*http.ClientConn, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil, errUpstreamClosed
	}
	if u.cc != nil && u.cc.Err() == nil {
		return u.cc, nil
	}
	if u.cc != nil {
		u.old = append(u.old, u.cc)
		u.cc = nil
	}
	cc, err := u.tr.NewClientConn(ctx, "http", u.addr)
	if err != nil {
		return nil, fmt.Errorf("connect upstream: %w", err)
	}
	u.cc = cc
	return cc, nil
}

// roundTrip sends req on the connection. A request without a body that
// fails on a reused connection (the server closed it while idle) is sent
// again once on a new connection, as net/http's Transport does.
func (u *upstream) roundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		cc, err := u.conn(req.Context())
		if err != nil {
			return nil, err
		}
		resp, err := cc.RoundTrip(req)
		if err == nil {
			return resp, nil
		}
		if attempt > 0 || req.Context().Err() != nil || !replayable(req) {
			return nil, fmt.Errorf("upstream request: %w", err)
		}
		u.mu.Lock()
		if u.cc == cc {
			u.old = append(u.old, cc)
			u.cc = nil
		}
		u.mu.Unlock()
	}
}

func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// close ends every upstream connection of the client's connection.
func (u *upstream) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.closed = true
	if u.cc != nil {
		u.cc.Close()
	}
	for _, cc := range u.old {
		cc.Close()
	}
	u.cc, u.old = nil, nil
}
