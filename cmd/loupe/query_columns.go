package main

import (
	"strconv"

	"github.com/loupe-dev/loupe/query/incident"
)

// The columns of each `loupe query` table, by kind and --by.

var edgeColumns = []incidentColumn[incident.Edge]{
	{"SOURCE", func(e incident.Edge) string { return fmtService(e.SrcNamespace, e.SrcService) }},
	{"DESTINATION", func(e incident.Edge) string { return fmtService(e.DstNamespace, e.DstService) }},
	{"PROTOCOL", func(e incident.Edge) string { return e.Protocol }},
	{"PORT", func(e incident.Edge) string { return fmtPort(e.Port) }},
	{"FLOWS", func(e incident.Edge) string { return fmtCount(e.Flows) }},
	{"BYTES", func(e incident.Edge) string { return fmtBytes(e.Bytes) }},
	{"PACKETS", func(e incident.Edge) string { return fmtCount(e.Packets) }},
	{"FORWARDED", func(e incident.Edge) string { return fmtCount(e.Forwarded) }},
	{"DROPPED", func(e incident.Edge) string { return fmtCount(e.Dropped) }},
	{"AUDIT", func(e incident.Edge) string { return fmtCount(e.Audit) }},
	{"ERROR", func(e incident.Edge) string { return fmtCount(e.Error) }},
}

func talkerColumns(by string) []incidentColumn[incident.Talker] {
	type c = incidentColumn[incident.Talker]
	var keys []c
	switch by {
	case "workload":
		keys = []c{{"WORKLOAD", func(t incident.Talker) string { return fmtService(t.SrcNamespace, t.SrcService) }}}
	case "namespace":
		keys = []c{{"NAMESPACE", func(t incident.Talker) string { return cleanCell(t.SrcNamespace) }}}
	case "pair":
		keys = []c{
			{"SOURCE", func(t incident.Talker) string { return fmtService(t.SrcNamespace, t.SrcService) }},
			{"DESTINATION", func(t incident.Talker) string { return fmtService(t.DstNamespace, t.DstService) }},
		}
	case "port":
		keys = []c{
			{"PROTOCOL", func(t incident.Talker) string { return t.Protocol }},
			{"PORT", func(t incident.Talker) string { return fmtPort(t.Port) }},
		}
	}
	return append(keys,
		c{"BYTES", func(t incident.Talker) string { return fmtBytes(t.Bytes) }},
		c{"FLOWS", func(t incident.Talker) string { return fmtCount(t.Flows) }},
		c{"PACKETS", func(t incident.Talker) string { return fmtCount(t.Packets) }},
		c{"DROPPED", func(t incident.Talker) string { return fmtCount(t.Dropped) }},
	)
}

func dropColumns(by string) []incidentColumn[incident.DropRow] {
	type c = incidentColumn[incident.DropRow]
	var keys []c
	switch by {
	case "reason":
		keys = []c{{"REASON", func(d incident.DropRow) string { return d.Reason }}}
	case "workload":
		keys = []c{{"WORKLOAD", func(d incident.DropRow) string { return fmtService(d.Namespace, d.Service) }}}
	case "node":
		keys = []c{{"NODE", func(d incident.DropRow) string { return cleanCell(d.Node) }}}
	case "namespace":
		keys = []c{{"NAMESPACE", func(d incident.DropRow) string { return cleanCell(d.Namespace) }}}
	case "port":
		keys = []c{
			{"PROTOCOL", func(d incident.DropRow) string { return d.Protocol }},
			{"PORT", func(d incident.DropRow) string { return fmtPort(d.Port) }},
		}
	}
	return append(keys,
		c{"FLOWS", func(d incident.DropRow) string { return fmtCount(d.Flows) }},
		c{"SHARE", func(d incident.DropRow) string { return fmtPercent(d.Share) }},
	)
}

var dnsErrorColumns = []incidentColumn[incident.DNSError]{
	{"QUERY", func(e incident.DNSError) string { return cleanCell(e.Query) }},
	{"RCODE", func(e incident.DNSError) string { return e.RcodeName }},
	{"ERRORS", func(e incident.DNSError) string { return fmtCount(e.Count) }},
	{"RESPONSES", func(e incident.DNSError) string { return fmtCount(e.Responses) }},
	{"RATE", func(e incident.DNSError) string {
		if e.Responses == 0 {
			return ""
		}
		return fmtPercent(float64(e.Count) / float64(e.Responses))
	}},
}

func httpColumns(by string) []incidentColumn[incident.HTTPRow] {
	type c = incidentColumn[incident.HTTPRow]
	var cols []c
	switch by {
	case "service":
		cols = []c{{"SERVICE", func(r incident.HTTPRow) string { return fmtService(r.Namespace, r.Service) }}}
	case "method":
		cols = []c{{"METHOD", func(r incident.HTTPRow) string { return cleanCell(r.Method) }}}
	case "code":
		cols = []c{{"CODE", func(r incident.HTTPRow) string { return strconv.Itoa(int(r.Code)) }}}
	}
	if by != "code" {
		// Requests carry no status: by code, only responses count.
		cols = append(cols,
			c{"REQUESTS", func(r incident.HTTPRow) string { return fmtCount(r.Requests) }},
			c{"RESPONSES", func(r incident.HTTPRow) string { return fmtCount(r.Responses) }},
			c{"4XX", func(r incident.HTTPRow) string { return fmtPercent(r.ErrorRate4xx) }},
			c{"5XX", func(r incident.HTTPRow) string { return fmtPercent(r.ErrorRate5xx) }},
		)
	} else {
		cols = append(cols, c{"RESPONSES", func(r incident.HTTPRow) string { return fmtCount(r.Responses) }})
	}
	latency := func(v func(incident.HTTPRow) float64) func(incident.HTTPRow) string {
		return func(r incident.HTTPRow) string {
			if r.Responses == 0 {
				return ""
			}
			return fmtMillis(v(r))
		}
	}
	return append(cols,
		c{"P50", latency(func(r incident.HTTPRow) float64 { return r.LatencyP50Ms })},
		c{"P95", latency(func(r incident.HTTPRow) float64 { return r.LatencyP95Ms })},
		c{"P99", latency(func(r incident.HTTPRow) float64 { return r.LatencyP99Ms })},
	)
}
