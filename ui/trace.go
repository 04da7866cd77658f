package ui

import (
	"errors"
	"net/http"
	"net/netip"
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
// connection, either way round, within two minutes of at: its observation
// points in time order (the app lays them out).
func (s *Server) serveConnectionTrace(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	proto := strings.ToLower(q.Get("protocol"))
	switch proto {
	case "tcp", "udp", "sctp", "icmp", "icmpv4", "icmpv6":
	default:
		writeError(w, http.StatusBadRequest, "protocol: want tcp, udp, sctp, icmpv4 or icmpv6")
		return
	}
	var ends [2]struct{ ip, port string }
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
	req := &observer.GetFlowsRequest{
		Allow:  []*flow.FlowFilter{tupleFilter(proto, ends[0], ends[1]), tupleFilter(proto, ends[1], ends[0])},
		Since:  timestamppb.New(at.Add(-connectionWindow)),
		Until:  timestamppb.New(at.Add(connectionWindow)),
		Number: 1000, First: true,
	}
	s.answerFlows(w, r.Context(), req)
}

func tupleFilter(proto string, from, to struct{ ip, port string }) *flow.FlowFilter {
	ff := &flow.FlowFilter{Protocol: []string{proto}, SourceIp: []string{from.ip}, DestinationIp: []string{to.ip}}
	if from.port != "" {
		ff.SourcePort = []string{from.port}
	}
	if to.port != "" {
		ff.DestinationPort = []string{to.port}
	}
	return ff
}

var errNoAgent = errors.New("no agent: start loupe ui with --agent for endpoints and policies")
