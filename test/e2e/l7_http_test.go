package e2e

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/loupe-dev/loupe/api/flow"
)

// TestL7 runs the L7 scenarios on one lab with shop-l7.yaml applied.
func TestL7(t *testing.T) {
	l := newL7Lab(t)
	// First: it needs a name nobody asked for yet.
	t.Run("toFQDNs", l.fqdnPolicy)
	t.Run("http allowed and denied on one connection, by address", l.httpKeepAlive)
	t.Run("grpc allowed and denied on one connection", l.grpcMixed)
	t.Run("bad input", l.httpBadInput)
	t.Run("dns allowed and denied on one connection", l.dnsMixed)
	t.Run("dns garbage", l.dnsGarbage)
	t.Run("kafka topics on one connection", l.kafkaTopics)
	t.Run("kafka truncated frame", l.kafkaTruncated)
}

// httpKeepAlive: the frontend connects to catalog by address (no name, no
// way around the proxy) and sends allowed and denied requests on one
// connection; the application sees 200 and 403, and the flows say why.
func (l *l7Lab) httpKeepAlive(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		c, err := l.dial("frontend", "tcp", l.addr("catalog", "8080", v6))
		if err != nil {
			t.Fatal(err)
		}
		client := oneConnClient(c)
		base := "http://" + l.addr("catalog", "8080", v6)
		for _, step := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/products", 200},
			{"DELETE", "/products/7", 403},
			{"GET", "/products/7", 200},
			{"POST", "/products", 403},
			{"GET", "/status/503", 503},
		} {
			req, _ := http.NewRequest(step.method, base+step.path, nil)
			req.Header.Set("Authorization", "Bearer secret-token")
			req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s (v6 %v): %v", step.method, step.path, v6, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != step.want {
				t.Errorf("%s %s (v6 %v): %d %q, want %d", step.method, step.path, v6, resp.StatusCode, body, step.want)
			}
			if step.want == 403 && !strings.Contains(string(body), "Access denied") {
				t.Errorf("%s %s: body %q, want Access denied", step.method, step.path, body)
			}
		}
		client.CloseIdleConnections()
	}

	fs := l.l7Flows(t, func(fs []*flow.Flow) bool {
		dropped, responses := 0, 0
		for _, f := range fs {
			if f.GetL7().GetType() == flow.L7FlowType_REQUEST && f.GetVerdict() == flow.Verdict_DROPPED {
				dropped++
			}
			if f.GetL7().GetType() == flow.L7FlowType_RESPONSE {
				responses++
			}
		}
		return dropped >= 4 && responses >= 6
	}, "--type", "l7", "--workload", "shop/catalog")
	var sawDenied, sawResponse bool
	for _, f := range fs {
		h := f.GetL7().GetHttp()
		if f.GetSource().GetWorkload() != "frontend" || f.GetDestination().GetWorkload() != "catalog" {
			// Responses go from the server to the client.
			if !(f.GetIsReply() && f.GetSource().GetWorkload() == "catalog") {
				t.Errorf("flow endpoints %s -> %s", f.GetSource().GetWorkload(), f.GetDestination().GetWorkload())
			}
		}
		for _, hd := range h.GetHeaders() {
			if strings.EqualFold(hd.GetKey(), "authorization") && strings.Contains(hd.GetValue(), "secret") {
				t.Errorf("authorization header not redacted: %v", hd)
			}
		}
		if f.GetTraceContext().GetTraceId() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("trace id %q", f.GetTraceContext().GetTraceId())
		}
		switch {
		case f.GetL7().GetType() == flow.L7FlowType_REQUEST && f.GetVerdict() == flow.Verdict_DROPPED:
			if h.GetMethod() != "DELETE" && h.GetMethod() != "POST" {
				t.Errorf("denied %s %s", h.GetMethod(), h.GetUrl())
			}
			if len(f.GetPolicyNames()) == 0 {
				t.Errorf("denied request names no policy")
			}
			sawDenied = true
		case f.GetL7().GetType() == flow.L7FlowType_RESPONSE:
			if f.GetL7().GetLatencyNs() == 0 || h.GetCode() == 0 || h.GetProtocol() != "HTTP/1.1" {
				t.Errorf("response flow: latency %d, code %d, protocol %q", f.GetL7().GetLatencyNs(), h.GetCode(), h.GetProtocol())
			}
			sawResponse = true
		}
	}
	if !sawDenied || !sawResponse {
		t.Errorf("denied %v, response %v", sawDenied, sawResponse)
	}
	// The datapath shows the way through the proxy.
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		var to, from, redirected bool
		for _, f := range fs {
			to = to || f.GetObservationPoint() == flow.ObservationPoint_TO_PROXY
			from = from || f.GetObservationPoint() == flow.ObservationPoint_FROM_PROXY
			redirected = redirected || f.GetVerdict() == flow.Verdict_REDIRECTED
		}
		return to && from && redirected
	}, "--to-workload", "shop/catalog", "--port", "8080")
}

