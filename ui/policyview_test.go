package ui_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/ui"
	"github.com/loupe-dev/loupe/ui/live"
	"github.com/loupe-dev/loupe/ui/uitest"
)

// fakeAgent knows one endpoint, no policy sources, and explains by rote.
type fakeAgent struct {
	agentpb.UnimplementedAgentServer
	explained []*agentpb.ExplainPolicyRequest
}

func (a *fakeAgent) ListEndpoints(context.Context, *agentpb.ListEndpointsRequest) (*agentpb.ListEndpointsResponse, error) {
	return &agentpb.ListEndpointsResponse{Endpoints: []*agentpb.Endpoint{{Namespace: "shop", Workload: "db", Identity: 261,
		Labels: map[string]string{"app": "db"}, PolicyIngress: "enforced", PolicyEgress: "off"}}}, nil
}

func (a *fakeAgent) ListPolicies(context.Context, *agentpb.ListPoliciesRequest) (*agentpb.ListPoliciesResponse, error) {
	return &agentpb.ListPoliciesResponse{Policies: []*agentpb.Policy{{Namespace: "shop", Name: "db-from-api", Kind: "LoupeNetworkPolicy"}}}, nil
}

func (a *fakeAgent) ExplainPolicy(_ context.Context, req *agentpb.ExplainPolicyRequest) (*agentpb.ExplainPolicyResponse, error) {
	a.explained = append(a.explained, req)
	if req.GetTo() == "world" {
		return &agentpb.ExplainPolicyResponse{Explanations: []*agentpb.Explanation{{Verdict: "allowed", Reason: "default allow: no policy selects shop/db for egress"}}}, nil
	}
	return &agentpb.ExplainPolicyResponse{Explanations: []*agentpb.Explanation{{From: "x", To: "shop/db", Verdict: "denied",
		Reason: "default deny: shop/db-from-api selects shop/db for ingress but no rule allows from x on 5432/TCP"}}}, nil
}

func serveAgent(t *testing.T, a *fakeAgent) agentpb.AgentClient {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	agentpb.RegisterAgentServer(srv, a)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///"+l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return agentpb.NewAgentClient(conn)
}

// TestPolicyView: the policies selecting a workload (here from the
// agent's explanations, its list carrying no sources) and its drops
// grouped by peer and port, each explained.
func TestPolicyView(t *testing.T) {
	now := time.Now()
	src := &flow.Endpoint{Identity: 258, Namespace: "shop", Workload: "frontend", Labels: []string{"app=frontend", "loupe.namespace=shop"}}
	dst := &flow.Endpoint{Identity: 261, Namespace: "shop", Workload: "db", Labels: []string{"app=db", "loupe.namespace=shop"}}
	fake := &uitest.Observer{}
	for i := range 3 {
		f := uitest.Flow(now.Add(time.Duration(i)*time.Millisecond), src, dst, uint32(40000+i), 5432)
		f.Verdict, f.DropReason, f.PolicyNames = flow.Verdict_DROPPED, flow.DropReason_POLICY_DENY, []string{"shop/no-frontend-to-db"}
		fake.Flows = append(fake.Flows, f)
	}
	agent := &fakeAgent{}
	conn, err := grpc.NewClient("passthrough:///"+uitest.Serve(t, fake), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s, err := ui.New(ui.Config{Observer: observer.NewObserverClient(conn), Agent: serveAgent(t, agent), ParseFilter: parse, Live: live.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Stop(); srv.Close() })

	code, _, body := get(t, srv.URL+"/api/v1/policy?namespace=shop&workload=db&since="+url.QueryEscape(now.Add(-time.Hour).Format(time.RFC3339)))
	var v struct {
		Policies []struct {
			Namespace, Name, Kind string
			Ingress, Egress       bool
		}
		Drops []struct {
			From, To, Protocol, Direction string
			Port                          uint32
			Count                         int
			PolicyNames                   []string `json:"policy_names"`
			Explanations                  []struct{ Verdict, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil {
		t.Fatalf("%d %v %s", code, err, body)
	}
	if len(v.Policies) != 1 || v.Policies[0].Name != "db-from-api" || !v.Policies[0].Ingress || v.Policies[0].Egress || v.Policies[0].Kind != "LoupeNetworkPolicy" {
		t.Fatalf("policies %+v", v.Policies)
	}
	if len(v.Drops) != 1 {
		t.Fatalf("drops %+v", v.Drops)
	}
	d := v.Drops[0]
	if d.From != "shop/frontend" || d.To != "shop/db" || d.Port != 5432 || d.Protocol != "tcp" || d.Count != 3 || d.Direction != "ingress" ||
		len(d.PolicyNames) != 1 || len(d.Explanations) != 1 || d.Explanations[0].Verdict != "denied" {
		t.Fatalf("drop %+v", d)
	}
	last := agent.explained[len(agent.explained)-1]
	if last.GetFrom() != "app=frontend,loupe.namespace=shop" || last.GetTo() != "app=db,loupe.namespace=shop" || last.GetPort() != 5432 {
		t.Fatalf("explained %v", last)
	}
	if !strings.Contains(body, "default deny") {
		t.Fatal(body)
	}
}
