package httpproxy

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// serveHTTP2 serves a connection that started with the HTTP/2 preface:
// each stream is a request, decided and forwarded on its own, on one
// multiplexed upstream connection.
func (h *Handler) serveHTTP2(ctx context.Context, c net.Conn, m *proxy.Conn) {
	up := newUpstream(h.dial, m, true, h.cfg.MaxHeaderBytes)
	defer up.close()
	srv := &http2.Server{
		MaxConcurrentStreams: h.cfg.MaxConcurrentStreams,
		IdleTimeout:          h.cfg.IdleTimeout,
		// Protocol errors of the client (bad frames, flow control,
		// trailers) are errors of this connection's requests.
		// Unreadable requests (a stream's protocol error) are errors of
		// the connection's requests; connection errors come by the log.
		CountError: func(errType string) {
			if strings.HasPrefix(errType, "stream_PROTOCOL_") {
				h.log.Debug("http2 stream error", "src", m.Src, "dst", m.Dst, "error", errType)
				h.emitError(m, nil, "HTTP/2", http.StatusBadRequest)
			}
		},
	}
	//lint:ignore SA1019 ServeConn is the one-connection server we need; net/http has none.
	srv.ServeConn(c, &http2.ServeConnOpts{
		Context: ctx,
		BaseConfig: &http.Server{
			MaxHeaderBytes:    h.cfg.MaxHeaderBytes,
			ReadHeaderTimeout: h.cfg.HeaderTimeout,
			IdleTimeout:       h.cfg.IdleTimeout,
			ErrorLog:          log.New(&h2ErrorLog{h: h, m: m}, "", 0),
		},
		Handler: &stream2{h: h, m: m, up: up},
	})
}

// stream2 serves the streams of one HTTP/2 connection.
type stream2 struct {
	h  *Handler
	m  *proxy.Conn
	up *upstream
}

func (s *stream2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, m := s.h, s.m
	start := time.Now()
	v := m.Policy.HTTP(r.Method, r.Host, r.URL.Path, r.Header)
	x := h.newExchange(r, "HTTP/2", start)
	h.emitRequest(m, x, v)
	if !v.Allowed {
		writeLocal(w, r, http.StatusForbidden, deniedBody)
		return
	}
	out := outgoing(r.Context(), r, nil, m)
	// Request trailers (rare outside gRPC's client streaming, which sends
	// none) are filled in by the server when the body ends.
	out.Trailer = r.Trailer
	resp, err := s.up.roundTrip(out)
	if err != nil {
		h.log.Debug("http2 upstream failed", "src", m.Src, "dst", m.Dst, "error", err)
		h.emitResponse(m, x, flow.Verdict_ERROR, http.StatusBadGateway, nil, time.Now())
		writeLocal(w, r, http.StatusBadGateway, "Bad Gateway\n")
		return
	}
	defer resp.Body.Close()
	h.emitResponse(m, x, flow.Verdict_FORWARDED, resp.StatusCode, resp.Header, time.Now())
	copyResponse(w, resp)
}

// copyBufs are the buffers streams copy response bodies with: a
// stream's lifetime at most, shared across connections.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 16<<10)
	return &b
}}

// copyResponse streams a response: headers at once, each read of the
// body flushed as it comes (gRPC streams), trailers after the body.
func copyResponse(w http.ResponseWriter, resp *http.Response) {
	hdr := w.Header()
	for k, vs := range resp.Header {
		hdr[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	if isGRPC(resp.Header) && resp.Header.Get("Grpc-Status") == "" {
		// A stream's headers go at once: the client may wait for them
		// before it sends. A status in the headers is a trailers-only
		// answer, which must end the stream in the same frame.
		_ = rc.Flush()
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// The server reset the stream: reset the client's too.
			panic(http.ErrAbortHandler)
		}
	}
	for k, vs := range resp.Trailer {
		hdr[http.TrailerPrefix+k] = vs
	}
}

// h2ErrorLog turns the HTTP/2 server's reports of connection errors (a
// client breaking the protocol: the connection is closed with GOAWAY)
// into ERROR flows; the rest goes to the debug log.
type h2ErrorLog struct {
	h *Handler
	m *proxy.Conn
}

func (l *h2ErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	l.h.log.Debug("http2 server", "src", l.m.Src, "dst", l.m.Dst, "msg", msg)
	if strings.Contains(msg, "server connection error") {
		l.h.emitError(l.m, nil, "HTTP/2", http.StatusBadRequest)
	}
	return len(p), nil
}
