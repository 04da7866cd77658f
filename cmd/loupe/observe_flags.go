package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// filterArg is one filter flag as typed, kept in command-line order because
// --not applies to the flag that follows it.
type filterArg struct{ name, value string }

// filterFlag is the pflag.Value of every filter flag: parsing only records,
// so that buildRequest sees the whole command line and can name the flag of
// any error.
type filterFlag struct {
	name string
	typ  string // for --help: "bool" shows the flag without a value
	args *[]filterArg
}

func (f *filterFlag) Set(v string) error {
	*f.args = append(*f.args, filterArg{name: f.name, value: v})
	return nil
}
func (f *filterFlag) String() string { return "" }
func (f *filterFlag) Type() string {
	if f.typ == "" {
		return "string"
	}
	return f.typ
}

// notFlag is --not: a switch that marks the next filter flag as negated.
type notFlag struct{ args *[]filterArg }

func (n *notFlag) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want no value, true or false")
	}
	if on {
		*n.args = append(*n.args, filterArg{name: "not"})
	}
	return nil
}
func (n *notFlag) String() string   { return "false" }
func (n *notFlag) Type() string     { return "bool" }
func (n *notFlag) IsBoolFlag() bool { return true }

// sidedKind is a family of three flags: --from-X sets the source field,
// --to-X the destination field, and --X either: it makes two filters, one
// per side, as hubble observe does.
type sidedKind struct {
	name  string
	usage string // what a value is, with the `VALUE` name for --help
	set   func(ff *flow.FlowFilter, destination bool, v string) error
}

var sidedKinds = []sidedKind{
	{"label", "label `SELECTOR` (app=web,tier in (a,b))", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourceLabel, &ff.DestinationLabel, dst, v)
		return nil
	}},
	{"namespace", "`NAMESPACE`", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourceNamespace, &ff.DestinationNamespace, dst, v)
		return nil
	}},
	{"workload", "`WORKLOAD` name or namespace/name", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourceWorkload, &ff.DestinationWorkload, dst, v)
		return nil
	}},
	{"ip", "`IP` address or CIDR (v4 or v6)", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourceIp, &ff.DestinationIp, dst, v)
		return nil
	}},
	{"port", "TCP, UDP or SCTP `PORT`", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourcePort, &ff.DestinationPort, dst, v)
		return nil
	}},
	{"identity", "security `IDENTITY`: a number, host or world", func(ff *flow.FlowFilter, dst bool, v string) error {
		id, err := parseIdentity(v)
		if err != nil {
			return err
		}
		appendSided(&ff.SourceIdentity, &ff.DestinationIdentity, dst, id)
		return nil
	}},
	{"fqdn", "DNS `NAME` (*.example.com)", func(ff *flow.FlowFilter, dst bool, v string) error {
		appendSided(&ff.SourceFqdn, &ff.DestinationFqdn, dst, v)
		return nil
	}},
}

func appendSided[T any](src, dst *[]T, destination bool, v T) {
	if destination {
		*dst = append(*dst, v)
	} else {
		*src = append(*src, v)
	}
}

// reservedIdentityNames are the identities a user may name.
var reservedIdentityNames = map[string]uint32{"host": 1, "world": 2}

func parseIdentity(v string) (uint32, error) {
	if id, ok := reservedIdentityNames[strings.ToLower(v)]; ok {
		return id, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, errors.New("want a numeric identity, host or world")
	}
	return uint32(n), nil
}

// plainFlag is a filter flag about the flow as a whole.
type plainFlag struct {
	name  string
	usage string
	set   func(ff *flow.FlowFilter, v string) error
}

