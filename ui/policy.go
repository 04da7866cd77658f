package ui

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// policyView is what the policy panel shows for one workload.
type policyView struct {
	Endpoint  *protoValue     `json:"endpoint"`
	Policies  []policySummary `json:"policies"`
	Drops     []dropGroup     `json:"drops"`
	Truncated bool            `json:"truncated"`
	Errors    []string        `json:"errors,omitempty"`
}

type policySummary struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	File      string `json:"file"`
	Ingress   bool   `json:"ingress"`
	Egress    bool   `json:"egress"`
	Audit     bool   `json:"audit"`
	Source    string `json:"source"`
}

// dropGroup is the drops of one peer pair, protocol and port, explained.
type dropGroup struct {
	Direction    string                 `json:"direction"` // of the selected workload
	From         string                 `json:"from"`
	To           string                 `json:"to"`
	Protocol     string                 `json:"protocol"`
	Port         uint32                 `json:"port"`
	Count        int                    `json:"count"`
	Reasons      []string               `json:"reasons"`
	PolicyNames  []string               `json:"policy_names"`
	Last         time.Time              `json:"last"`
	Explanations []*agentpb.Explanation `json:"explanations"`
	fromSel      string
	toSel        string
}

// maxExplained bounds the agent calls of one answer.
const maxExplained = 20

