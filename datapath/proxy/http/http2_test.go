package httpproxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// h2cClient speaks HTTP/2 with prior knowledge, on one connection.
func h2cClient(t testing.TB) *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, MaxConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestHTTP2Multiplexed sends allowed and denied requests concurrently on
// one HTTP/2 connection: each gets its own answer, and the server sees
// the allowed ones on one connection.
func TestHTTP2Multiplexed(t *testing.T) {
	b := newBackend(t)
	r := newRig(t, b.addr(), webRules(t), Config{})
	c := h2cClient(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, want := fmt.Sprintf("/public/%d", i), 200
			if i%2 == 1 {
				path, want = fmt.Sprintf("/private/%d", i), 403
			}
			resp, err := c.Get("http://" + r.addr + path)
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || resp.ProtoMajor != 2 {
				errs <- fmt.Errorf("%s: got %s %d %q, want %d", path, resp.Proto, resp.StatusCode, body, want)
			}
			if want == 403 && string(body) != "Access denied\n" {
				errs <- fmt.Errorf("%s: body %q", path, body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := r.flows.wait(t, n/2*2+n/2)
	var byVerdict = map[string]int{}
	for _, f := range got {
		if f.GetL7().GetHttp().GetProtocol() != "HTTP/2" {
			t.Errorf("flow protocol %q, want HTTP/2", f.GetL7().GetHttp().GetProtocol())
		}
		byVerdict[f.Verdict.String()+" "+f.GetL7().GetType().String()]++
	}
	want := map[string]int{"FORWARDED REQUEST": n / 2, "FORWARDED RESPONSE": n / 2, "DROPPED REQUEST": n / 2}
	if fmt.Sprint(byVerdict) != fmt.Sprint(want) {
		t.Errorf("flows by verdict: got %v, want %v", byVerdict, want)
	}
	checkLatency(t, got)
	reqs := b.requests()
	if len(reqs) != n/2 || b.remotes() != 1 {
		t.Errorf("server saw %d requests on %d connections, want %d on 1", len(reqs), b.remotes(), n/2)
	}
	for _, s := range reqs {
		if s.Proto != "HTTP/2.0" {
			t.Errorf("server saw %s, want HTTP/2.0", s.Proto)
		}
	}
}

const healthPolicy = "default/grpc"

// TestGRPC calls a gRPC service through the proxy on one connection: the
// allowed unary and streaming calls pass with their statuses (trailers)
// intact, the denied one fails with PERMISSION_DENIED, and the flows say
// so.
func TestGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("catalog", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(ln)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-served
	})

	pol := httpPolicy(t, healthPolicy,
		policy.HTTPRule{Method: "POST", Path: `/grpc\.health\.v1\.Health/(Check|Watch)`})
	r := newRig(t, ln.Addr().String(), pol, Config{})
	conn, err := grpc.NewClient("passthrough:///"+r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	// Allowed, served.
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "catalog"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check(catalog): %v %v, want SERVING", resp, err)
	}
	// Allowed, the server's error comes through in its trailers.
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check(nope): %v, want NotFound", err)
	}
	// Denied by the proxy.
	_, err = client.List(ctx, &healthpb.HealthListRequest{})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != "Access denied" {
		t.Errorf("List: %v, want PermissionDenied: Access denied", err)
	}
	// Allowed server stream.
	wctx, wcancel := context.WithCancel(ctx)
	stream, err := client.Watch(wctx, &healthpb.HealthCheckRequest{Service: "catalog"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := stream.Recv(); err != nil || m.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Watch: %v %v, want SERVING", m, err)
	}
	wcancel()

	got := r.flows.wait(t, 7)
	check := "/grpc.health.v1.Health/Check"
	want := append(append(append(
		wantExchange("POST", check, "HTTP/2", 200, true, healthPolicy),
		wantExchange("POST", check, "HTTP/2", 200, true, healthPolicy)...),
		wantExchange("POST", "/grpc.health.v1.Health/List", "HTTP/2", 0, false, healthPolicy)...),
		wantExchange("POST", "/grpc.health.v1.Health/Watch", "HTTP/2", 200, true, healthPolicy)...)
	diffFlows(t, got, want)
	checkLatency(t, got)
	if got[4].GetVerdict() != flow.Verdict_DROPPED {
		t.Errorf("List flow verdict %v", got[4].GetVerdict())
	}
}
