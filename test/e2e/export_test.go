package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExportFileReconfigure: the agent writes flows to the file of
// --export-config; a new config (field mask, filter) applied on SIGHUP
// changes the lines that follow without a restart; a bad one is refused
// and the running one stays.
func TestExportFileReconfigure(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "export.yaml")
	out := filepath.Join(dir, "flows.json")
	write := func(yaml string) {
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("flowLogs:\n  - name: shop\n    filePath: " + out + "\n    includeFilters: [{source_namespace: [shop]}]\n")
	a := newAgent(t, "export", "--export-config", cfg)
	a.start()
	lb := labUp(t, a)

	// lines returns the flow objects written so far.
	lines := func() []map[string]any {
		f, err := os.Open(out)
		if err != nil {
			return nil
		}
		defer f.Close()
		var flows []map[string]any
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct {
				Flow map[string]any `json:"flow"`
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if line.Flow != nil {
				flows = append(flows, line.Flow)
			}
		}
		return flows
	}
	waitLines := func(ok func([]map[string]any) bool) []map[string]any {
		deadline := time.Now().Add(20 * time.Second)
		for {
			lb.run("exec", "frontend", "--", "curl", "-s", "-o", "/dev/null", "http://catalog:8080/")
			fs := lines()
			if ok(fs) {
				return fs
			}
			if time.Now().After(deadline) {
				t.Fatalf("flow file: condition not met with %d flows; agent log:\n%s", len(fs), a.log)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	first := waitLines(func(fs []map[string]any) bool { return len(fs) > 0 })
	for _, f := range first {
		src, _ := f["source"].(map[string]any)
		if src["namespace"] != "shop" {
			t.Fatalf("flow from %v in a log of shop's flows", src)
		}
	}

	write("flowLogs:\n  - name: shop\n    filePath: " + out + "\n    includeFilters: [{source_namespace: [shop]}]\n    fieldMask: [verdict, source.workload]\n")
	a.cmd.Process.Signal(syscall.SIGHUP)
	n := len(first)
	masked := func(f map[string]any) bool {
		src, _ := f["source"].(map[string]any)
		return len(f) <= 2 && len(src) == 1 && src["workload"] != nil
	}
	waitLines(func(fs []map[string]any) bool { return len(fs) > n && masked(fs[len(fs)-1]) })

	write("flowLogs:\n  - name: shop\n    filePath: relative.json\n")
	a.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(a.log.String(), "export configuration refused") {
		if time.Now().After(deadline) {
			t.Fatalf("bad config not reported; agent log:\n%s", a.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(a.log.String(), cfg+":3:") {
		t.Errorf("refusal does not name %s:3; agent log:\n%s", cfg, a.log)
	}
	m := len(lines())
	fs := waitLines(func(fs []map[string]any) bool { return len(fs) > m })
	if !masked(fs[len(fs)-1]) {
		t.Errorf("after a refused config, the line %v is not masked as the running config says", fs[len(fs)-1])
	}
}
