package httpproxy

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// FuzzReadHead feeds arbitrary bytes to the request head reader and what
// follows it (policy, flows, redaction): no panic, errors carry an error
// status, and a head over the limit is never accepted.
func FuzzReadHead(f *testing.F) {
	f.Add([]byte("GET /a?b=c HTTP/1.1\r\nHost: web\r\nTraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("GET http://other/abs HTTP/1.0\r\n\r\n"))
	f.Add([]byte("GARBAGE\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nCookie: x\r\nAuthorization: y\r\n\r\n"))
	const limit = 1024
	h := New(Config{}, proxy.PlainDialer{}, func(*flow.Flow) {}, nil)
	m := &proxy.Conn{Policy: proxy.AllowAll(), Proto: 6}
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := &limitReader{r: bytes.NewReader(in)}
		br := bufio.NewReaderSize(lim, bufSize)
		req, code, err := readHead(br, lim, limit)
		if err != nil {
			switch code {
			case 0, http.StatusBadRequest, http.StatusRequestHeaderFieldsTooLarge:
			default:
				t.Fatalf("error %v with status %d", err, code)
			}
			return
		}
		if i := bytes.Index(in, []byte("\r\n\r\n")); i > limit+bufSize || i < 0 && bytes.Index(in, []byte("\n\n")) > limit+bufSize {
			t.Fatalf("accepted a head of %d bytes over a limit of %d", i, limit)
		}
		m.Policy.HTTP(req.Method, req.Host, req.URL.Path, req.Header)
		x := h.newExchange(req, req.Proto, time.Now())
		h.emitRequest(m, x, proxy.Verdict{Allowed: true})
		for _, hd := range x.headers {
			if sensitive := hd.Key == "Cookie" || hd.Key == "Authorization"; sensitive && hd.Value != Redacted {
				t.Fatalf("%s recorded as %q", hd.Key, hd.Value)
			}
		}
	})
}
