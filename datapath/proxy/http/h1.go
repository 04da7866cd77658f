package httpproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// maxDrain bounds what the proxy reads of a request body nobody wants (a
// denied request's, the rest of one the server answered early) to keep
// the connection; a longer body closes it instead.
const maxDrain = 256 << 10

// conn1 is one HTTP/1 client connection.
type conn1 struct {
	h  *Handler
	m  *proxy.Conn
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// w writes to bw without exposing bufio.Writer.ReadFrom, which must
	// not run while a response body flushes the buffer.
	w   io.Writer
	lim *limitReader
	up  *upstream
}

func (h *Handler) serveHTTP1(ctx context.Context, c net.Conn, br *bufio.Reader, lim *limitReader, m *proxy.Conn) {
	bw := bufio.NewWriterSize(c, bufSize)
	cc := &conn1{h: h, m: m, c: c, br: br, bw: bw, w: struct{ io.Writer }{bw}, lim: lim,
		up: newUpstream(h.dial, m, false, h.cfg.MaxHeaderBytes)}
	defer cc.up.close()
	for first := true; ; first = false {
		req, ok := cc.readRequest(first)
		if !ok || !cc.serve(ctx, req) {
			return
		}
	}
}

// readRequest reads the next request's head; false ends the connection
// (after an error answer and flow where the client sent something bad).
func (cc *conn1) readRequest(first bool) (*http.Request, bool) {
	h := cc.h
	if !first {
		_ = cc.c.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
		if _, err := cc.br.Peek(1); err != nil {
			return nil, false // idle, or closed by the client: nothing to report
		}
		_ = cc.c.SetReadDeadline(time.Now().Add(h.cfg.HeaderTimeout))
	}
	req, code, err := readHead(cc.br, cc.lim, h.headLimit())
	switch {
	case err == nil:
		_ = cc.c.SetReadDeadline(time.Time{})
		return req, true
	case code == 0:
		return nil, false
	}
	h.log.Debug("http request rejected", "src", cc.m.Src, "dst", cc.m.Dst, "code", code, "error", err)
	h.emitError(cc.m, nil, "HTTP/1.1", code)
	_ = cc.c.SetWriteDeadline(time.Now().Add(h.cfg.HeaderTimeout))
	if writeLocal1(cc.bw, nil, code, http.StatusText(code)+"\n", true) == nil {
		lingerClose(cc.c)
	}
	return nil, false
}

