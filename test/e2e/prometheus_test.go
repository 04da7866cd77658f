package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"
)

const prometheusBin = "/usr/bin/prometheus"

// prometheusProc is a real Prometheus server (Debian's package) with its
// own configuration and storage in the test's temporary directory.
type prometheusProc struct {
	addr string
	cmd  *exec.Cmd
	log  *testutil.SyncBuffer
	exit chan struct{}
}

// startPrometheus scrapes jobs (job name -> host:port targets) every
// second and evaluates the rules of ruleFile (if not empty) every second.
// It is killed when the test ends, failed or not.
func startPrometheus(t testing.TB, jobs map[string][]string, ruleFile string) *prometheusProc {
	t.Helper()
	if _, err := os.Stat(prometheusBin); err != nil {
		t.Fatalf("prometheus is not installed (make deps installs Debian's package): %v", err)
	}
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
	if ruleFile != "" {
		fmt.Fprintf(&cfg, "rule_files: ['%s']\n", ruleFile)
	}
	cfg.WriteString("scrape_configs:\n")
	for job, targets := range jobs {
		fmt.Fprintf(&cfg, "  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n", job, strings.Join(targets, "', '"))
	}
	file := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &prometheusProc{addr: freeLoopbackAddr(t), log: &testutil.SyncBuffer{}, exit: make(chan struct{})}
	p.cmd = exec.Command(prometheusBin, "--config.file="+file, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+p.addr, "--enable-feature=exemplar-storage")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exit) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exit
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exit:
			t.Fatalf("prometheus exited: %s", p.log)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not become ready: %v\n%s", err, p.log)
		}
	}
}

// queryResult is the part of /api/v1/query's answer the test reads.
type queryResult struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	} `json:"data"`
}

// query evaluates expr now; an invalid expression is an error.
func (p *prometheusProc) query(expr string) (queryResult, error) {
	var r queryResult
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?" + url.Values{"query": {expr}}.Encode())
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("decode %q: %w", body, err)
	}
	if r.Status != "success" {
		return r, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	return r, nil
}

// sample is one element of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// vector evaluates expr now and returns its samples.
func (p *prometheusProc) vector(expr string) ([]sample, error) {
	res, err := p.query(expr)
	if err != nil {
		return nil, err
	}
	if res.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: a %s, want a vector", expr, res.Data.ResultType)
	}
	out := make([]sample, 0, len(res.Data.Result))
	for _, raw := range res.Data.Result {
		var s sample
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("decode sample: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// firing returns the alerts that are firing now, by name.
func (p *prometheusProc) firing() (map[string]bool, error) {
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := p.getJSON("/api/v1/alerts", &r); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, a := range r.Data.Alerts {
		if a.State == "firing" {
			out[a.Labels["alertname"]] = true
		}
	}
	return out, nil
}

// exemplars returns the trace ids of the exemplars of expr's series over
// the last window.
func (p *prometheusProc) exemplars(expr string, window time.Duration) ([]string, error) {
	var r struct {
		Data []struct {
			Exemplars []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	now := time.Now()
	q := url.Values{"query": {expr}, "start": {fmt.Sprint(now.Add(-window).Unix())}, "end": {fmt.Sprint(now.Unix())}}
	if err := p.getJSON("/api/v1/query_exemplars?"+q.Encode(), &r); err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range r.Data {
		for _, e := range s.Exemplars {
			ids = append(ids, e.Labels["trace_id"])
		}
	}
	return ids, nil
}

func (p *prometheusProc) getJSON(path string, v any) error {
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// readPromQL reads the expressions of a file, one a line, '#' comments.
func readPromQL(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var exprs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			exprs = append(exprs, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return exprs
}

// scrape reads a metrics endpoint in Prometheus' text format.
func scrape(t testing.TB, addr string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}