var plainFlags = []plainFlag{
	{"protocol", "Show flows of `PROTOCOL`: tcp, udp, sctp, icmp, icmpv4, icmpv6, http, dns, kafka", func(ff *flow.FlowFilter, v string) error {
		ff.Protocol = append(ff.Protocol, v)
		return nil
	}},
	{"verdict", "Show flows with `VERDICT`: FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR", func(ff *flow.FlowFilter, v string) error {
		n, err := parseEnum(v, flow.Verdict_value, "VERDICT_UNKNOWN")
		ff.Verdict = append(ff.Verdict, flow.Verdict(n))
		return err
	}},
	{"type", "Show events of `TYPE`: trace, drop, policy-verdict, l7, or trace:<observation point> (trace:to-endpoint, trace:from-endpoint, ...)", func(ff *flow.FlowFilter, v string) error {
		ff.EventType = append(ff.EventType, v)
		return nil
	}},
	{"traffic-direction", "Show flows in `DIRECTION`: ingress or egress", func(ff *flow.FlowFilter, v string) error {
		n, err := parseEnum(v, flow.TrafficDirection_value, "TRAFFIC_DIRECTION_UNKNOWN")
		ff.TrafficDirection = append(ff.TrafficDirection, flow.TrafficDirection(n))
		return err
	}},
	{"drop-reason", "Show drops for `REASON` (POLICY_DENIED, CT_MAP_FULL, ...; any case, - or _)", func(ff *flow.FlowFilter, v string) error {
		n, err := parseEnum(v, flow.DropReason_value, "DROP_REASON_UNKNOWN")
		ff.DropReason = append(ff.DropReason, flow.DropReason(n))
		return err
	}},
	{"node-name", "Show flows seen on `NODE`; * is a wildcard (node-*)", func(ff *flow.FlowFilter, v string) error {
		ff.NodeName = append(ff.NodeName, v)
		return nil
	}},
	{"http-method", "Show HTTP flows with `METHOD` (any case)", func(ff *flow.FlowFilter, v string) error {
		ff.HttpMethod = append(ff.HttpMethod, v)
		return nil
	}},
	{"http-path", "Show HTTP flows whose path fully matches the RE2 `REGEXP` (/api/.*)", func(ff *flow.FlowFilter, v string) error {
		ff.HttpPath = append(ff.HttpPath, v)
		return nil
	}},
	{"http-status", "Show HTTP responses with `STATUS`: a code (404) or a prefix with + (5+ is 500-599)", func(ff *flow.FlowFilter, v string) error {
		ff.HttpStatusCode = append(ff.HttpStatusCode, v)
		return nil
	}},
	{"http-header", "Show HTTP flows carrying `HEADER` key:value", func(ff *flow.FlowFilter, v string) error {
		ff.HttpHeader = append(ff.HttpHeader, v)
		return nil
	}},
	{"dns-query", "Show DNS flows whose query matches the RE2 `REGEXP`, with or without its trailing dot", func(ff *flow.FlowFilter, v string) error {
		ff.DnsQuery = append(ff.DnsQuery, v)
		return nil
	}},
	{"trace-id", "Show flows of the W3C trace `ID` (32 hex digits)", func(ff *flow.FlowFilter, v string) error {
		ff.TraceId = append(ff.TraceId, v)
		return nil
	}},
	{"tcp-flags", "Show TCP flows with all of `FLAGS` set, comma-separated (SYN or SYN,ACK); repeat to OR", func(ff *flow.FlowFilter, v string) error {
		flags, err := parseTCPFlags(v)
		ff.TcpFlags = append(ff.TcpFlags, flags)
		return err
	}},
	{"reply", "Show only replies (--reply) or only requests (--reply=false)", func(ff *flow.FlowFilter, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		ff.Reply = append(ff.Reply, b)
		return nil
	}},
}

// parseEnum reads an enum name in any case, with - or _; the unknown value
// cannot be asked for.
func parseEnum(v string, values map[string]int32, unknown string) (int32, error) {
	name := strings.ToUpper(strings.ReplaceAll(v, "-", "_"))
	if n, ok := values[name]; ok && name != unknown {
		return n, nil
	}
	var names []string
	for n := range values {
		if n != unknown {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return int(values[a] - values[b]) })
	return 0, fmt.Errorf("want one of %s", strings.Join(names, ", "))
}

func parseTCPFlags(v string) (*flow.TCPFlags, error) {
	flags := &flow.TCPFlags{}
	for _, name := range strings.Split(v, ",") {
		switch strings.ToUpper(strings.TrimSpace(name)) {
		case "FIN":
			flags.FIN = true
		case "SYN":
			flags.SYN = true
		case "RST":
			flags.RST = true
		case "PSH":
			flags.PSH = true
		case "ACK":
			flags.ACK = true
		case "URG":
			flags.URG = true
		case "ECE":
			flags.ECE = true
		case "CWR":
			flags.CWR = true
		default:
			return nil, fmt.Errorf("unknown flag %q: want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR, comma-separated", name)
		}
	}
	return flags, nil
}

// addFilterFlags registers every filter flag and --not on fs; they record
// into args.
func addFilterFlags(fs *pflag.FlagSet, args *[]filterArg) {
	for _, k := range sidedKinds {
		fs.Var(&filterFlag{name: "from-" + k.name, args: args}, "from-"+k.name, "Show flows from "+k.usage)
		fs.Var(&filterFlag{name: "to-" + k.name, args: args}, "to-"+k.name, "Show flows to "+k.usage)
		fs.Var(&filterFlag{name: k.name, args: args}, k.name, "Show flows from or to "+k.usage)
	}
	for _, p := range plainFlags {
		fs.Var(&filterFlag{name: p.name, args: args}, p.name, p.usage)
	}
	reply := fs.Lookup("reply")
	reply.Value.(*filterFlag).typ = "bool"
	reply.NoOptDefVal = "true"
	fs.Var(&notFlag{args: args}, "not", "Negate the next filter flag: flows it matches are hidden")
	fs.Lookup("not").NoOptDefVal = "true"
}

