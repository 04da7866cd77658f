package httpproxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// Handler serves redirected HTTP connections; one Handler serves them all.
type Handler struct {
	cfg    Config
	dial   proxy.Dialer
	emit   proxy.Emitter
	log    *slog.Logger
	redact redactor
}

var _ proxy.StreamHandler = (*Handler)(nil)

// New makes a handler that dials servers with dial and reports flows to
// emit.
func New(cfg Config, dial proxy.Dialer, emit proxy.Emitter, log *slog.Logger) *Handler {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if emit == nil {
		emit = func(*flow.Flow) {}
	}
	return &Handler{cfg: cfg, dial: dial, emit: emit, log: log, redact: newRedactor(cfg)}
}

// h2Preface starts every HTTP/2 connection with prior knowledge.
var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// ServeConn serves one client connection until it ends, the server's side
// fails, or ctx ends; it closes c.
func (h *Handler) ServeConn(ctx context.Context, c net.Conn, m *proxy.Conn) {
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if m.Policy == nil {
		// The contract says never nil; fail closed if it is.
		mm := *m
		mm.Policy = &proxy.Policy{Egress: denyAll}
		m = &mm
	}

	// The first request's headers must arrive within the header timeout,
	// counted from the connection's start.
	_ = c.SetReadDeadline(time.Now().Add(h.cfg.HeaderTimeout))
	lim := &limitReader{r: c, n: h.headLimit()}
	br := bufio.NewReaderSize(lim, bufSize)
	if isHTTP2(br) {
		_ = c.SetReadDeadline(time.Time{})
		lim.n = -1
		h.serveHTTP2(ctx, &bufferedConn{Conn: c, r: br}, m)
		return
	}
	h.serveHTTP1(ctx, c, br, lim, m)
}

// isHTTP2 reports whether the connection starts with the HTTP/2 preface.
// Fewer bytes than the preface (a short HTTP/1 request, a slow client)
// are looked at as far as they go.
func isHTTP2(br *bufio.Reader) bool {
	for n := 1; n <= len(h2Preface); n++ {
		b, err := br.Peek(n)
		if err != nil || !bytes.Equal(b, h2Preface[:n]) {
			return false
		}
	}
	return true
}

// bufferedConn reads what was peeked at before the rest of the connection.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// bufSize is the size of a connection's read and write buffers.
const bufSize = 4096

// headLimit is what a request's head may read: the buffer's read-ahead
// is allowed for, as in net/http.
func (h *Handler) headLimit() int64 { return int64(h.cfg.MaxHeaderBytes) + bufSize }

// limitReader bounds what a request's head may read from the connection;
// n < 0 lifts the bound (bodies are streamed, not buffered).
type limitReader struct {
	r   io.Reader
	n   int64
	hit bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		l.hit = true
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
