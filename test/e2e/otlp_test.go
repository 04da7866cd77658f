package e2e

import (
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/otlptest"
)

// TestOTLPTraceOfCallChain: with --otlp-endpoint, the spans the proxy
// makes of a call chain frontend -> catalog -> cart (catalog passing the
// traceparent on through /chain/) reach an OTLP receiver as one trace:
// frontend's request is the child of the caller's span, catalog's the
// child of frontend's, each under its client's service name. A request
// policy denies is a span with error status.
func TestOTLPTraceOfCallChain(t *testing.T) {
	rcv := otlptest.Start(t)
	a := newAgent(t, "otlp", "--otlp-endpoint", rcv.Addr())
	a.start()
	lb := labUp(t, a)
	applyPolicy(t, a, "../../deploy/lab/policies/shop.yaml")
	applyPolicy(t, a, "../../deploy/lab/policies/shop-l7.yaml")
	l := l7LabOf(t, a, lb)

	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		caller  = "00f067aa0ba902b7"
	)
	for _, step := range []struct {
		path   string
		status int
	}{
		{"/chain/" + l.addr("cart", "8080", false) + "/cart", 200},
		{"/admin", 403},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+l.addr("catalog", "8080", false)+step.path, nil)
		req.Header.Set("Traceparent", "00-"+traceID+"-"+caller+"-01")
		c, err := l.dial("frontend", "tcp", l.addr("catalog", "8080", false))
		if err != nil {
			t.Fatal(err)
		}
		client := oneConnClient(c)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", step.path, err)
		}
		resp.Body.Close()
		client.CloseIdleConnections()
		if resp.StatusCode != step.status {
			t.Fatalf("GET %s: status %d, want %d", step.path, resp.StatusCode, step.status)
		}
	}

	find := func(spans []otlptest.Span, service, peer, parent string) *otlptest.Span {
		for i, s := range spans {
			if s.Service() == service && s.Attr("peer.service") == peer && hex.EncodeToString(s.GetParentSpanId()) == parent &&
				hex.EncodeToString(s.GetTraceId()) == traceID {
				return &spans[i]
			}
		}
		return nil
	}
	var chain, hop, denied *otlptest.Span
	rcv.WaitSpans(t, 30*time.Second, func(spans []otlptest.Span) bool {
		chain, denied = nil, nil
		for i, s := range spans {
			if s.Service() != "shop/frontend" || hex.EncodeToString(s.GetParentSpanId()) != caller {
				continue
			}
			switch s.Attr("url.path") {
			case "/admin":
				denied = &spans[i]
			default:
				chain = &spans[i]
			}
		}
		if chain == nil {
			return false
		}
		hop = find(spans, "shop/catalog", "shop/cart", hex.EncodeToString(chain.GetSpanId()))
		return hop != nil && denied != nil
	})
	if chain.Attr("peer.service") != "shop/catalog" || chain.GetKind().String() != "SPAN_KIND_CLIENT" ||
		otlptest.IntAttr(chain.GetAttributes(), "http.response.status_code") != 200 {
		t.Errorf("frontend's span: %s", otlptest.Describe([]otlptest.Span{*chain}))
	}
	if hop.GetName() != "GET /cart" || otlptest.IntAttr(hop.GetAttributes(), "http.response.status_code") != 200 {
		t.Errorf("catalog's span: %s", otlptest.Describe([]otlptest.Span{*hop}))
	}
	if hop.GetStartTimeUnixNano() < chain.GetStartTimeUnixNano() || hop.GetEndTimeUnixNano() > chain.GetEndTimeUnixNano() {
		t.Errorf("catalog's span [%d, %d] is not within frontend's [%d, %d]", hop.GetStartTimeUnixNano(), hop.GetEndTimeUnixNano(),
			chain.GetStartTimeUnixNano(), chain.GetEndTimeUnixNano())
	}
	if denied.GetStatus().GetCode().String() != "STATUS_CODE_ERROR" || denied.Attr("loupe.verdict") != "DROPPED" {
		t.Errorf("denied request's span: %s, verdict %s", otlptest.Describe([]otlptest.Span{*denied}), denied.Attr("loupe.verdict"))
	}
}
