package filters

import (
	"slices"
	"strconv"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// compileVerdicts: each value is a defined Verdict.
func compileVerdicts(b *builder, values []flow.Verdict) {
	if len(values) == 0 {
		return
	}
	for _, v := range values {
		if _, ok := flow.Verdict_name[int32(v)]; !ok {
			b.fail("verdict", strconv.Itoa(int(v)), "unknown verdict (want FORWARDED, DROPPED, AUDIT, REDIRECTED or ERROR)")
		}
	}
	values = slices.Clone(values)
	b.add(costEnum, func(f *flow.Flow) bool { return slices.Contains(values, f.GetVerdict()) })
}

// compileDirections: each value is a defined TrafficDirection.
func compileDirections(b *builder, values []flow.TrafficDirection) {
	if len(values) == 0 {
		return
	}
	for _, v := range values {
		if _, ok := flow.TrafficDirection_name[int32(v)]; !ok {
			b.fail("traffic_direction", strconv.Itoa(int(v)), "unknown traffic direction (want INGRESS or EGRESS)")
		}
	}
	values = slices.Clone(values)
	b.add(costEnum, func(f *flow.Flow) bool { return slices.Contains(values, f.GetTrafficDirection()) })
}

// compileDropReasons: each value is a defined DropReason.
func compileDropReasons(b *builder, values []flow.DropReason) {
	if len(values) == 0 {
		return
	}
	for _, v := range values {
		if _, ok := flow.DropReason_name[int32(v)]; !ok {
			b.fail("drop_reason", strconv.Itoa(int(v)), "unknown drop reason")
		}
	}
	values = slices.Clone(values)
	b.add(costEnum, func(f *flow.Flow) bool { return slices.Contains(values, f.GetDropReason()) })
}

// compileReply: true matches replies, false matches the original direction.
func compileReply(b *builder, values []bool) {
	if len(values) == 0 {
		return
	}
	wantReply, wantRequest := slices.Contains(values, true), slices.Contains(values, false)
	b.add(costEnum, func(f *flow.Flow) bool {
		if f.GetIsReply() {
			return wantReply
		}
		return wantRequest
	})
}

// eventTypeNames are the names of event types in filters, as the CLI
// prints them.
var eventTypeNames = map[string]flow.EventType{
	"trace":          flow.EventType_TRACE,
	"drop":           flow.EventType_DROP,
	"policy-verdict": flow.EventType_POLICY_VERDICT,
	"l7":             flow.EventType_L7,
}

// ObservationPointName returns the filter and display name of an observation
// point: the enum name in lower case with dashes, "to-endpoint".
func ObservationPointName(p flow.ObservationPoint) string {
	return strings.ReplaceAll(strings.ToLower(p.String()), "_", "-")
}

type eventTypeMatch struct {
	typ   flow.EventType
	point flow.ObservationPoint // zero: any
}

const eventTypeWant = "want trace, drop, policy-verdict or l7, or trace:<observation point> (from-endpoint, to-endpoint, to-proxy, from-proxy, to-stack, from-host, to-host, from-network, to-network)"

// compileEventTypes: each value is an event type name, and a trace may be
// narrowed to one observation point: "trace:to-endpoint".
func compileEventTypes(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	matches := make([]eventTypeMatch, 0, len(values))
	for _, v := range values {
		name, sub, hasSub := strings.Cut(strings.ToLower(v), ":")
		typ, ok := eventTypeNames[name]
		if !ok || (hasSub && typ != flow.EventType_TRACE) {
			b.fail("event_type", v, eventTypeWant)
			continue
		}
		m := eventTypeMatch{typ: typ}
		if hasSub {
			m.point = observationPoint(sub)
			if m.point == flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN {
				b.fail("event_type", v, "unknown observation point "+strconv.Quote(sub)+": "+eventTypeWant)
				continue
			}
		}
		matches = append(matches, m)
	}
	b.add(costEnum, func(f *flow.Flow) bool {
		for _, m := range matches {
			if f.GetEventType() == m.typ && (m.point == 0 || f.GetObservationPoint() == m.point) {
				return true
			}
		}
		return false
	})
}

func observationPoint(name string) flow.ObservationPoint {
	for n := range flow.ObservationPoint_name {
		p := flow.ObservationPoint(n)
		if p != flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN && ObservationPointName(p) == name {
			return p
		}
	}
	return flow.ObservationPoint_OBSERVATION_POINT_UNKNOWN
}

// compileTraceIDs: each value is a W3C trace id, 32 hex digits.
func compileTraceIDs(b *builder, values []string) {
	if len(values) == 0 {
		return
	}
	ids := make([]string, 0, len(values))
	for _, v := range values {
		if len(v) != 32 || strings.Trim(v, "0123456789abcdefABCDEF") != "" {
			b.fail("trace_id", v, "want a W3C trace id of 32 hex digits")
			continue
		}
		ids = append(ids, strings.ToLower(v))
	}
	b.add(costString, func(f *flow.Flow) bool {
		id := f.GetTraceContext().GetTraceId()
		for _, want := range ids {
			if strings.EqualFold(id, want) {
				return true
			}
		}
		return false
	})
}
