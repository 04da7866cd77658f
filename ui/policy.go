package ui

import (
	"context"
	"net/http"
	"time"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
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
