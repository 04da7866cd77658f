package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
)

// connectionWindow is how far around the chosen flow a connection's other
// observations are looked for.
const connectionWindow = 2 * time.Minute

// serveConnectionTrace answers GET /api/v1/trace/connection?protocol=tcp&
// src_ip=&src_port=&dst_ip=&dst_port=&at=RFC3339 with every flow of that
// connection, either way round, within two minutes of at, and for a
// connection through the node's proxy the proxy's upstream connection too:
// its observation points in time order (the app lays them out).
func (s *Server) serveConnectionTrace(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	proto := strings.ToLower(q.Get("protocol"))
	switch proto {
	case "tcp", "udp", "sctp", "icmp", "icmpv4", "icmpv6":
	default:
		writeError(w, http.StatusBadRequest, "protocol: want tcp, udp, sctp, icmpv4 or icmpv6")
		return
	}
	var ends [2]end
	for i, side := range []string{"src", "dst"} {
		a, err := netip.ParseAddr(q.Get(side + "_ip"))
		if err != nil {
			writeError(w, http.StatusBadRequest, side+"_ip: want an IP address")
			return
		}
		ends[i].ip = a.String()
		if p := q.Get(side + "_port"); p != "" && p != "0" {
			if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
				writeError(w, http.StatusBadRequest, side+"_port: want 1 to 65535")
				return
			}
			ends[i].port = p
		}
	}
	at, err := time.Parse(time.RFC3339Nano, q.Get("at"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "at: want an RFC 3339 time")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	items, err := s.collect(ctx, connectionRequest(proto, ends[0], ends[1], at))
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	upstream, err := s.upstreamLeg(ctx, items, proto, ends[0], ends[1], at)
	if err != nil {
		writeError(w, http.StatusBadGateway, "relay: "+err.Error())
		return
	}
	items = append(items, upstream...)
	slices.SortStableFunc(items, func(a, b *observer.GetFlowsResponse) int {
		return a.GetFlow().GetTime().AsTime().Compare(b.GetFlow().GetTime().AsTime())
	})
	writeJSON(w, flowsAnswer{Items: items})
}

type end struct{ ip, port string }

// connectionRequest asks for a connection's flows, either way round,
// around at.
func connectionRequest(proto string, a, b end, at time.Time) *observer.GetFlowsRequest {
	return &observer.GetFlowsRequest{
		Allow:  []*flow.FlowFilter{tupleFilter(proto, a, b), tupleFilter(proto, b, a)},
		Since:  timestamppb.New(at.Add(-connectionWindow)),
		Until:  timestamppb.New(at.Add(connectionWindow)),
		Number: 1000, First: true,
	}
}

// upstreamLeg finds, for a connection that went to the node's proxy, the
// proxy's own connection to the server: it leaves from the client's
// address on another port (from-proxy). It is the first such connection
// opened after the client's reached the proxy; with several clients
// opening connections to the same server in the same instant the match is
// by time only.
func (s *Server) upstreamLeg(ctx context.Context, items []*observer.GetFlowsResponse, proto string, client, server end, at time.Time) ([]*observer.GetFlowsResponse, error) {
	if proto != "tcp" {
		return nil, nil
	}
	var start *flow.Flow
	for _, it := range items {
		f := it.GetFlow()
		if f.GetObservationPoint() == flow.ObservationPoint_TO_PROXY && !f.GetIsReply() && f.GetL4().GetTcp().GetFlags().GetSYN() {
			start = f
			break
		}
	}
	if start == nil {
		return nil, nil
	}
	from, to := start.GetIp().GetSource(), start.GetIp().GetDestination()
	port := fmt.Sprint(start.GetL4().GetTcp().GetDestinationPort())
	t0 := start.GetTime().AsTime()
	legs, err := s.collect(ctx, &observer.GetFlowsRequest{
		Allow: []*flow.FlowFilter{{
			Protocol: []string{"tcp"}, SourceIp: []string{from}, DestinationIp: []string{to}, DestinationPort: []string{port},
			EventType: []string{"trace:from-proxy"}, TcpFlags: []*flow.TCPFlags{{SYN: true}},
		}},
		Since: timestamppb.New(t0), Until: timestamppb.New(t0.Add(5 * time.Second)), Number: 20, First: true,
	})
	if err != nil {
		return nil, err
	}
	clientPort := start.GetL4().GetTcp().GetSourcePort()
	for _, it := range legs {
		if p := it.GetFlow().GetL4().GetTcp().GetSourcePort(); p != 0 && p != clientPort {
			leg := end{ip: from, port: fmt.Sprint(p)}
			return s.collect(ctx, connectionRequest(proto, leg, end{ip: to, port: port}, at))
		}
	}
	return nil, nil
}

func tupleFilter(proto string, from, to end) *flow.FlowFilter {
	ff := &flow.FlowFilter{Protocol: []string{proto}, SourceIp: []string{from.ip}, DestinationIp: []string{to.ip}}
	if from.port != "" {
		ff.SourcePort = []string{from.port}
	}
	if to.port != "" {
		ff.DestinationPort = []string{to.port}
	}
	return ff
}
