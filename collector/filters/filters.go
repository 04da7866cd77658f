package filters

import (
	"errors"
	"sort"

	"github.com/loupe-dev/loupe/api/flow"
)

// Func reports whether a flow passes the compiled allow and deny filters. It
// is safe for concurrent use and does not allocate.
type Func func(*flow.Flow) bool

// Compile validates allow and deny and returns the function that applies
// them: a flow passes if allow is empty or any allow filter matches, and no
// deny filter matches. A nil filter is an empty one, which matches every flow.
//
// All values are checked; the error joins one *Error per bad value, in the
// order of the lists, filters and protobuf fields, and matches ErrInvalid.
func Compile(allow, deny []*flow.FlowFilter) (Func, error) {
	var errs []error
	a := compileList("allow", allow, &errs)
	d := compileList("deny", deny, &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return func(f *flow.Flow) bool {
		if len(a) > 0 && !anyMatch(a, f) {
			return false
		}
		return !anyMatch(d, f)
	}, nil
}

// check is one compiled field of one filter: true if any value matches.
type check func(*flow.Flow) bool

// filter is a compiled FlowFilter: all of its checks must hold.
type filter []check

func anyMatch(fs []filter, f *flow.Flow) bool {
	for _, checks := range fs {
		if matchAll(checks, f) {
			return true
		}
	}
	return false
}

func matchAll(checks filter, f *flow.Flow) bool {
	for _, c := range checks {
		if !c(f) {
			return false
		}
	}
	return true
}

func compileList(list string, ffs []*flow.FlowFilter, errs *[]error) []filter {
	out := make([]filter, 0, len(ffs))
	for i, ff := range ffs {
		b := &builder{list: list, index: i, errs: errs}
		for _, field := range fields {
			field(b, ff)
		}
		// Cheap fields go first so that most flows are rejected before any
		// selector, prefix or regular expression runs.
		sort.SliceStable(b.checks, func(i, j int) bool { return b.checks[i].cost < b.checks[j].cost })
		checks := make(filter, len(b.checks))
		for j, c := range b.checks {
			checks[j] = c.fn
		}
		out = append(out, checks)
	}
	return out
}

// Relative costs of checks, to order them within a filter.
const (
	costEnum = iota
	costNumber
	costString
	costList
	costRegexp
)

type costedCheck struct {
	cost int
	fn   check
}

// builder collects the checks of one filter and the errors of its values.
type builder struct {
	list   string
	index  int
	errs   *[]error
	checks []costedCheck
}

func (b *builder) add(cost int, fn check) {
	b.checks = append(b.checks, costedCheck{cost: cost, fn: fn})
}

func (b *builder) fail(field, value, reason string) {
	*b.errs = append(*b.errs, &Error{List: b.list, Index: b.index, Field: field, Value: value, Reason: reason})
}

// fields compiles every FlowFilter field, in protobuf field order so that
// errors come out in a stable order.
var fields = []func(*builder, *flow.FlowFilter){
	func(b *builder, ff *flow.FlowFilter) {
		compileLabels(b, "source_label", ff.GetSourceLabel(), (*flow.Flow).GetSource)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileLabels(b, "destination_label", ff.GetDestinationLabel(), (*flow.Flow).GetDestination)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileNamespaces(b, "source_namespace", ff.GetSourceNamespace(), (*flow.Flow).GetSource)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileNamespaces(b, "destination_namespace", ff.GetDestinationNamespace(), (*flow.Flow).GetDestination)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileWorkloads(b, "source_workload", ff.GetSourceWorkload(), (*flow.Flow).GetSource)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileWorkloads(b, "destination_workload", ff.GetDestinationWorkload(), (*flow.Flow).GetDestination)
	},
	func(b *builder, ff *flow.FlowFilter) { compileIPs(b, "source_ip", ff.GetSourceIp(), sourceIP) },
	func(b *builder, ff *flow.FlowFilter) {
		compileIPs(b, "destination_ip", ff.GetDestinationIp(), destinationIP)
	},
	func(b *builder, ff *flow.FlowFilter) { compilePorts(b, "source_port", ff.GetSourcePort(), sourcePort) },
	func(b *builder, ff *flow.FlowFilter) {
		compilePorts(b, "destination_port", ff.GetDestinationPort(), destinationPort)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileIdentities(b, "source_identity", ff.GetSourceIdentity(), (*flow.Flow).GetSource)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileIdentities(b, "destination_identity", ff.GetDestinationIdentity(), (*flow.Flow).GetDestination)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileFQDNs(b, "source_fqdn", ff.GetSourceFqdn(), (*flow.Flow).GetSourceNames)
	},
	func(b *builder, ff *flow.FlowFilter) {
		compileFQDNs(b, "destination_fqdn", ff.GetDestinationFqdn(), (*flow.Flow).GetDestinationNames)
	},
	func(b *builder, ff *flow.FlowFilter) { compileProtocols(b, ff.GetProtocol()) },
	func(b *builder, ff *flow.FlowFilter) { compileVerdicts(b, ff.GetVerdict()) },
	func(b *builder, ff *flow.FlowFilter) { compileEventTypes(b, ff.GetEventType()) },
	func(b *builder, ff *flow.FlowFilter) { compileDirections(b, ff.GetTrafficDirection()) },
	func(b *builder, ff *flow.FlowFilter) { compileDropReasons(b, ff.GetDropReason()) },
	func(b *builder, ff *flow.FlowFilter) { compileNodeNames(b, ff.GetNodeName()) },
	func(b *builder, ff *flow.FlowFilter) { compileHTTPMethods(b, ff.GetHttpMethod()) },
	func(b *builder, ff *flow.FlowFilter) { compileHTTPPaths(b, ff.GetHttpPath()) },
	func(b *builder, ff *flow.FlowFilter) { compileHTTPStatus(b, ff.GetHttpStatusCode()) },
	func(b *builder, ff *flow.FlowFilter) { compileHTTPHeaders(b, ff.GetHttpHeader()) },
	func(b *builder, ff *flow.FlowFilter) { compileDNSQueries(b, ff.GetDnsQuery()) },
	func(b *builder, ff *flow.FlowFilter) { compileTCPFlags(b, ff.GetTcpFlags()) },
	func(b *builder, ff *flow.FlowFilter) { compileTraceIDs(b, ff.GetTraceId()) },
	func(b *builder, ff *flow.FlowFilter) { compileReply(b, ff.GetReply()) },
}
