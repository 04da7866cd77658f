package observer

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	observerpb "github.com/loupe-dev/loupe/api/observer"
)

// ServerStatus sums the connected nodes' statuses and counts the nodes.
func (s *Server) ServerStatus(context.Context, *observerpb.ServerStatusRequest) (*observerpb.ServerStatusResponse, error) {
	nodes, _ := s.nodes.Nodes()
	resp := &observerpb.ServerStatusResponse{Version: s.cfg.Version, UptimeNs: uint64(time.Since(s.started))}
	var connected, unavailable uint32
	var aggregations []string
	for _, n := range nodes {
		switch n.State {
		case observerpb.NodeState_NODE_CONNECTED:
			connected++
			st := n.Status
			resp.NumFlows += st.GetNumFlows()
			resp.MaxFlows += st.GetMaxFlows()
			resp.SeenFlows += st.GetSeenFlows()
			resp.FlowsRate += st.GetFlowsRate()
			resp.NumLostEvents += st.GetNumLostEvents()
			resp.DecodeErrors += st.GetDecodeErrors()
			if a := st.GetMonitorAggregation(); !slices.Contains(aggregations, a) {
				aggregations = append(aggregations, a)
			}
		case observerpb.NodeState_NODE_UNAVAILABLE:
			unavailable++
			resp.UnavailableNodes = append(resp.UnavailableNodes, n.Name)
		}
	}
	resp.NumConnectedNodes, resp.NumUnavailableNodes = &connected, &unavailable
	switch len(aggregations) {
	case 0:
	case 1:
		resp.MonitorAggregation = aggregations[0]
	default:
		resp.MonitorAggregation = "mixed"
	}
	if connected > 0 {
		resp.OldestFlowTime = timestamppb.New(s.liveBoundary())
	}
	return resp, nil
}

// GetNodes lists every node the relay knows, gone ones included.
func (s *Server) GetNodes(context.Context, *observerpb.GetNodesRequest) (*observerpb.GetNodesResponse, error) {
	nodes, _ := s.nodes.Nodes()
	resp := &observerpb.GetNodesResponse{}
	for _, n := range nodes {
		st := n.Status
		resp.Nodes = append(resp.Nodes, &observerpb.Node{
			Name: n.Name, Address: n.Address, State: n.State, Tls: n.TLS, LastError: n.LastError,
			Version: st.GetVersion(), UptimeNs: st.GetUptimeNs(),
			NumFlows: st.GetNumFlows(), MaxFlows: st.GetMaxFlows(), SeenFlows: st.GetSeenFlows(),
		})
	}
	return resp, nil
}

// GetNamespaces asks every connected node and merges the answers; a node
// that does not answer in time is left out.
func (s *Server) GetNamespaces(ctx context.Context, _ *observerpb.GetNamespacesRequest) (*observerpb.GetNamespacesResponse, error) {
	var mu sync.Mutex
	nodesOf := map[string][]string{}
	var wg sync.WaitGroup
	for _, n := range s.connected() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
			defer cancel()
			resp, err := observerpb.NewObserverClient(n.Conn).GetNamespaces(ctx, &observerpb.GetNamespacesRequest{})
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, ns := range resp.GetNamespaces() {
				for _, node := range ns.GetNodes() {
					if !slices.Contains(nodesOf[ns.GetName()], node) {
						nodesOf[ns.GetName()] = append(nodesOf[ns.GetName()], node)
					}
				}
			}
		}()
	}
	wg.Wait()
	resp := &observerpb.GetNamespacesResponse{}
	for _, name := range slices.Sorted(maps.Keys(nodesOf)) {
		nodes := nodesOf[name]
		slices.Sort(nodes)
		resp.Namespaces = append(resp.Namespaces, &observerpb.Namespace{Name: name, Nodes: nodes})
	}
	return resp, nil
}
