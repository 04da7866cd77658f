package observer

import (
	"context"
	"maps"
	"slices"

	"github.com/loupe-dev/loupe/api/observer"
)

// WithAddress sets what GetNodes reports as the node's address and whether
// it serves mutual TLS there. Call it before serving.
func (s *Server) WithAddress(address string, tls bool) *Server {
	s.address, s.tls = address, tls
	return s
}

// WithEndpointNamespaces makes GetNamespaces include the namespaces of the
// node's endpoints, which may have no flows yet. Call it before serving.
func (s *Server) WithEndpointNamespaces(fn func() []string) *Server {
	s.namespaces = fn
	return s
}

// GetNodes answers with the one node an agent is: itself, connected.
func (s *Server) GetNodes(ctx context.Context, _ *observer.GetNodesRequest) (*observer.GetNodesResponse, error) {
	st, err := s.ServerStatus(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &observer.GetNodesResponse{Nodes: []*observer.Node{{
		Name: s.node, Address: s.address, State: observer.NodeState_NODE_CONNECTED, Version: s.version,
		UptimeNs: st.GetUptimeNs(), NumFlows: st.GetNumFlows(), MaxFlows: st.GetMaxFlows(), SeenFlows: st.GetSeenFlows(),
		Tls: s.tls,
	}}}, nil
}

// GetNamespaces lists the namespaces of the node's endpoints and of the
// flows in the ring, sorted.
func (s *Server) GetNamespaces(context.Context, *observer.GetNamespacesRequest) (*observer.GetNamespacesResponse, error) {
	seen := map[string]bool{}
	if s.namespaces != nil {
		for _, ns := range s.namespaces() {
			seen[ns] = true
		}
	}
	r := s.src.Ring()
	oldest, next := r.Bounds()
	for pos := oldest; pos < next; pos++ {
		e, at, _, ok := r.Read(pos)
		if !ok {
			break
		}
		pos = at
		if e.Flow != nil {
			seen[e.Flow.GetSource().GetNamespace()] = true
			seen[e.Flow.GetDestination().GetNamespace()] = true
		}
	}
	delete(seen, "") // the world and the host have no namespace
	resp := &observer.GetNamespacesResponse{}
	for _, ns := range slices.Sorted(maps.Keys(seen)) {
		resp.Namespaces = append(resp.Namespaces, &observer.Namespace{Name: ns, Nodes: []string{s.node}})
	}
	return resp, nil
}
