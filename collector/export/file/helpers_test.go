package file

import (
	"bufio"
	"compress/gzip"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/api/observer"
	"github.com/loupe-dev/loupe/internal/flowgen"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func flows(n int) []*flow.Flow {
	g := flowgen.New(7, 12, []string{"vm"}, time.Unix(1_700_000_000, 0), time.Millisecond)
	out := make([]*flow.Flow, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// readLines parses a flow log (gzipped when its name says so).
func readLines(t *testing.T, path string) []*observer.GetFlowsResponse {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	}
	var out []*observer.GetFlowsResponse
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var resp observer.GetFlowsResponse
		if err := protojson.Unmarshal(sc.Bytes(), &resp); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, &resp)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeConfig(t *testing.T, path, yaml string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitWritten polls until the exporter has written n lines to the log.
func waitWritten(t *testing.T, e *Exporter, name string, n uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.Stats()[name].Written < n {
		if time.Now().After(deadline) {
			t.Fatalf("flow log %s: %d lines written, want %d", name, e.Stats()[name].Written, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func tempPath(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }
