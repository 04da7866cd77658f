package sqlfilter

import (
	"errors"
	"unicode/utf8"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

// checkNodeNames refuses node names that are not valid UTF-8, which
// filters.Compile does not refuse but panics on (regexp.MustCompile in
// compileNodeNames). Requests over gRPC cannot carry them; this keeps an
// in-process caller from crashing the relay. The reason is Compile's own
// for a bad node name.
func checkNodeNames(allow, deny []*flow.FlowFilter) error {
	var errs []error
	for _, l := range []struct {
		name string
		ffs  []*flow.FlowFilter
	}{{"allow", allow}, {"deny", deny}} {
		for i, ff := range l.ffs {
			for _, v := range ff.GetNodeName() {
				if !utf8.ValidString(v) {
					errs = append(errs, &filters.Error{List: l.name, Index: i, Field: "node_name", Value: v,
						Reason: "want a node name with optional * wildcards, e.g. node-*"})
				}
			}
		}
	}
	return errors.Join(errs...)
}
