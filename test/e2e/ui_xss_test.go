package e2e

import (
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/ui/uitest"
)

// hostileFlows carry markup wherever flow data is free text: labels,
// workload names, HTTP paths and headers, DNS names.
func hostileFlows() []*flow.Flow {
	now := time.Now()
	src := &flow.Endpoint{Id: 1, Identity: 300, Namespace: "shop", Workload: "<script>alert(3)</script>",
		Labels: []string{"app=<b>bold</b>", "loupe.namespace=shop"}}
	dst := &flow.Endpoint{Id: 2, Identity: 301, Namespace: "shop", Workload: "catalog", Labels: []string{"app=catalog"}}
	var out []*flow.Flow
	for i := range 3 {
		f := uitest.Flow(now.Add(time.Duration(i)*time.Millisecond), src, dst, uint32(40000+i), 8080)
		f.EventType = flow.EventType_L7
		f.L7 = &flow.Layer7{Type: flow.L7FlowType_REQUEST, Record: &flow.Layer7_Http{Http: &flow.HTTP{
			Method: "GET", Url: "/<img src=x onerror=alert(1)>", Protocol: "HTTP/1.1",
			Headers: []*flow.HTTPHeader{{Key: "x-evil", Value: "<svg onload=alert(2)>"}},
		}}}
		f.DestinationNames = []string{"<img src=x onerror=alert(4)>.example.com"}
		f.TraceContext = &flow.TraceContext{TraceId: "4bf92f3577b34da6a3ce929d0e0e4736", SpanId: "00f067aa0ba902b7"}
		out = append(out, f)
	}
	dns := uitest.Flow(now, src, &flow.Endpoint{Identity: 2}, 5353, 53)
	dns.DestinationNames = []string{"<iframe src=javascript:alert(5)>"}
	return append(out, dns)
}

// TestUIRendersFlowDataAsText: in a real browser, a request to
// /<img src=x onerror=alert(1)> and markup in labels, names, headers and
// DNS names render as text; nothing runs and no element is made from them.
func TestUIRendersFlowDataAsText(t *testing.T) {
	requireBrowser(t)
	fake := &uitest.Observer{Flows: hostileFlows()}
	addr := uitest.Serve(t, fake)
	u := startUI(t, "--server", addr, "--query-api", "", "--agent", "")
	runBrowser(t, "xss.mjs", u.url)
}
