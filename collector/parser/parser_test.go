package parser

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/collector/decoder"
)

// view is a fixed endpoint view: frontend (id 1) and catalog (id 2).
type view struct{}

var (
	frontend = &flow.Endpoint{Id: 1, Identity: 300, Namespace: "shop", Workload: "frontend", Labels: []string{"app=frontend", "loupe.namespace=shop"}}
	catalog  = &flow.Endpoint{Id: 2, Identity: 301, Namespace: "shop", Workload: "catalog", Labels: []string{"app=catalog", "loupe.namespace=shop"}}
	feIP     = netip.MustParseAddr("10.200.0.2")
	catIP    = netip.MustParseAddr("10.200.0.3")
)

func (view) ByID(id uint16) (*flow.Endpoint, bool) {
	switch id {
	case 1:
		return frontend, true
	case 2:
		return catalog, true
	}
	return nil, false
}
func (view) ByIP(a netip.Addr) (*flow.Endpoint, bool) {
	switch a {
	case feIP:
		return frontend, true
	case catIP:
		return catalog, true
	}
	return nil, false
}
func (view) IPText(a netip.Addr) string {
	// Like the agent's snapshot, endpoint addresses have shared text.
	switch a {
	case feIP:
		return "10.200.0.2"
	case catIP:
		return "10.200.0.3"
	}
	return a.String()
}
func (view) InterfaceName(ifindex uint32) string { return "lxfe" }

type ids struct{}

func (ids) Labels(id uint32) (labels.Set, bool) {
	if id == 2 {
		return labels.Set{"reserved:world"}, true
	}
	return nil, false
}

func newTestParser() *Parser {
	v := view{}
	return New("node-a", func() Endpoints { return v }, ids{}, nil)
}

func event(obs uint8, src, dst netip.Addr, flags uint8) *decoder.TraceEvent {
	return &decoder.TraceEvent{
		Type: decoder.TypeTrace, Version: decoder.EventVersion, ObsPoint: obs, Reason: decoder.ReasonNew,
		Family: 4, Proto: 6, TCPFlags: 0x12, Flags: flags, EndpointID: 1, SrcPort: 8080, DstPort: 41000,
		Ifindex: 9, SrcIdentity: 301, DstIdentity: 300, Packets: 1, Bytes: 60, Verdict: 1,
		SrcAddr: netip.AddrFrom16(src.As16()).As16(), DstAddr: netip.AddrFrom16(dst.As16()).As16(),
	}
}

func TestTraceReplyToEndpoint(t *testing.T) {
	p := newTestParser()
	// catalog's SYN-ACK arriving at frontend: a reply, to-endpoint.
	f := p.Flow(event(2, catIP, feIP, decoder.FlagReply))
	want := &flow.Flow{
		NodeName: "node-a", Verdict: flow.Verdict_FORWARDED, EventType: flow.EventType_TRACE,
		TraceReason: flow.TraceReason_NEW, IsReply: true, Packets: 1, Bytes: 60, InterfaceIndex: 9, InterfaceName: "lxfe",
		Ip:     &flow.IP{Source: "10.200.0.3", Destination: "10.200.0.2", IpVersion: flow.IPVersion_IPV4},
		Source: catalog, Destination: frontend,
		ObservationPoint: flow.ObservationPoint_TO_ENDPOINT,
		// The connection is frontend's egress; its reply keeps that direction.
		TrafficDirection: flow.TrafficDirection_EGRESS,
		L4: &flow.Layer4{Protocol: &flow.Layer4_Tcp{Tcp: &flow.TCP{SourcePort: 8080, DestinationPort: 41000,
			Flags: &flow.TCPFlags{SYN: true, ACK: true}}}},
	}
	if diff := cmp.Diff(f, want, protocmp.Transform(), protocmp.IgnoreFields(&flow.Flow{}, "time", "id")); diff != "" {
		t.Fatalf("flow (-got +want):\n%s", diff)
	}
	if f.GetTime().AsTime().IsZero() {
		t.Error("flow has no time")
	}
}

func TestTraceWorldIdentity(t *testing.T) {
	p := newTestParser()
	e := event(1, feIP, netip.MustParseAddr("192.0.2.1"), 0)
	e.DstIdentity = 2
	f := p.Flow(e)
	if diff := cmp.Diff(f.GetDestination(), &flow.Endpoint{Identity: 2, Labels: []string{"reserved:world"}}, protocmp.Transform()); diff != "" {
		t.Fatalf("destination (-got +want):\n%s", diff)
	}
	if f.GetTrafficDirection() != flow.TrafficDirection_EGRESS || f.GetSource() != frontend {
		t.Fatalf("from-endpoint flow: direction %v source %v", f.GetTrafficDirection(), f.GetSource())
	}
	if g := p.Flow(e); g.GetId() == f.GetId() {
		t.Fatal("two flows share an id")
	}
}

// BenchmarkTrace is the hot path after decoding: one allocation per flow.
func BenchmarkTrace(b *testing.B) {
	p := newTestParser()
	e := event(2, catIP, feIP, decoder.FlagReply)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Flow(e)
	}
}
