package ui

import (
	"context"
	"net/http"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/observer"
)

// serveNodes answers GET /api/v1/nodes: the relay's nodes and their state.
func (s *Server) serveNodes(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	resp, err := s.cfg.Observer.GetNodes(ctx, &observer.GetNodesRequest{})
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	writeJSON(w, protoValue{resp})
}

// serveStatus answers GET /api/v1/status: flows held, rate, lost events.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	resp, err := s.cfg.Observer.ServerStatus(ctx, &observer.ServerStatusRequest{})
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	writeJSON(w, protoValue{resp})
}

// serveEndpoints answers GET /api/v1/endpoints: the agent's workloads
// with labels, identity and policy enforcement per direction.
func (s *Server) serveEndpoints(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Agent == nil {
		writeError(w, http.StatusServiceUnavailable, errNoAgent.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	resp, err := s.cfg.Agent.ListEndpoints(ctx, &agentpb.ListEndpointsRequest{})
	if err != nil {
		writeError(w, http.StatusBadGateway, "agent: "+err.Error())
		return
	}
	writeJSON(w, protoValue{resp})
}
