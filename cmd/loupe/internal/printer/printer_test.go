package printer

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/loupe-dev/loupe/api/observer"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func render(t *testing.T, format string, opts Options) []byte {
	t.Helper()
	opts.Location = time.UTC
	var buf bytes.Buffer
	p, err := New(&buf, format, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testResponses {
		if err := p.WriteResponse(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name, format string
		opts         Options
	}{
		{"compact", "compact", Options{}},
		{"compact-policy-names", "compact", Options{PrintPolicyNames: true}},
		{"table", "table", Options{}},
		{"table-stream", "table", Options{Stream: true}},
		{"dict", "dict", Options{PrintPolicyNames: true}},
		{"json", "json", Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, render(t, tt.format, tt.opts))
		})
	}
}

// TestJSONRoundTrip checks what the golden file cannot: every line is one
// complete GetFlowsResponse that decodes to what was written.
func TestJSONRoundTrip(t *testing.T) {
	for _, format := range []string{"json", "jsonpb"} {
		out := render(t, format, Options{})
		sc := bufio.NewScanner(bytes.NewReader(out))
		var got []*observer.GetFlowsResponse
		for sc.Scan() {
			r := &observer.GetFlowsResponse{}
			if err := protojson.Unmarshal(sc.Bytes(), r); err != nil {
				t.Fatalf("%s: line %d: %v", format, len(got)+1, err)
			}
			got = append(got, r)
		}
		if diff := cmp.Diff(testResponses, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: decoded responses (-want +got):\n%s", format, diff)
		}
	}
}

func TestTableAlignment(t *testing.T) {
	for _, opts := range []Options{{}, {Stream: true}} {
		lines := strings.Split(strings.TrimSuffix(string(render(t, "table", opts)), "\n"), "\n")
		if len(lines) != len(testResponses)+1 {
			t.Fatalf("stream %v: %d lines, want header and %d rows", opts.Stream, len(lines), len(testResponses))
		}
		// Every column starts where the header's does.
		for _, col := range []string{"SOURCE", "DESTINATION", "TYPE"} {
			at := strings.Index(lines[0], col)
			for _, l := range lines[1:3] {
				if l[at-1] != ' ' || l[at] == ' ' {
					t.Errorf("stream %v: column %s not aligned at %d in %q", opts.Stream, col, at, l)
				}
			}
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	_, err := New(&bytes.Buffer{}, "yaml", Options{})
	want := `unknown output format "yaml": want one of compact, json, jsonpb, table, dict`
	if err == nil || err.Error() != want {
		t.Errorf("New(yaml) error = %v, want %q", err, want)
	}
}

func TestEmptyTablePrintsNothing(t *testing.T) {
	var buf bytes.Buffer
	p, err := New(&buf, "table", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("empty table printed %q", buf.String())
	}
}
