package file

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
)

func TestRotation(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "gzip"}[compress], func(t *testing.T) {
			path := tempPath(t, "flows.json")
			const maxSize = 16 << 10
			e := New(0, discard())
			if err := e.swap(&Config{FlowLogs: []FlowLog{{Name: "all", FilePath: path, MaxSize: maxSize, MaxBackups: 2, Compress: compress}}}); err != nil {
				t.Fatal(err)
			}
			e.Start()
			fs := flows(400) // about 600 bytes each: several rotations
			for _, f := range fs {
				e.Observe(f)
			}
			e.Stop()
			if st := e.Stats()["all"]; st.Written != uint64(len(fs)) || st.Errors != 0 || e.Dropped() != 0 {
				t.Fatalf("stats %+v, dropped %d: want %d written", st, e.Dropped(), len(fs))
			}
			backup := func(n int) string {
				name := path + "." + string(rune('0'+n))
				if compress {
					name += ".gz"
				}
				return name
			}
			if _, err := os.Stat(backup(3)); !os.IsNotExist(err) {
				t.Errorf("%s exists (err %v): want only 2 backups", backup(3), err)
			}
			var ids []uint64
			for _, name := range []string{backup(2), backup(1), path} {
				st, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if !compress || name == path {
					if st.Size() > maxSize {
						t.Errorf("%s: %d bytes, more than the maximum %d", name, st.Size(), maxSize)
					}
				}
				for _, r := range readLines(t, name) {
					ids = append(ids, r.GetFlow().GetId())
				}
			}
			// The newest flows, in order, without a gap: the oldest were
			// rotated away whole files at a time.
			want := make([]uint64, 0, len(ids))
			for _, f := range fs[len(fs)-len(ids):] {
				want = append(want, f.Id)
			}
			if len(ids) == 0 || len(ids) == len(fs) || !slices.Equal(ids, want) {
				t.Errorf("the files hold %d flows; want the newest of %d, in order", len(ids), len(fs))
			}
		})
	}
}

func TestFiltersAndFieldMask(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "export.yaml")
	writeConfig(t, cfgPath, `
flowLogs:
  - name: drops
    filePath: `+dir+`/drops.json
    includeFilters:
      - verdict: [DROPPED]
    excludeFilters:
      - source_namespace: [infra]
  - name: masked
    filePath: `+dir+`/masked.json
    fieldMask: [verdict, source.workload, l4.tcp.destination_port]
`)
	e := New(0, discard())
	e.Start()
	defer e.Stop()
	w := NewWatcher(cfgPath, e, time.Hour, discard())
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	fs := flows(500)
	for _, f := range fs {
		e.Observe(f)
	}
	waitWritten(t, e, "masked", uint64(len(fs)))
	match, _ := filters.Compile([]*flow.FlowFilter{{Verdict: []flow.Verdict{flow.Verdict_DROPPED}}}, []*flow.FlowFilter{{SourceNamespace: []string{"infra"}}})
	var want []uint64
	for _, f := range fs {
		if match(f) {
			want = append(want, f.Id)
		}
	}
	waitWritten(t, e, "drops", uint64(len(want)))
	var got []uint64
	for _, r := range readLines(t, filepath.Join(dir, "drops.json")) {
		got = append(got, r.GetFlow().GetId())
		if r.GetNodeName() != "vm" || r.GetTime() == nil {
			t.Errorf("line without node or time: %v", r)
		}
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("drops.json holds %d flows, want the %d dropped ones outside infra", len(got), len(want))
	}

	raw, err := os.ReadFile(filepath.Join(dir, "masked.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, line := range splitLines(raw) {
		lines++
		var v struct {
			Flow map[string]json.RawMessage `json:"flow"`
		}
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatal(err)
		}
		for k := range v.Flow {
			if k != "verdict" && k != "source" && k != "l4" {
				t.Fatalf("masked line has flow.%s: %s", k, line)
			}
		}
		var src map[string]any
		json.Unmarshal(v.Flow["source"], &src)
		if len(src) != 1 || src["workload"] == nil {
			t.Fatalf("masked source %v, want only workload: %s", src, line)
		}
	}
	if lines != len(fs) {
		t.Errorf("masked.json: %d lines, want %d", lines, len(fs))
	}
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := slices.Index(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		b = b[min(i+1, len(b)):]
	}
	return out
}

// TestReconfigureWithoutRestart: a change of the file takes effect between
// two flows; the log that stays keeps its file.
func TestReconfigureWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "export.yaml")
	writeConfig(t, cfgPath, "flowLogs:\n  - name: a\n    filePath: "+dir+"/a.json\n")
	e := New(0, discard())
	e.Start()
	defer e.Stop()
	w := NewWatcher(cfgPath, e, 10*time.Millisecond, discard())
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	w.Start()
	defer w.Stop()
	fs := flows(200)
	for _, f := range fs[:100] {
		e.Observe(f)
	}
	waitWritten(t, e, "a", 100)

	// a now takes drops only, b appears; picked up by polling.
	writeConfig(t, cfgPath, "flowLogs:\n  - name: a\n    filePath: "+dir+"/a.json\n    includeFilters: [{verdict: [DROPPED]}]\n  - name: b\n    filePath: "+dir+"/b.json\n")
	bump(t, cfgPath)
	waitFor(t, func() bool { _, ok := e.Stats()["b"]; return ok })
	for _, f := range fs[100:] {
		e.Observe(f)
	}
	waitWritten(t, e, "b", 100)
	drops := 0
	for _, f := range fs[100:] {
		if f.Verdict == flow.Verdict_DROPPED {
			drops++
		}
	}
	waitWritten(t, e, "a", uint64(100+drops))
	if got := len(readLines(t, filepath.Join(dir, "a.json"))); got != 100+drops {
		t.Errorf("a.json: %d lines, want the first 100 and then %d drops", got, drops)
	}

	// Off: no flow logs, files closed.
	writeConfig(t, cfgPath, "flowLogs: []\n")
	bump(t, cfgPath)
	waitFor(t, func() bool { return len(e.Stats()) == 0 })
	if reloads, failures, ok := w.ReloadStats(); reloads != 3 || failures != 0 || !ok {
		t.Errorf("reloads %d, failures %d, last ok %v: want 3 applied", reloads, failures, ok)
	}
}

func TestBadConfigKeepsTheOld(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "export.yaml")
	writeConfig(t, cfgPath, "flowLogs:\n  - name: a\n    filePath: "+dir+"/a.json\n")
	e := New(0, discard())
	e.Start()
	defer e.Stop()
	w := NewWatcher(cfgPath, e, time.Hour, discard())
	if err := w.Load(); err != nil {
		t.Fatal(err)
	}
	w.Start()
	defer w.Stop()
	for _, bad := range []string{
		"flowLogs:\n  - name: a\n    filePath: " + dir + "/a.json\n    includeFilters: [{verdict: [MAYBE]}]\n",
		// Parses, but its file cannot be opened: refused whole too.
		"flowLogs:\n  - name: a\n    filePath: " + dir + "/a.json\n  - name: b\n    filePath: /proc/loupe/b.json\n",
	} {
		writeConfig(t, cfgPath, bad)
		_, before, _ := w.ReloadStats()
		w.Reload() // as SIGHUP does
		waitFor(t, func() bool { _, f, _ := w.ReloadStats(); return f == before+1 })
		if _, _, ok := w.ReloadStats(); ok {
			t.Error("last reload reported successful")
		}
	}
	fs := flows(50)
	for _, f := range fs {
		e.Observe(f)
	}
	waitWritten(t, e, "a", 50)
	if got := len(e.Stats()); got != 1 {
		t.Errorf("%d flow logs, want the old one", got)
	}
	writeConfig(t, cfgPath, "flowLogs: [{name: a}]\n")
	if err := NewWatcher(cfgPath, e, 0, discard()).Load(); err == nil {
		t.Error("Load of a bad file succeeded")
	}
}

// TestQueueFullIsReported: drops are counted and written into the file as
// a lost_events line before the flows that follow.
func TestQueueFullIsReported(t *testing.T) {
	path := tempPath(t, "flows.json")
	e := New(4, discard())
	if err := e.swap(&Config{FlowLogs: []FlowLog{{Name: "all", FilePath: path}}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range flows(10) { // nothing reads yet: 4 fit
		e.Observe(f)
	}
	e.Start()
	e.Stop()
	lines := readLines(t, path)
	if e.Dropped() != 6 || len(lines) != 5 || lines[0].GetLostEvents().GetNumEventsLost() != 6 {
		t.Errorf("dropped %d, lines %v: want 6 dropped, a lost_events line of 6, then 4 flows", e.Dropped(), lines)
	}
}

// bump makes the file's modification time differ from the loaded one even
// on filesystems with coarse timestamps.
func bump(t *testing.T, path string) {
	t.Helper()
	future := time.Now().Add(time.Duration(time.Now().UnixNano()%1000+1) * time.Second)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
