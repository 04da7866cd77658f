package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/policy"
)

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
