package otlp

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/sdk/resource"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/internal/otlptest"
)

var (
	frontend = &flow.Endpoint{Id: 3, Identity: 258, Namespace: "shop", Workload: "frontend", Labels: []string{"app=frontend"}}
	catalog  = &flow.Endpoint{Id: 4, Identity: 259, Namespace: "shop", Workload: "catalog", Labels: []string{"app=catalog"}}
	cart     = &flow.Endpoint{Id: 5, Identity: 260, Namespace: "shop", Workload: "cart", Labels: []string{"app=cart"}}
	db       = &flow.Endpoint{Id: 6, Identity: 261, Namespace: "shop", Workload: "db", Labels: []string{"app=db"}}
)

const (
	traceID    = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan = "00f067aa0ba902b7" // the span of whoever sent the first request
)

// l7 makes an HTTP flow of the proxy as it records a request (client ->
// server) or a response (server -> client, Hubble's convention).
func l7(typ flow.L7FlowType, client, server *flow.Endpoint, at time.Time, tc *flow.TraceContext, h *flow.HTTP, latency time.Duration) *flow.Flow {
	f := &flow.Flow{
		Time: timestamppb.New(at), Id: uint64(at.UnixNano()), NodeName: "vm",
		Verdict: flow.Verdict_FORWARDED, EventType: flow.EventType_L7,
		Source: client, Destination: server,
		Ip: &flow.IP{Source: "10.200.0.1", Destination: "10.200.0.2", IpVersion: flow.IPVersion_IPV4},
		L4: &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: 40000, DestinationPort: 8080}}},
		L7: &flow.Layer7{Type: typ, LatencyNs: uint64(latency), Record: &flow.Layer7_Http{Http: h}}, TraceContext: tc,
	}
	if typ == flow.L7FlowType_RESPONSE {
		f.Source, f.Destination, f.IsReply = server, client, true
		f.Ip.Source, f.Ip.Destination = f.Ip.Destination, f.Ip.Source
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: 8080, DestinationPort: 40000}}}
	}
	return f
}

// chain is frontend -> catalog /chain/cart:8080/cart -> cart, as the
// proxy records it when catalog passes traceparent on, plus a request
// policy denies and one that came without traceparent.
func chain(start time.Time) []*flow.Flow {
	tc1 := &flow.TraceContext{TraceId: traceID, ParentSpanId: callerSpan, SpanId: "1111111111111111"}
	tc2 := &flow.TraceContext{TraceId: traceID, ParentSpanId: "1111111111111111", SpanId: "2222222222222222"}
	tc3 := &flow.TraceContext{TraceId: traceID, ParentSpanId: callerSpan, SpanId: "3333333333333333"}
	get := func(url string, code uint32) *flow.HTTP {
		return &flow.HTTP{Method: "GET", Url: url, Protocol: "HTTP/1.1", Code: code}
	}
	denied := l7(flow.L7FlowType_REQUEST, frontend, db, start.Add(40*time.Millisecond), tc3, get("http://db:8080/admin", 0), 0)
	denied.Verdict, denied.DropReason, denied.PolicyNames = flow.Verdict_DROPPED, flow.DropReason_POLICY_DENIED, []string{"shop/l7"}
	return []*flow.Flow{
		l7(flow.L7FlowType_REQUEST, frontend, catalog, start, tc1, get("http://catalog:8080/chain/cart:8080/cart", 0), 0),
		l7(flow.L7FlowType_REQUEST, catalog, cart, start.Add(time.Millisecond), tc2, get("http://cart:8080/cart", 0), 0),
		l7(flow.L7FlowType_RESPONSE, catalog, cart, start.Add(3*time.Millisecond), tc2, get("http://cart:8080/cart", 200), 2*time.Millisecond),
		l7(flow.L7FlowType_RESPONSE, frontend, catalog, start.Add(5*time.Millisecond), tc1, get("http://catalog:8080/chain/cart:8080/cart", 200), 5*time.Millisecond),
		denied,
		l7(flow.L7FlowType_RESPONSE, frontend, cart, start.Add(50*time.Millisecond), nil, get("http://cart:8080/missing", 404), time.Millisecond),
		// Not spans: a trace flow, a DNS answer.
		{Time: timestamppb.New(start), EventType: flow.EventType_TRACE, Source: frontend, Destination: catalog},
		{Time: timestamppb.New(start), EventType: flow.EventType_L7, L7: &flow.Layer7{Type: flow.L7FlowType_RESPONSE, Record: &flow.Layer7_Dns{Dns: &flow.DNS{Query: "cart."}}}},
	}
}

// got is what the test compares of a received span.
type got struct {
	Service, Name, Parent, Kind, Status, Peer string
	Code                                      int64
	Micros                                    int64
}

