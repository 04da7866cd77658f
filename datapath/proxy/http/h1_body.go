package httpproxy

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

var errBodyStopped = errors.New("request body stopped: the server answered")

func expectsContinue(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Expect"), "100-continue")
}

// reqBody is a request body on its way upstream. The upstream leg reads
// it on its own goroutine and may still do so after the server answered;
// stop takes it back so that the client connection can read the next
// request. A client that sent "Expect: 100-continue" gets its 100
// Continue when the upstream leg first reads, that is when the server
// asked for the body (or the leg stopped waiting for it to).
type reqBody struct {
	mu      sync.Mutex
	r       io.ReadCloser
	bw      *bufio.Writer // the client's; nil once 100 Continue is sent or not needed
	eof     bool
	stopped bool
}

// newReqBody wraps req's body; nil when it has none.
func newReqBody(req *http.Request, bw *bufio.Writer) *reqBody {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	b := &reqBody{r: req.Body}
	if expectsContinue(req) {
		b.bw = bw
	}
	return b
}

func (b *reqBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.eof:
		return 0, io.EOF
	case b.stopped:
		return 0, errBodyStopped
	}
	if b.bw != nil {
		b.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		err := b.bw.Flush()
		b.bw = nil
		if err != nil {
			return 0, err
		}
	}
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

// Close is the upstream leg's; the client connection owns the body.
func (b *reqBody) Close() error { return nil }

// stop ends the upstream leg's reads (waiting for one in progress).
func (b *reqBody) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
}

// finish reads what is left of the body, at most limit bytes, and
// reports whether it ended: the connection can carry another request.
// A client still waiting for 100 Continue may or may not send its body:
// the connection cannot be trusted.
func (b *reqBody) finish(limit int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eof {
		return true
	}
	if b.bw != nil {
		return false
	}
	_, err := io.CopyN(io.Discard, b.r, limit)
	b.eof = errors.Is(err, io.EOF)
	return b.eof
}
