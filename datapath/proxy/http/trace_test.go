package httpproxy

import "testing"

func TestParseTraceParent(t *testing.T) {
	const id, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	cases := []struct {
		in string
		ok bool
	}{
		{"00-" + id + "-" + span + "-01", true},
		{"00-" + id + "-" + span + "-00", true},
		{"01-" + id + "-" + span + "-01-extra", true},
		{"01-" + id + "-" + span + "-01", true},
		{"00-" + id + "-" + span + "-01-extra", false},
		{"01-" + id + "-" + span + "-01x", false},
		{"ff-" + id + "-" + span + "-01", false},
		{"00-" + id + "-0000000000000000-01", false},
		{"00-00000000000000000000000000000000-" + span + "-01", false},
		{"00-" + id + "-" + span + "-0g", false},
		{"00-" + id + "-" + span, false},
		{"00_" + id + "-" + span + "-01", false},
		{"", false},
	}
	for _, tc := range cases {
		tp, ok := parseTraceParent(tc.in)
		if ok != tc.ok {
			t.Errorf("parse %q: ok %v, want %v", tc.in, ok, tc.ok)
		}
		if ok && (tp.traceID != id || tp.parentID != span) {
			t.Errorf("parse %q: %+v", tc.in, tp)
		}
	}
}

func FuzzTraceParent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tp, ok := parseTraceParent(s)
		if !ok {
			return
		}
		// What the proxy forwards is itself a valid version-00 header
		// with the same ids.
		again, ok := parseTraceParent(tp.String())
		if !ok || again != tp {
			t.Fatalf("%q parsed to %+v, which forwards as %q (%v)", s, tp, tp.String(), ok)
		}
	})
}
