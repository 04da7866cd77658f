package file

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/loupe-dev/loupe/api/flow"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig("export.yaml", []byte(`
flowLogs:
  - name: drops
    filePath: /var/log/loupe/drops.json
    includeFilters:
      - verdict: [DROPPED]
        source_namespace: [shop]
      - destinationWorkload: [db]
    excludeFilters:
      - source_label: ["app=metrics"]
    fieldMask: [time, verdict, drop_reason, source.workload]
    maxSizeMB: 1
    maxBackups: 3
    compress: true
  - name: all
    filePath: /var/log/loupe/all.json
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{FlowLogs: []FlowLog{{
		Name: "drops", FilePath: "/var/log/loupe/drops.json",
		Allow: []*flow.FlowFilter{
			{Verdict: []flow.Verdict{flow.Verdict_DROPPED}, SourceNamespace: []string{"shop"}},
			{DestinationWorkload: []string{"db"}},
		},
		Deny:      []*flow.FlowFilter{{SourceLabel: []string{"app=metrics"}}},
		FieldMask: []string{"time", "verdict", "drop_reason", "source.workload"},
		MaxSize:   1 << 20, MaxBackups: 3, Compress: true,
	}, {
		Name: "all", FilePath: "/var/log/loupe/all.json", MaxSize: DefaultMaxSizeMB << 20, MaxBackups: DefaultMaxBackups,
	}}}
	if d := cmp.Diff(cfg, want, protocmp.Transform()); d != "" {
		t.Errorf("config (-got +want):\n%s", d)
	}
	if cfg, err := ParseConfig("empty.yaml", nil); err != nil || len(cfg.FlowLogs) != 0 {
		t.Errorf("empty file: %v, %v; want no flow logs", cfg, err)
	}
}

func TestParseConfigRefuses(t *testing.T) {
	const head = "flowLogs:\n  - name: a\n    filePath: /tmp/a.json\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"syntax", "flowLogs: [\n", "x.yaml:2: "},
		{"unknown key", head + "    maxSize: 3\n", `x.yaml:4: `},
		{"unknown filter field", head + "    includeFilters:\n      - source_pod: [x]\n", `x.yaml:5: flowLogs[0].includeFilters[0]: unknown field "source_pod"`},
		{"bad enum", head + "    includeFilters:\n      - verdict: [SOMETIMES]\n", `x.yaml:5: flowLogs[0].includeFilters[0]: invalid value for enum`},
		{"bad filter value", head + "    excludeFilters:\n      - source_ip: [10.0.0.0/33]\n", `x.yaml:5: flowLogs[0].excludeFilters[0]: source_ip "10.0.0.0/33": bad CIDR`},
		{"bad mask", head + "    fieldMask: [source.pod]\n", `x.yaml:4: flowLogs[0].fieldMask: `},
		{"relative path", "flowLogs:\n  - name: a\n    filePath: a.json\n", `x.yaml:3: flowLogs[0].filePath "a.json": want an absolute path`},
		{"no path", "flowLogs:\n  - name: a\n", `x.yaml:2: flowLogs[0].filePath: missing`},
		{"duplicate name", head + "  - name: a\n    filePath: /tmp/b.json\n", `x.yaml:4: flowLogs[1].name "a": used twice`},
		{"negative size", head + "    maxSizeMB: -1\n", `x.yaml:4: flowLogs[0].maxSizeMB -1`},
		{"not a mapping", "- a\n", "x.yaml:1: want a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("x.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
