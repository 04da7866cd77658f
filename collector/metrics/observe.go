package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loupe-dev/loupe/api/flow"
)

// Observe counts one flow in every enabled family. It allocates nothing
// unless a series is created or an exemplar is attached.
func (m *Metrics) Observe(f *flow.Flow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	src, dst := f.Source, f.Destination
	l4 := f.L4
	proto, dport := l4Of(l4)
	if fam := m.flows; fam != nil {
		m.inc(fam, src, dst, key{n1: uint32(f.EventType), n2: subtypeOf(f), n3: uint32(f.Verdict)})
	}
	if fam := m.drops; fam != nil && f.Verdict == flow.Verdict_DROPPED {
		m.inc(fam, src, dst, key{n1: uint32(f.DropReason), n2: proto})
	}
	if fam := m.policy; fam != nil && f.EventType == flow.EventType_POLICY_VERDICT {
		m.inc(fam, src, dst, key{n1: uint32(f.TrafficDirection), n2: uint32(f.PolicyMatchType), n3: uint32(f.Verdict)})
	}
	ipv := uint32(f.GetIp().GetIpVersion())
	if fam := m.tcp; fam != nil && proto == protoTCP {
		m.tcpFlags(fam, src, dst, l4.GetTcp().GetFlags(), ipv)
	}
	if fam := m.icmp; fam != nil {
		switch proto {
		case protoICMPv4:
			m.inc(fam, src, dst, key{n1: uint32(flow.IPVersion_IPV4), n2: l4.GetIcmpv4().GetType()})
		case protoICMPv6:
			m.inc(fam, src, dst, key{n1: uint32(flow.IPVersion_IPV6), n2: l4.GetIcmpv6().GetType()})
		}
	}
	if fam := m.ports; fam != nil && !f.IsReply && (proto == protoTCP || proto == protoUDP || proto == protoSCTP) {
		port := dport
		if m.trackedPorts[port/64]&(1<<(port%64)) == 0 {
			port = portOther
		}
		m.inc(fam, src, dst, key{n1: proto, n2: port})
	}
	if f.L7 != nil {
		m.observeL7(f, src, dst)
	}
}

// inc completes k with the family's contexts and counts it. k is passed
// by value but escapes nowhere: the series lookup takes its address.
func (m *Metrics) inc(fam *family, src, dst *flow.Endpoint, k key) {
	if fam.spec.Source != ContextNone {
		k.src = valueOf(fam.spec.Source, src)
	}
	if fam.spec.Destination != ContextNone {
		k.dst = valueOf(fam.spec.Destination, dst)
	}
	fam.get(&k).counter.Inc()
}

func (m *Metrics) tcpFlags(fam *family, src, dst *flow.Endpoint, fl *flow.TCPFlags, ipv uint32) {
	if fl == nil {
		return
	}
	switch {
	case fl.SYN && fl.ACK:
		m.inc(fam, src, dst, key{n1: flagSYNACK, n2: ipv})
	case fl.SYN:
		m.inc(fam, src, dst, key{n1: flagSYN, n2: ipv})
	}
	if fl.FIN {
		m.inc(fam, src, dst, key{n1: flagFIN, n2: ipv})
	}
	if fl.RST {
		m.inc(fam, src, dst, key{n1: flagRST, n2: ipv})
	}
}

func l4Of(l4 *flow.Layer4) (proto, dport uint32) {
	switch p := l4.GetProtocol().(type) {
	case *flow.Layer4_Tcp:
		return protoTCP, p.Tcp.GetDestinationPort()
	case *flow.Layer4_Udp:
		return protoUDP, p.Udp.GetDestinationPort()
	case *flow.Layer4_Sctp:
		return protoSCTP, p.Sctp.GetDestinationPort()
	case *flow.Layer4_Icmpv4:
		return protoICMPv4, 0
	case *flow.Layer4_Icmpv6:
		return protoICMPv6, 0
	}
	return protoUnknown, 0
}

