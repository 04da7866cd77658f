package otlptest

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Describe lists spans one per line, for failure messages.
func Describe(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\n  %s %q trace %s span %s parent %s kind %s status %s",
			s.Service(), s.GetName(), hex.EncodeToString(s.GetTraceId()), hex.EncodeToString(s.GetSpanId()),
			hex.EncodeToString(s.GetParentSpanId()), s.GetKind(), s.GetStatus().GetCode())
	}
	return b.String()
}