// servePolicy answers GET /api/v1/policy?namespace=&workload=&since=&until=:
// the policies selecting the workload and the drops they caused in the
// window, each explained by the agent (loupe policy explain).
func (s *Server) servePolicy(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Agent == nil {
		writeError(w, http.StatusServiceUnavailable, errNoAgent.Error())
		return
	}
	q := r.URL.Query()
	ns, name := q.Get("namespace"), q.Get("workload")
	if ns == "" || name == "" {
		writeError(w, http.StatusBadRequest, "namespace and workload are required")
		return
	}
	req := &observer.GetFlowsRequest{Number: 2000}
	if err := s.window(q.Get("since"), q.Get("until"), req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	view := policyView{Policies: []policySummary{}, Drops: []dropGroup{}}
	eps, err := s.cfg.Agent.ListEndpoints(ctx, &agentpb.ListEndpointsRequest{})
	if err != nil {
		writeError(w, http.StatusBadGateway, "agent: "+err.Error())
		return
	}
	var ep *agentpb.Endpoint
	for _, e := range eps.GetEndpoints() {
		if e.GetNamespace() == ns && e.GetWorkload() == name {
			ep = e
			view.Endpoint = &protoValue{e}
		}
	}
	if ep != nil {
		if view.Policies, err = s.selecting(ctx, ep); err != nil {
			view.Errors = append(view.Errors, err.Error())
		}
	}
	workload := ns + "/" + name
	req.Allow = []*flow.FlowFilter{
		{Verdict: []flow.Verdict{flow.Verdict_DROPPED}, SourceWorkload: []string{workload}},
		{Verdict: []flow.Verdict{flow.Verdict_DROPPED}, DestinationWorkload: []string{workload}},
	}
	items, err := s.collect(ctx, req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	view.Drops = groupDrops(items, workload)
	view.Truncated = countFlows(items) >= int(req.Number)
	for i := range view.Drops {
		if i == maxExplained {
			break
		}
		d := &view.Drops[i]
		resp, err := s.cfg.Agent.ExplainPolicy(ctx, &agentpb.ExplainPolicyRequest{From: d.fromSel, To: d.toSel, Protocol: d.Protocol, Port: d.Port})
		if err != nil {
			d.Explanations = []*agentpb.Explanation{{Verdict: "unknown", Reason: "explain: " + err.Error()}}
			continue
		}
		d.Explanations = resp.GetExplanations()
	}
	writeJSON(w, view)
}

// selecting lists the agent's policies that select ep, per direction.
func (s *Server) selecting(ctx context.Context, ep *agentpb.Endpoint) ([]policySummary, error) {
	resp, err := s.cfg.Agent.ListPolicies(ctx, &agentpb.ListPoliciesRequest{})
	if err != nil {
		return []policySummary{}, fmt.Errorf("agent: %w", err)
	}
	set := labels.Set{}
	for k, v := range ep.GetLabels() {
		set = append(set, k+"="+v)
	}
	set = append(set, labels.NamespaceKey+"="+ep.GetNamespace())
	slices.Sort(set)
	out := []policySummary{}
	if len(resp.GetPolicies()) > 0 && resp.GetPolicies()[0].GetSource() == "" {
		return s.selectingByExplain(ctx, ep, set, resp.GetPolicies())
	}
	for _, p := range resp.GetPolicies() {
		parsed, err := policy.Parse(p.GetFile(), []byte(p.GetSource()))
		if err != nil {
			continue // the agent enforces only what parsed; a stale source is not ours to judge
		}
		for _, pp := range parsed {
			if pp.Name != p.GetName() || pp.Namespace != p.GetNamespace() || !selects(pp, ep.GetNamespace(), set) {
				continue
			}
			out = append(out, policySummary{
				Namespace: p.GetNamespace(), Name: p.GetName(), Kind: p.GetKind(), File: p.GetFile(),
				Ingress: pp.DefaultDeny[policy.Ingress] || len(pp.Ingress)+len(pp.IngressDeny) > 0,
				Egress:  pp.DefaultDeny[policy.Egress] || len(pp.Egress)+len(pp.EgressDeny) > 0,
				Audit:   pp.Audit, Source: p.GetSource(),
			})
		}
	}
	return out, nil
}

// selectingByExplain finds the policies selecting ep from the agent's own
// explanation of a connection from and to the world, for agents whose
// policy list carries no sources: a direction in default deny names every
// policy that selects the endpoint there. A direction where a rule allows
// or denies the world names only that rule's policy.
func (s *Server) selectingByExplain(ctx context.Context, ep *agentpb.Endpoint, set labels.Set, known []*agentpb.Policy) ([]policySummary, error) {
	self := strings.Join(set, ",")
	byName := map[string]*policySummary{}
	var order []string
	for _, dir := range []string{"ingress", "egress"} {
		req := &agentpb.ExplainPolicyRequest{From: "world", To: self, Protocol: "tcp", Port: 1}
		if dir == "egress" {
			req.From, req.To = self, "world"
		}
		resp, err := s.cfg.Agent.ExplainPolicy(ctx, req)
		if err != nil {
			return []policySummary{}, fmt.Errorf("agent: explain: %w", err)
		}
		for _, x := range resp.GetExplanations() {
			for _, name := range policiesInReason(x.GetReason()) {
				p := byName[name]
				if p == nil {
					p = &policySummary{Name: name, Source: "(the agent did not send the policy's source)"}
					if ns, n, ok := strings.Cut(name, "/"); ok {
						p.Namespace, p.Name = ns, n
					}
					for _, k := range known {
						if k.GetNamespace() == p.Namespace && k.GetName() == p.Name {
							p.Kind, p.File = k.GetKind(), k.GetFile()
						}
					}
					byName[name] = p
					order = append(order, name)
				}
				p.Ingress = p.Ingress || dir == "ingress"
				p.Egress = p.Egress || dir == "egress"
				p.Audit = p.Audit || strings.HasPrefix(x.GetReason(), "audit")
			}
		}
	}
	out := []policySummary{}
	for _, n := range order {
		out = append(out, *byName[n])
	}
	return out, nil
}

// policiesInReason reads the policy names out of an explanation
// (datapath/policy.Explain): "default deny: a/x, a/y select ...",
// "denied by a/x ingressDeny[0]", "allowed by a/x ingress[1]".
func policiesInReason(reason string) []string {
	r := strings.TrimPrefix(reason, "audit: ")
	if rest, ok := strings.CutPrefix(r, "default deny: "); ok {
		rest = strings.TrimPrefix(rest, "audit policy ")
		for _, verb := range []string{" selects ", " select "} {
			if names, _, ok := strings.Cut(rest, verb); ok {
				return strings.Split(names, ", ")
			}
		}
		return nil
	}
	for _, prefix := range []string{"denied by ", "allowed by "} {
		if rest, ok := strings.CutPrefix(r, prefix); ok {
			name, _, _ := strings.Cut(rest, " ")
			return []string{name}
		}
	}
	return nil
}

func selects(p *policy.Policy, ns string, set labels.Set) bool {
	if p.Namespace != "" && p.Namespace != ns {
		return false
	}
	if p.Subject.Namespace != "" && p.Subject.Namespace != ns {
		return false
	}
	return p.Subject.Labels.Matches(set)
}

// groupDrops groups drop flows by peers, protocol and port, the most
// frequent first.
func groupDrops(items []*observer.GetFlowsResponse, workload string) []dropGroup {
	byKey := map[string]*dropGroup{}
	for _, it := range items {
		f := it.GetFlow()
		if f == nil {
			continue
		}
		proto, port := l4Of(f)
		dir := "ingress"
		if endpointName(f.GetSource()) == workload {
			dir = "egress"
		}
		key := fmt.Sprintf("%s|%s|%s|%s|%d", dir, endpointName(f.GetSource()), endpointName(f.GetDestination()), proto, port)
		g := byKey[key]
		if g == nil {
			g = &dropGroup{
				Direction: dir, From: endpointName(f.GetSource()), To: endpointName(f.GetDestination()),
				Protocol: proto, Port: port, fromSel: selectorOf(f.GetSource()), toSel: selectorOf(f.GetDestination()),
			}
			byKey[key] = g
		}
		g.Count++
		g.Reasons = appendNew(g.Reasons, f.GetDropReason().String())
		for _, n := range f.GetPolicyNames() {
			g.PolicyNames = appendNew(g.PolicyNames, n)
		}
		if t := f.GetTime().AsTime(); t.After(g.Last) {
			g.Last = t
		}
	}
	out := make([]dropGroup, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b dropGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), cmp.Compare(a.Port, b.Port))
	})
	return out
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func l4Of(f *flow.Flow) (string, uint32) {
	switch l := f.GetL4().GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return "tcp", l.Tcp.GetDestinationPort()
	case *flow.Layer4_Udp:
		return "udp", l.Udp.GetDestinationPort()
	case *flow.Layer4_Sctp:
		return "sctp", l.Sctp.GetDestinationPort()
	case *flow.Layer4_Icmpv4:
		return "icmp", l.Icmpv4.GetType()
	case *flow.Layer4_Icmpv6:
		return "icmpv6", l.Icmpv6.GetType()
	}
	return "", 0
}

func endpointName(e *flow.Endpoint) string {
	switch {
	case e.GetWorkload() != "":
		return e.GetNamespace() + "/" + e.GetWorkload()
	case e.GetIdentity() == 1:
		return "host"
	}
	return "world"
}

// selectorOf is the label selector policy explain takes for a peer.
func selectorOf(e *flow.Endpoint) string {
	switch {
	case e.GetIdentity() == 1:
		return "host"
	case len(e.GetLabels()) == 0 || e.GetIdentity() == 2:
		return "world"
	}
	return strings.Join(e.GetLabels(), ",")
}
