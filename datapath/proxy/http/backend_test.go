package httpproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/api/flow"
)

// backend is an HTTP server (HTTP/1.1 and h2c) that records what it is
// sent: path, client connection, headers; it answers "ok <path>" and echoes
// a request body's length.
type backend struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	Method, Path, Remote, Proto string
	Header                      http.Header
	BodyLen                     int
}

func newBackend(t testing.TB) *backend {
	b := &backend{}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	b.srv.Config.Protocols = &p
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) addr() string { return strings.TrimPrefix(b.srv.URL, "http://") }

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	b.mu.Lock()
	b.seen = append(b.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Remote: r.RemoteAddr, Proto: r.Proto, Header: r.Header.Clone(), BodyLen: int(n)})
	b.mu.Unlock()
	if r.URL.Path == "/cookie" {
		w.Header().Set("Set-Cookie", "session=abc")
	}
	w.Header().Set("X-Backend", "yes")
	fmt.Fprintf(w, "ok %s %d", r.URL.Path, n)
}

func (b *backend) requests() []seenRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seenRequest(nil), b.seen...)
}

// remotes counts the client connections the backend saw.
func (b *backend) remotes() int {
	set := map[string]bool{}
	for _, s := range b.requests() {
		set[s.Remote] = true
	}
	return len(set)
}

// rawClient speaks HTTP/1.1 on one connection, request by request.
type rawClient struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{c: c, br: bufio.NewReader(c)}
}

// do sends a raw request and reads the response and its body.
func (rc *rawClient) do(t testing.TB, raw string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(rc.c, raw); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return rc.read(t)
}

func (rc *rawClient) read(t testing.TB) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

// closed reads until the proxy closes the connection (the test fails by
// its timeout if it never does).
func (rc *rawClient) closed() bool {
	for {
		if _, err := rc.br.ReadByte(); err != nil {
			return true
		}
	}
}

// flowSummary is what the tests compare of a flow.
type flowSummary struct {
	Verdict  flow.Verdict
	Type     flow.L7FlowType
	Code     uint32
	Method   string
	Path     string
	Proto    string
	Policies []string
	Reply    bool
}

func summarize(fs []*flow.Flow) []flowSummary {
	var out []flowSummary
	for _, f := range fs {
		h := f.GetL7().GetHttp()
		path := h.GetUrl()
		if i := strings.Index(path, "://"); i >= 0 {
			path = path[i+3:]
			if j := strings.IndexByte(path, '/'); j >= 0 {
				path = path[j:]
			}
		}
		out = append(out, flowSummary{Verdict: f.Verdict, Type: f.GetL7().GetType(), Code: h.GetCode(),
			Method: h.GetMethod(), Path: path, Proto: h.GetProtocol(), Policies: f.PolicyNames, Reply: f.IsReply})
	}
	return out
}

// wantExchange is the flows of one forwarded request and its response,
// or of one denied request.
func wantExchange(method, path, proto string, code uint32, allowed bool, pol string) []flowSummary {
	if !allowed {
		return []flowSummary{{Verdict: flow.Verdict_DROPPED, Type: flow.L7FlowType_REQUEST, Code: 403, Method: method, Path: path, Proto: proto, Policies: []string{pol}}}
	}
	return []flowSummary{
		{Verdict: flow.Verdict_FORWARDED, Type: flow.L7FlowType_REQUEST, Method: method, Path: path, Proto: proto, Policies: []string{pol}},
		{Verdict: flow.Verdict_FORWARDED, Type: flow.L7FlowType_RESPONSE, Code: code, Method: method, Path: path, Proto: proto, Policies: []string{pol}, Reply: true},
	}
}

func checkLatency(t testing.TB, fs []*flow.Flow) {
	t.Helper()
	for _, f := range fs {
		if f.GetL7().GetType() == flow.L7FlowType_RESPONSE && f.Verdict == flow.Verdict_FORWARDED && f.GetL7().GetLatencyNs() == 0 {
			t.Errorf("response flow %v without latency", f.GetL7().GetHttp().GetUrl())
		}
	}
}

func diffFlows(t testing.TB, got []*flow.Flow, want []flowSummary) {
	t.Helper()
	if d := cmp.Diff(summarize(got), want); d != "" {
		t.Errorf("flows (-got +want):\n%s", d)
	}
}
