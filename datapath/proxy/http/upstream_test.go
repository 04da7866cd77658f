package httpproxy

import (
	"net"
	"testing"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/proxy"
)

// TestUpstreamDown: a server that cannot be reached gets the client a
// 502 and an ERROR response flow after the FORWARDED request flow.
func TestUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	r := newRig(t, dead, proxy.AllowAll(), Config{})
	rc := dialRaw(t, r.addr)
	if resp, _ := rc.do(t, "GET /x HTTP/1.1\r\nHost: web\r\n\r\n"); resp.StatusCode != 502 {
		t.Errorf("got %d, want 502", resp.StatusCode)
	}
	rc.closed()
	got := r.flows.wait(t, 2)
	diffFlows(t, got, []flowSummary{
		{Verdict: flow.Verdict_FORWARDED, Type: flow.L7FlowType_REQUEST, Method: "GET", Path: "/x", Proto: "HTTP/1.1"},
		{Verdict: flow.Verdict_ERROR, Type: flow.L7FlowType_RESPONSE, Code: 502, Method: "GET", Path: "/x", Proto: "HTTP/1.1", Reply: true},
	})
}
