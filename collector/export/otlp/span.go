package otlp

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/api/flow"
)

// Scope is the instrumentation scope of every span and record loupe makes.
var Scope = instrumentation.Scope{Name: "github.com/loupe-dev/loupe"}

// IsSpanFlow reports whether a flow becomes a span: an HTTP (or gRPC) flow
// of the proxy that ends a request, which is its response, or the request
// itself when policy denied it (no response follows from the server).
func IsSpanFlow(f *flow.Flow) bool {
	l7 := f.GetL7()
	if f.GetEventType() != flow.EventType_L7 || l7.GetHttp() == nil {
		return false
	}
	switch l7.GetType() {
	case flow.L7FlowType_RESPONSE:
		return true
	case flow.L7FlowType_REQUEST:
		return f.GetVerdict() == flow.Verdict_DROPPED
	}
	return false
}

// Resources makes the resource of a service; the exporter caches them.
type Resources func(service, namespace string) *resource.Resource

// FlowSpan turns an L7 flow for which IsSpanFlow holds into one span.
//
// The span is the request as the client made it: kind CLIENT, resource
// service.name the client's "namespace/workload", peer.service the server's.
// The proxy gives each request a span id and sends it to the server as the
// parent in traceparent, so the span's id is the flow's span_id and its
// parent the flow's parent_span_id: a server that passes traceparent on to
// the services it calls makes their requests children of this one. It ends
// at the response and starts latency_ns before it. HTTP attributes follow
// OpenTelemetry's semantic conventions; loupe.* attributes carry
// identities, verdict, policies and node.
//
// A response flow is written by its server (Hubble's convention): source
// is the server, destination the client; a request flow the other way.
func FlowSpan(f *flow.Flow, res Resources) sdktrace.ReadOnlySpan {
	l7, h := f.GetL7(), f.GetL7().GetHttp()
	client, server := f.GetSource(), f.GetDestination()
	clientIP, serverIP := f.GetIp().GetSource(), f.GetIp().GetDestination()
	clientPort, serverPort := ports(f)
	if l7.GetType() == flow.L7FlowType_RESPONSE {
		client, server = server, client
		clientIP, serverIP = serverIP, clientIP
		clientPort, serverPort = serverPort, clientPort
	}
	tid, sid, parent := flowIDs(f)
	end := f.GetTime().AsTime()
	start := end.Add(-time.Duration(l7.GetLatencyNs()))
	u, _ := url.Parse(h.GetUrl())
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	clientService, serverService := serviceName(client, clientIP), serviceName(server, serverIP)
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", h.GetMethod()),
		attribute.String("url.full", h.GetUrl()),
		attribute.String("url.path", path),
		attribute.String("network.protocol.name", "http"),
		attribute.String("peer.service", serverService),
		attribute.String("server.address", serverAddress(u, serverIP)),
		attribute.String("network.peer.address", serverIP),
		attribute.String("loupe.node", f.GetNodeName()),
		attribute.String("loupe.flow.id", strconv.FormatUint(f.GetId(), 10)),
		attribute.String("loupe.verdict", f.GetVerdict().String()),
		attribute.String("loupe.client.workload", clientService),
		attribute.Int64("loupe.client.identity", int64(client.GetIdentity())),
		attribute.String("loupe.server.workload", serverService),
		attribute.Int64("loupe.server.identity", int64(server.GetIdentity())),
	}
	if v := strings.TrimPrefix(h.GetProtocol(), "HTTP/"); v != "" {
		attrs = append(attrs, attribute.String("network.protocol.version", v))
	}
	if serverPort != 0 {
		attrs = append(attrs, attribute.Int("server.port", int(serverPort)), attribute.Int("network.peer.port", int(serverPort)))
	}
	if clientPort != 0 {
		attrs = append(attrs, attribute.Int("loupe.client.port", int(clientPort)))
	}
	if h.GetCode() != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", int(h.GetCode())))
	}
	if names := f.GetPolicyNames(); len(names) > 0 {
		attrs = append(attrs, attribute.StringSlice("loupe.policy_names", names))
	}
	if r := f.GetDropReason(); r != flow.DropReason_DROP_REASON_UNKNOWN {
		attrs = append(attrs, attribute.String("loupe.drop_reason", r.String()))
	}
	name := h.GetMethod() + " " + path
	grpcStatus := -1
	if rpc, method, ok := grpcMethod(h, path); ok {
		name = rpc + "/" + method
		attrs = append(attrs, attribute.String("rpc.system", "grpc"), attribute.String("rpc.service", rpc), attribute.String("rpc.method", method))
		if s, err := strconv.Atoi(header(h, "grpc-status")); err == nil {
			grpcStatus = s
			attrs = append(attrs, attribute.Int("rpc.grpc.status_code", s))
		}
	}
	status := sdktrace.Status{Code: codes.Unset}
	switch {
	case f.GetVerdict() == flow.Verdict_DROPPED:
		status = sdktrace.Status{Code: codes.Error, Description: "denied by policy " + strings.Join(f.GetPolicyNames(), ", ")}
		attrs = append(attrs, attribute.String("error.type", "policy_denied"))
	case f.GetVerdict() == flow.Verdict_ERROR:
		status = sdktrace.Status{Code: codes.Error, Description: "proxy error"}
		attrs = append(attrs, attribute.String("error.type", "proxy_error"))
	case h.GetCode() >= 400:
		// Semantic conventions: a client span is an error from 400 on.
		status = sdktrace.Status{Code: codes.Error}
		attrs = append(attrs, attribute.String("error.type", strconv.Itoa(int(h.GetCode()))))
	case grpcStatus > 0:
		status = sdktrace.Status{Code: codes.Error}
		attrs = append(attrs, attribute.String("error.type", strconv.Itoa(grpcStatus)))
	}
	stub := tracetest.SpanStub{
		Name:                 name,
		SpanContext:          trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
		SpanKind:             trace.SpanKindClient,
		StartTime:            start,
		EndTime:              end,
		Attributes:           attrs,
		Status:               status,
		Resource:             res(clientService, client.GetNamespace()),
		InstrumentationScope: Scope,
	}
	if parent.IsValid() {
		stub.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: parent, TraceFlags: trace.FlagsSampled, Remote: true})
	}
	return stub.Snapshot()
}

// ports returns the flow's source and destination ports (TCP; zero otherwise).
func ports(f *flow.Flow) (src, dst uint32) {
	t := f.GetL4().GetTcp()
	return t.GetSourcePort(), t.GetDestinationPort()
}

// serverAddress is the host the client asked for, else the server's address.
func serverAddress(u *url.URL, ip string) string {
	if u != nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return ip
}

// grpcMethod recognises a gRPC call: content-type application/grpc and a
// path /package.Service/Method.
func grpcMethod(h *flow.HTTP, path string) (service, method string, ok bool) {
	if !strings.HasPrefix(header(h, "content-type"), "application/grpc") {
		return "", "", false
	}
	service, method, ok = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return service, method, ok && service != "" && method != ""
}

func header(h *flow.HTTP, key string) string {
	for _, kv := range h.GetHeaders() {
		if strings.EqualFold(kv.GetKey(), key) {
			return kv.GetValue()
		}
	}
	return ""
}
