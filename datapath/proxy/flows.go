package proxy

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
)

// NewFlow starts the L7 flow of a request or response on m: time, verdict,
// addresses, ports, identities and direction. The handler sets l7 (and the
// trace context, and policy names) and emits it; the collector adds the
// node, the id and the endpoints' details.
//
// A response flow goes from the server to the client and is a reply, as in
// Hubble.
func (m *Conn) NewFlow(t time.Time, verdict flow.Verdict, l7 *flow.Layer7) *flow.Flow {
	src, dst := m.Src, m.Dst
	srcID, dstID := m.SrcIdentity, m.DstIdentity
	reply := l7.GetType() == flow.L7FlowType_RESPONSE
	if reply {
		src, dst, srcID, dstID = dst, src, dstID, srcID
	}
	f := &flow.Flow{
		Time:             timestamppb.New(t),
		Verdict:          verdict,
		EventType:        flow.EventType_L7,
		TrafficDirection: m.Direction,
		IsReply:          reply,
		Ip:               &flow.IP{Source: src.Addr().Unmap().String(), Destination: dst.Addr().Unmap().String(), IpVersion: flow.IPVersion_IPV4},
		Source:           &flow.Endpoint{Identity: srcID},
		Destination:      &flow.Endpoint{Identity: dstID},
		L7:               l7,
	}
	if src.Addr().Unmap().Is6() {
		f.Ip.IpVersion = flow.IPVersion_IPV6
	}
	sp, dp := uint32(src.Port()), uint32(dst.Port())
	if m.Proto == 17 {
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Udp{Udp: &flow.UDP{SourcePort: sp, DestinationPort: dp}}}
	} else {
		f.L4 = &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: sp, DestinationPort: dp}}}
	}
	if verdict == flow.Verdict_DROPPED {
		f.DropReason = flow.DropReason_POLICY_DENIED
	}
	return f
}