// subtypeOf is the observation point, or the L7 protocol of an L7 flow.
func subtypeOf(f *flow.Flow) uint32 {
	switch f.GetL7().GetRecord().(type) {
	case *flow.Layer7_Http:
		return subtypeHTTP
	case *flow.Layer7_Dns:
		return subtypeDNS
	case *flow.Layer7_Kafka:
		return subtypeKafka
	}
	return uint32(f.ObservationPoint)
}

// observeL7 counts requests and responses. A response flow goes from the
// server to the client; its contexts are swapped so that in every L7
// metric source is the client and destination the server, as in Hubble.
func (m *Metrics) observeL7(f *flow.Flow, src, dst *flow.Endpoint) {
	response := f.L7.Type == flow.L7FlowType_RESPONSE
	if response {
		src, dst = dst, src
	}
	switch r := f.L7.Record.(type) {
	case *flow.Layer7_Http:
		if !response {
			return
		}
		if fam := m.httpRequests; fam != nil {
			m.inc(fam, src, dst, key{s1: r.Http.Method, s2: r.Http.Protocol, n1: r.Http.Code})
		}
		if fam := m.httpDuration; fam != nil {
			k := key{s1: r.Http.Method}
			if fam.spec.Source != ContextNone {
				k.src = valueOf(fam.spec.Source, src)
			}
			if fam.spec.Destination != ContextNone {
				k.dst = valueOf(fam.spec.Destination, dst)
			}
			m.observeDuration(fam, &k, f)
		}
	case *flow.Layer7_Dns:
		qtypes := joinTypes(r.Dns.Qtypes)
		if fam := m.dnsQueries; fam != nil && !response {
			m.inc(fam, src, dst, key{s1: qtypes})
		}
		if fam := m.dnsResponses; fam != nil && response {
			m.inc(fam, src, dst, key{s1: qtypes, n1: r.Dns.Rcode})
		}
		if fam := m.dnsAnswers; fam != nil && response {
			m.dnsAnswerTypes(fam, src, dst, qtypes, r.Dns)
		}
	case *flow.Layer7_Kafka:
		if fam := m.kafka; fam != nil && response {
			m.inc(fam, src, dst, key{s1: r.Kafka.Topic, s2: r.Kafka.ApiKey, n1: uint32(r.Kafka.ErrorCode)})
		}
	}
}

// joinTypes builds a string only for the rare query with several types.
func joinTypes(t []string) string {
	switch len(t) {
	case 0:
		return ""
	case 1:
		return t[0]
	}
	return strings.Join(t, ",")
}

// observeDuration records the latency, with the trace id as an exemplar
// when the flow carries one.
func (m *Metrics) observeDuration(fam *family, k *key, f *flow.Flow) {
	seconds := float64(f.L7.LatencyNs) / 1e9
	obs := fam.get(k).observer
	if id := f.GetTraceContext().GetTraceId(); id != "" {
		if eo, ok := obs.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(seconds, prometheus.Labels{"trace_id": id})
			return
		}
	}
	obs.Observe(seconds)
}

// dnsAnswerTypes counts each answer record of a response by its type. A
// proxy that reports addresses and names but no record types gets them
// inferred: an address is an A or AAAA record, a name a CNAME.
func (m *Metrics) dnsAnswerTypes(fam *family, src, dst *flow.Endpoint, qtypes string, d *flow.DNS) {
	if len(d.Rrtypes) > 0 {
		for _, t := range d.Rrtypes {
			m.inc(fam, src, dst, key{s1: qtypes, s2: t})
		}
		return
	}
	for _, ip := range d.Ips {
		t := "A"
		if strings.Contains(ip, ":") {
			t = "AAAA"
		}
		m.inc(fam, src, dst, key{s1: qtypes, s2: t})
	}
	for range d.Cnames {
		m.inc(fam, src, dst, key{s1: qtypes, s2: "CNAME"})
	}
}