// filterSet builds the filters of one list (allow or deny) the way hubble
// observe does: a bare --X puts its value in the source field of the left
// filter and the destination field of the right one, every other flag goes
// into both; if nothing made them differ they are one filter.
type filterSet struct {
	left, right *flow.FlowFilter
	used        []string
}

func (s *filterSet) filters() []*flow.FlowFilter {
	if s.left == nil {
		return nil
	}
	if proto.Equal(s.left, s.right) {
		return []*flow.FlowFilter{s.left}
	}
	return []*flow.FlowFilter{s.left, s.right}
}

// add applies one filter flag. Its value is checked alone first, so that the
// error names the flag as typed.
func (s *filterSet) add(a filterArg) error {
	if s.left == nil {
		s.left, s.right = &flow.FlowFilter{}, &flow.FlowFilter{}
	}
	for _, k := range sidedKinds {
		dir, ok := strings.CutSuffix(a.name, k.name)
		if !ok || (dir != "" && dir != "from-" && dir != "to-") {
			continue
		}
		if err := s.conflict(a.name, k.name); err != nil {
			return err
		}
		if err := checkFilterValue(a, func(ff *flow.FlowFilter) error { return k.set(ff, dir == "to-", a.value) }); err != nil {
			return err
		}
		switch dir {
		case "from-", "to-":
			_ = k.set(s.left, dir == "to-", a.value)
			_ = k.set(s.right, dir == "to-", a.value)
		default:
			_ = k.set(s.left, false, a.value)
			_ = k.set(s.right, true, a.value)
		}
		return nil
	}
	for _, p := range plainFlags {
		if p.name != a.name {
			continue
		}
		if err := checkFilterValue(a, func(ff *flow.FlowFilter) error { return p.set(ff, a.value) }); err != nil {
			return err
		}
		_ = p.set(s.left, a.value)
		_ = p.set(s.right, a.value)
		return nil
	}
	return fmt.Errorf("unknown filter flag --%s", a.name)
}

// conflict refuses a bare --X together with --from-X or --to-X in the same
// list, as hubble does: the bare flag already pins the side, and mixing the
// two would OR values meant for different sides.
func (s *filterSet) conflict(name, kind string) error {
	s.used = append(s.used, name)
	if !slices.Contains(s.used, kind) {
		return nil
	}
	for _, side := range []string{"from-" + kind, "to-" + kind} {
		if slices.Contains(s.used, side) {
			return badInput("--%s and --%s cannot be combined: --%s already matches either side", kind, side, kind)
		}
	}
	return nil
}

// checkFilterValue sets one value on an empty filter and compiles it, returning a
// usage error that names the flag and the value.
func checkFilterValue(a filterArg, set func(*flow.FlowFilter) error) error {
	probe := &flow.FlowFilter{}
	if err := set(probe); err != nil {
		return badInput("--%s %q: %v", a.name, a.value, err)
	}
	if _, err := filters.Compile([]*flow.FlowFilter{probe}, nil); err != nil {
		var fe *filters.Error
		if errors.As(err, &fe) {
			return badInput("--%s %q: %s", a.name, a.value, fe.Reason)
		}
		return badInput("--%s %q: %v", a.name, a.value, err)
	}
	return nil
}

// buildFilters turns the filter flags, in order, into allow and deny lists.
// Every flag after a --not goes to the deny list; like hubble, the negated
// flags together form the deny filters, so "--not --to-port 53 --not
// --protocol udp" hides UDP flows to port 53.
func buildFilters(args []filterArg) (allow, deny []*flow.FlowFilter, err error) {
	var allowSet, denySet filterSet
	negate := false
	for _, a := range args {
		if a.name == "not" {
			if negate {
				return nil, nil, badInput("--not --not: --not negates the one filter flag that follows it")
			}
			negate = true
			continue
		}
		set := &allowSet
		if negate {
			set, negate = &denySet, false
		}
		if err := set.add(a); err != nil {
			return nil, nil, err
		}
	}
	if negate {
		return nil, nil, badInput("trailing --not: --not negates the filter flag that follows it")
	}
	return allowSet.filters(), denySet.filters(), nil
}
