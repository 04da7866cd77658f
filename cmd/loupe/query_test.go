package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/query/httpapi"
	"github.com/loupe-dev/loupe/query/incident"
	"github.com/loupe-dev/loupe/query/incident/incidenttest"
)

// runIncident runs `loupe query ARGS` and returns its output and error.
func runIncident(args ...string) (stdout, stderr string, err error) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"query"}, args...))
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestIncidentQueryUsageErrors(t *testing.T) {
	kinds := strings.Join(incident.KindNames(), ", ")
	for _, c := range []struct {
		args []string
		want string // in the message
	}{
		{nil, kinds},
		{[]string{"drops", "http"}, kinds},
		{[]string{"flows"}, `query kind "flows": want one of ` + kinds},
		{[]string{"drops", "--since", "yesterdayish"}, `--since "yesterdayish"`},
		{[]string{"drops", "--until", "noon"}, `--until "noon"`},
		{[]string{"drops", "--since", "1h", "--until", "2h"}, `--since "1h" is not before --until "2h"`},
		{[]string{"top-talkers", "--by", "workload; DROP TABLE flows"}, `--by "workload; DROP TABLE flows": query top-talkers takes --by workload, namespace, pair, port`},
		{[]string{"drops", "--by", "pair"}, `--by "pair"`},
		{[]string{"dns-errors", "--by", "query"}, "takes no --by"},
		{[]string{"drops", "--sort", "bytes"}, `--sort "bytes"`},
		{[]string{"drops", "--limit", "-1"}, "--limit -1"},
		{[]string{"drops", "--limit", "10001"}, "--limit 10001"},
		{[]string{"drops", "-o", "yaml"}, `--output "yaml"`},
		{[]string{"drops", "--timeout", "0s"}, "--timeout"},
		{[]string{"drops", "--server", "10.1.2.3:4246"}, "plaintext is only allowed to loopback"},
		{[]string{"drops", "--server", "ftp://127.0.0.1:1"}, `--server "ftp://127.0.0.1:1"`},
		{[]string{"drops", "--bogus"}, "--bogus"},
	} {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--server") {
			args = append(args[:len(args):len(args)], "--server", "127.0.0.1:1")
		}
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, _, err := runIncident(args...)
			if !isUsage(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want a usage error with %q", err, c.want)
			}
			// Nothing listens on port 1: bad input is refused before any
			// connection is tried, with exit code 2.
			if code := run(context.Background(), append([]string{"query"}, args...)); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
		})
	}
}

func TestIncidentQueryUnreachableRelay(t *testing.T) {
	_, _, err := runIncident("drops", "--server", "127.0.0.1:1")
	if err == nil || isUsage(err) || !strings.Contains(err.Error(), "cannot reach the relay at 127.0.0.1:1") {
		t.Errorf("error %v, want a runtime error naming the relay", err)
	}
}

// TestIncidentQueryExamples runs the examples against the HTTP API
// on a real ClickHouse holding the last ten minutes of generated flows.
func TestIncidentQueryExamples(t *testing.T) {
	fx := incidenttest.New(t, 30000, time.Now().Add(-7*time.Minute).Truncate(time.Second))
	srv := httptest.NewServer(httpapi.New(fx.Store, nil))
	defer srv.Close()
	server := strings.TrimPrefix(srv.URL, "http://")

	for _, c := range []struct {
		args   []string
		header string
	}{
		{[]string{"service-map", "--since", "1h", "-o", "table"}, "SOURCE DESTINATION PROTOCOL PORT FLOWS BYTES PACKETS FORWARDED DROPPED AUDIT ERROR"},
		{[]string{"top-talkers", "--since", "24h", "--by", "workload"}, "WORKLOAD BYTES FLOWS PACKETS DROPPED"},
		{[]string{"top-talkers", "--since", "24h", "--by", "pair", "--sort", "flows"}, "SOURCE DESTINATION BYTES FLOWS PACKETS DROPPED"},
		{[]string{"drops", "--since", "6h", "--by", "reason"}, "REASON FLOWS SHARE"},
		{[]string{"drops", "--since", "6h", "--by", "port", "--namespace", "o'brien"}, "PROTOCOL PORT FLOWS SHARE"},
		{[]string{"dns-errors", "--since", "1h"}, "QUERY RCODE ERRORS RESPONSES RATE"},
		{[]string{"http", "--since", "1h", "--by", "service"}, "SERVICE REQUESTS RESPONSES 4XX 5XX P50 P95 P99"},
		{[]string{"http", "--since", "1h", "--by", "code"}, "CODE RESPONSES P50 P95 P99"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, _, err := runIncident(append(c.args, "--server", server)...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if got := strings.Join(strings.Fields(lines[0]), " "); got != c.header {
				t.Fatalf("header %q, want %q", got, c.header)
			}
			if len(lines) < 2 {
				t.Fatalf("no rows:\n%s", out)
			}
			checkAligned(t, lines)
		})
	}

	t.Run("json", func(t *testing.T) {
		out, _, err := runIncident("http", "--since", "1h", "--by", "method", "-o", "json", "--server", server)
		if err != nil {
			t.Fatal(err)
		}
		var h incident.HTTPStats
		if err := json.Unmarshal([]byte(out), &h); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if h.By != "method" || len(h.Rows) != 3 {
			t.Errorf("by %q, %d rows, want method and GET, POST, DELETE", h.By, len(h.Rows))
		}
	})

	t.Run("nothing found", func(t *testing.T) {
		out, errOut, err := runIncident("drops", "--namespace", "x' OR 1=1 --", "--server", server)
		if err != nil || out != "" || !strings.HasPrefix(errOut, "No dropped flows between") {
			t.Errorf("err %v, stdout %q, stderr %q", err, out, errOut)
		}
	})

	t.Run("limit", func(t *testing.T) {
		out, errOut, err := runIncident("service-map", "--limit", "3", "--server", server)
		if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(errOut, "raise --limit") {
			t.Errorf("err %v, stdout %q, stderr %q", err, out, errOut)
		}
	})

	t.Run("refused by the server", func(t *testing.T) {
		_, _, err := runIncident("drops", "--namespace", strings.Repeat("n", 300), "--server", server)
		if !isUsage(err) || !strings.Contains(err.Error(), "refused the query: namespace") {
			t.Errorf("error %v, want a usage error with the server's reason", err)
		}
	})
}

// checkAligned checks that every cell starts where its header does.
func checkAligned(t *testing.T, lines []string) {
	t.Helper()
	var starts []int
	for i := 1; i < len(lines[0]); i++ {
		if lines[0][i-1] == ' ' && lines[0][i] != ' ' {
			starts = append(starts, i)
		}
	}
	for _, l := range lines[1:] {
		for _, s := range starts {
			if len(l) <= s || l[s-1] != ' ' || l[s] == ' ' {
				t.Fatalf("row not aligned on column %d:\n%s\n%s", s, lines[0], l)
			}
		}
	}
}