func TestFlowSpansOverOTLP(t *testing.T) {
	rcv := otlptest.Start(t)
	ctx := context.Background()
	c, err := Dial(ctx, rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	e, err := New(Config{NodeName: "vm", Spans: true, FlushInterval: 10 * time.Millisecond}, c.Spans, c.Logs)
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	start := time.Unix(1_700_000_000, 0)
	for _, f := range chain(start) {
		e.Observe(f)
	}
	spans := rcv.WaitSpans(t, 30*time.Second, func(s []otlptest.Span) bool { return len(s) >= 4 })
	e.Stop()

	bySpan := map[string]got{}
	for _, s := range spans {
		id := hex.EncodeToString(s.GetSpanId())
		if hex.EncodeToString(s.GetTraceId()) != traceID && id != "" && s.GetParentSpanId() != nil {
			t.Errorf("span %s: trace %x, want %s", id, s.GetTraceId(), traceID)
		}
		bySpan[id] = got{
			Service: s.Service(), Name: s.GetName(), Parent: hex.EncodeToString(s.GetParentSpanId()),
			Kind: s.GetKind().String(), Status: s.GetStatus().GetCode().String(), Peer: s.Attr("peer.service"),
			Code:   otlptest.IntAttr(s.GetAttributes(), "http.response.status_code"),
			Micros: int64(s.GetEndTimeUnixNano()-s.GetStartTimeUnixNano()) / 1000,
		}
	}
	client, ok, bad := tracepb.Span_SPAN_KIND_CLIENT.String(), tracepb.Status_STATUS_CODE_UNSET.String(), tracepb.Status_STATUS_CODE_ERROR.String()
	want := map[string]got{
		"1111111111111111": {Service: "shop/frontend", Name: "GET /chain/cart:8080/cart", Parent: callerSpan, Kind: client, Status: ok, Peer: "shop/catalog", Code: 200, Micros: 5000},
		"2222222222222222": {Service: "shop/catalog", Name: "GET /cart", Parent: "1111111111111111", Kind: client, Status: ok, Peer: "shop/cart", Code: 200, Micros: 2000},
		"3333333333333333": {Service: "shop/frontend", Name: "GET /admin", Parent: callerSpan, Kind: client, Status: bad, Peer: "shop/db", Code: -1},
	}
	untraced := 0
	for id, g := range bySpan {
		if _, ok := want[id]; !ok {
			untraced++
			if g.Parent != "" || g.Status != bad || g.Code != 404 || g.Service != "shop/frontend" {
				t.Errorf("span without traceparent: %+v, want a root span with error status and 404", g)
			}
			delete(bySpan, id)
		}
	}
	if untraced != 1 {
		t.Errorf("%d spans besides the chain, want 1 (the request without traceparent): %s", untraced, otlptest.Describe(spans))
	}
	if d := cmp.Diff(bySpan, want); d != "" {
		t.Errorf("spans (-got +want):\n%s", d)
	}
	st := e.Stats()[SignalFlowSpans]
	if st.Exported != 4 || st.DroppedFull != 0 || st.Failed != 0 {
		t.Errorf("stats %+v, want 4 exported, nothing dropped", st)
	}
}

func TestFlowSpanAttributes(t *testing.T) {
	f := chain(time.Unix(1_700_000_000, 0))[3]
	s := FlowSpan(f, (&serviceResources{m: map[string]*resource.Resource{}}).get)
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	want := map[string]string{
		"http.request.method": "GET", "http.response.status_code": "200", "url.path": "/chain/cart:8080/cart",
		"url.full": "http://catalog:8080/chain/cart:8080/cart", "server.address": "catalog", "server.port": "8080",
		"network.protocol.name": "http", "network.protocol.version": "1.1", "peer.service": "shop/catalog",
		"network.peer.address": "10.200.0.2", "network.peer.port": "8080",
		"loupe.node": "vm", "loupe.verdict": "FORWARDED", "loupe.client.workload": "shop/frontend", "loupe.client.identity": "258",
		"loupe.server.workload": "shop/catalog", "loupe.server.identity": "259", "loupe.client.port": "40000",
	}
	delete(attrs, "loupe.flow.id")
	if d := cmp.Diff(attrs, want); d != "" {
		t.Errorf("attributes (-got +want):\n%s", d)
	}
	if got := s.StartTime(); !got.Equal(f.GetTime().AsTime().Add(-5 * time.Millisecond)) {
		t.Errorf("start %s, want the response time minus the latency", got)
	}
}

func TestGRPCSpan(t *testing.T) {
	f := l7(flow.L7FlowType_RESPONSE, frontend, cart, time.Unix(1_700_000_000, 0), nil,
		&flow.HTTP{Method: "POST", Url: "http://cart:8080/shop.Cart/Add", Protocol: "HTTP/2", Code: 200,
			Headers: []*flow.HTTPHeader{{Key: "content-type", Value: "application/grpc"}, {Key: "grpc-status", Value: "5"}}}, time.Millisecond)
	s := FlowSpan(f, (&serviceResources{m: map[string]*resource.Resource{}}).get)
	if s.Name() != "shop.Cart/Add" || s.Status().Code.String() != "Error" {
		t.Errorf("gRPC span %q status %v, want shop.Cart/Add with error status (grpc-status 5)", s.Name(), s.Status())
	}
}