// grpcMixed: one gRPC connection from the frontend to inventory; Check is
// allowed, Watch is denied with PERMISSION_DENIED.
func (l *l7Lab) grpcMixed(t *testing.T) {
	c, err := l.dial("frontend", "tcp", l.addr("inventory", "9090", false))
	if err != nil {
		t.Fatal(err)
	}
	used := false
	cc, err := grpc.NewClient("passthrough:///inventory",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			if used {
				return nil, net.ErrClosed
			}
			used = true
			return c, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		if _, err := h.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("Check: %v", err)
		}
		stream, err := h.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("Watch: %v, want PermissionDenied", err)
		}
	}
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		var allowed, denied bool
		for _, f := range fs {
			h := f.GetL7().GetHttp()
			if h.GetProtocol() != "HTTP/2" {
				continue
			}
			if strings.HasSuffix(h.GetUrl(), "/grpc.health.v1.Health/Check") && f.GetL7().GetType() == flow.L7FlowType_RESPONSE {
				allowed = f.GetL7().GetLatencyNs() > 0
			}
			if strings.HasSuffix(h.GetUrl(), "/grpc.health.v1.Health/Watch") && f.GetVerdict() == flow.Verdict_DROPPED {
				denied = true
			}
		}
		return allowed && denied
	}, "--type", "l7", "--workload", "shop/inventory")
}

// httpBadInput: garbage, an oversized head and a slow client each get an
// error answer or a close and an ERROR flow; the proxy serves the next
// connection.
func (l *l7Lab) httpBadInput(t *testing.T) {
	target := l.addr("catalog", "8080", false)
	for _, c := range []struct {
		name, send, want string
	}{
		{"garbage", "NOT HTTP AT ALL\r\n\r\n", "400"},
		{"oversized headers", "GET /products HTTP/1.1\r\nHost: catalog\r\nX-Big: " + strings.Repeat("a", 80<<10) + "\r\n\r\n", "431"},
	} {
		conn, err := l.dial("frontend", "tcp", target)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, c.send)
		line, _ := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if !strings.Contains(line, c.want) {
			t.Errorf("%s: answered %q, want %s", c.name, line, c.want)
		}
	}
	// A client that never finishes its headers gets 408 after the
	// agent's --proxy-header-timeout (1s here).
	slow, err := l.dial("frontend", "tcp", target)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(slow, "GET /products HTTP/1.1\r\nHost: cata")
	slow.SetDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(slow).ReadString('\n')
	slow.Close()
	if !strings.Contains(line, "408") {
		t.Errorf("slow client: answered %q, want 408", line)
	}
	// The proxy is still there.
	c, err := l.dial("frontend", "tcp", target)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := oneConnClient(c).Get("http://" + target + "/products")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after bad input: %v %v", resp, err)
	}
	resp.Body.Close()
	l.l7Flows(t, func(fs []*flow.Flow) bool {
		n := 0
		for _, f := range fs {
			if f.GetVerdict() == flow.Verdict_ERROR {
				n++
			}
		}
		return n >= 3
	}, "--type", "l7", "--workload", "shop/catalog")
}