// readHead reads a request's head, at most limit bytes. An error comes
// with the status to answer, or 0 when the client went away before it
// sent anything.
func readHead(br *bufio.Reader, lim *limitReader, limit int64) (*http.Request, int, error) {
	lim.n, lim.hit = limit, false
	req, err := http.ReadRequest(br)
	lim.n = -1
	switch {
	case err == nil && req.ProtoAtLeast(1, 1) && req.Host == "":
		// RFC 9112 3.2, as net/http's server demands.
		return nil, http.StatusBadRequest, errors.New("read request: missing Host header")
	case err == nil:
		return req, 0, nil
	case lim.hit:
		return nil, http.StatusRequestHeaderFieldsTooLarge, fmt.Errorf("read request: head over %d bytes", limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, http.StatusRequestTimeout, fmt.Errorf("read request: %w", err)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return nil, 0, fmt.Errorf("read request: %w", err)
	}
	return nil, http.StatusBadRequest, fmt.Errorf("read request: %w", err)
}

// serve decides and answers one request; false ends the connection.
func (cc *conn1) serve(ctx context.Context, req *http.Request) bool {
	h, m := cc.h, cc.m
	start := time.Now()
	v := m.Policy.HTTP(req.Method, req.Host, req.URL.Path, req.Header)
	x := h.newExchange(req, req.Proto, start)
	h.emitRequest(m, x, v)
	if !v.Allowed {
		keep := !req.Close && cc.discard(req)
		return writeLocal1(cc.bw, req, http.StatusForbidden, deniedBody, !keep) == nil && keep
	}

	body := newReqBody(req, cc.bw)
	var rb io.ReadCloser // not a typed nil
	if body != nil {
		rb = body
	}
	resp, err := cc.up.roundTrip(outgoing(ctx, req, rb, m))
	if err != nil {
		h.log.Debug("http upstream failed", "src", m.Src, "dst", m.Dst, "error", err)
		h.emitResponse(m, x, flow.Verdict_ERROR, http.StatusBadGateway, nil, time.Now())
		_ = writeLocal1(cc.bw, req, http.StatusBadGateway, "Bad Gateway\n", true)
		return false
	}
	defer resp.Body.Close()
	h.emitResponse(m, x, flow.Verdict_FORWARDED, resp.StatusCode, resp.Header, time.Now())
	if body != nil {
		// The server has answered: what the client still sends of the
		// body is drained below, not read by the upstream leg.
		_ = cc.c.SetReadDeadline(time.Now().Add(h.cfg.HeaderTimeout))
		body.stop()
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		cc.upgrade(resp)
		return false
	}
	if err := cc.writeResponse(resp); err != nil {
		return false
	}
	keep := !req.Close && !resp.Close
	if body != nil {
		keep = body.finish(maxDrain) && keep
	}
	return keep
}

// outgoing is req as sent upstream: same head and body, addressed to
// the server it named, without headers the client library would add.
func outgoing(ctx context.Context, req *http.Request, body io.ReadCloser, m *proxy.Conn) *http.Request {
	out := req.WithContext(ctx)
	u := *req.URL
	out.URL = &u
	out.URL.Scheme = "http"
	if out.URL.Host == "" {
		out.URL.Host = req.Host
	}
	if out.URL.Host == "" {
		out.URL.Host = m.Dst.String()
	}
	out.RequestURI = ""
	if body != nil {
		out.Body = body
	}
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""}
	}
	return out
}

// discard reads a denied request's body so that the next request can be
// read; false when it is too long, or when the client waits for a 100
// Continue it will not get and may or may not send the body.
func (cc *conn1) discard(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if expectsContinue(req) {
		return false
	}
	_ = cc.c.SetReadDeadline(time.Now().Add(cc.h.cfg.HeaderTimeout))
	_, err := io.CopyN(io.Discard, req.Body, maxDrain)
	return errors.Is(err, io.EOF)
}

// writeResponse streams the server's response to the client. The head
// and the first read of the body go out in one write; later reads flush
// what came before them, so streamed bodies are not held back.
func (cc *conn1) writeResponse(resp *http.Response) error {
	resp.Body = &flushingBody{ReadCloser: resp.Body, w: cc.bw}
	_ = cc.c.SetWriteDeadline(time.Time{})
	if err := resp.Write(cc.w); err != nil {
		return err
	}
	return cc.bw.Flush()
}

type flushingBody struct {
	io.ReadCloser
	w     *bufio.Writer
	reads int
}

func (b *flushingBody) Read(p []byte) (int, error) {
	if b.reads > 0 && b.w.Buffered() > 0 {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
	}
	b.reads++
	return b.ReadCloser.Read(p)
}

// writeLocal1 answers a request on the proxy's behalf (req is nil when
// it could not be read).
func writeLocal1(bw *bufio.Writer, req *http.Request, code int, body string, closeConn bool) error {
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	bw.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	if closeConn {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
	if req == nil || req.Method != http.MethodHead {
		bw.WriteString(body)
	}
	return bw.Flush()
}

// lingerDelay is how long an answered bad client may keep sending before
// the connection closes.
const lingerDelay = 500 * time.Millisecond

// lingerClose ends the proxy's side and reads what the client still sends
// for a while, so that closing with unread input (a reset) does not
// destroy the error answer before the client reads it, as net/http does.
func lingerClose(c net.Conn) {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerDelay))
	_, _ = io.Copy(io.Discard, io.LimitReader(c, maxDrain))
}
