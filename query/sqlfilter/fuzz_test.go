package sqlfilter

import (
	"regexp"
	"testing"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// stringFields set one string field of a filter, for the fuzzer.
var stringFields = map[string]func(string) *flow.FlowFilter{
	"source_label":         func(s string) *flow.FlowFilter { return &flow.FlowFilter{SourceLabel: []string{s}} },
	"destination_label":    func(s string) *flow.FlowFilter { return &flow.FlowFilter{DestinationLabel: []string{s, "app=db"}} },
	"source_namespace":     func(s string) *flow.FlowFilter { return &flow.FlowFilter{SourceNamespace: []string{s}} },
	"destination_workload": func(s string) *flow.FlowFilter { return &flow.FlowFilter{DestinationWorkload: []string{s}} },
	"source_ip":            func(s string) *flow.FlowFilter { return &flow.FlowFilter{SourceIp: []string{s}} },
	"destination_port":     func(s string) *flow.FlowFilter { return &flow.FlowFilter{DestinationPort: []string{s}} },
	"source_fqdn":          func(s string) *flow.FlowFilter { return &flow.FlowFilter{SourceFqdn: []string{s}} },
	"protocol":             func(s string) *flow.FlowFilter { return &flow.FlowFilter{Protocol: []string{s}} },
	"event_type":           func(s string) *flow.FlowFilter { return &flow.FlowFilter{EventType: []string{s}} },
	"node_name":            func(s string) *flow.FlowFilter { return &flow.FlowFilter{NodeName: []string{s}} },
	"http_method":          func(s string) *flow.FlowFilter { return &flow.FlowFilter{HttpMethod: []string{s}} },
	"http_path":            func(s string) *flow.FlowFilter { return &flow.FlowFilter{HttpPath: []string{s}} },
	"http_status_code":     func(s string) *flow.FlowFilter { return &flow.FlowFilter{HttpStatusCode: []string{s}} },
	"http_header":          func(s string) *flow.FlowFilter { return &flow.FlowFilter{HttpHeader: []string{s}} },
	"dns_query":            func(s string) *flow.FlowFilter { return &flow.FlowFilter{DnsQuery: []string{s}} },
	"trace_id":             func(s string) *flow.FlowFilter { return &flow.FlowFilter{TraceId: []string{s}} },
}

// FuzzTranslate feeds arbitrary strings to every string field, allowed and
// denied. Translation never panics, refuses exactly what Compile refuses,
// binds one argument per placeholder, and sends ClickHouse only
// expressions that Go reads as it reads the user's.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"app=frontend", "app in (a,b),!tier", "x' OR 1=1 --", "o'brien", `a\b`, "a\x00b", "10.0.0.0/8",
		"fd00::/64", "::ffff:1.2.3.4", "*.example.com", "trace:to-endpoint", "node-*", "GET", "/api/.*",
		"5+", "content-type: application/json", `\.shop\.$`, "(?i)k", "(?<n>x)", "a)|(b", "[", "?", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, set := range stringFields {
			for _, lists := range [][2][]*flow.FlowFilter{{{set(s)}, nil}, {nil, {set(s)}}} {
				w, err := Translate(lists[0], lists[1])
				cerr := compileErr(lists[0], lists[1])
				if (err == nil) != (cerr == nil) || (err != nil && err.Error() != cerr.Error()) {
					t.Fatalf("%s %q: translate %v, compile %v", name, s, err, cerr)
				}
				if err != nil {
					continue
				}
				if n := countPlaceholders(w.SQL); n != len(w.Args) {
					t.Fatalf("%s %q: %d placeholders, %d args: %s", name, s, n, len(w.Args), w.SQL)
				}
				for _, a := range w.Args {
					if re, ok := a.(string); ok && len(re) > 3 && re[:3] == "(?:" {
						if _, err := regexp.Compile(re); err != nil {
							t.Fatalf("%s %q: rewritten expression %q does not parse: %v", name, s, re, err)
						}
					}
				}
			}
		}
	})
}

// compileErr is Compile's verdict; its panic on a node name that is not
// UTF-8 counts as a refusal.
func compileErr(allow, deny []*flow.FlowFilter) (err error) {
	defer func() {
		if recover() != nil {
			err = checkNodeNames(allow, deny)
		}
	}()
	_, err = filters.Compile(allow, deny)
	return err
}
