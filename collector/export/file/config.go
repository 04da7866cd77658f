package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"gopkg.in/yaml.v3"

	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/collector/filters"
	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// Defaults of a flow log's rotation.
const (
	DefaultMaxSizeMB  = 10
	DefaultMaxBackups = 5
)

// Config is the exporter's whole configuration: the files flows go to.
type Config struct {
	FlowLogs []FlowLog
}

// FlowLog is one file and what goes into it.
type FlowLog struct {
	Name     string
	FilePath string
	// Allow and Deny are the filters: a flow is written if any allow filter
	// matches (or there are none) and no deny filter does.
	Allow, Deny []*flow.FlowFilter
	// FieldMask keeps only these paths of each flow ("source.namespace",
	// "l7.http.code"); empty keeps every field.
	FieldMask []string
	// MaxSize is the size in bytes at which the file is rotated (0: never).
	MaxSize int64
	// MaxBackups is how many rotated files are kept: name.1 (newest) to
	// name.N.
	MaxBackups int
	// Compress gzips rotated files (name.1.gz).
	Compress bool
}

// ConfigError refuses a configuration file: every problem, with its line.
type ConfigError struct {
	File     string
	Problems []yamlpos.Problem
}

// ErrInvalidConfig matches every *ConfigError.
var ErrInvalidConfig = errors.New("invalid export configuration")

func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

func (e *ConfigError) Error() string {
	ps := append([]yamlpos.Problem(nil), e.Problems...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	lines := make([]string, len(ps))
	for i, p := range ps {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Msg)
		} else {
			lines[i] = fmt.Sprintf("%s: %s", e.File, p.Msg)
		}
	}
	return strings.Join(lines, "\n")
}

// configSpec is the YAML as written.
type configSpec struct {
	FlowLogs []yamlpos.Value[flowLogSpec] `yaml:"flowLogs"`
}

type flowLogSpec struct {
	Name           yamlpos.Value[string]           `yaml:"name"`
	FilePath       yamlpos.Value[string]           `yaml:"filePath"`
	IncludeFilters []yamlpos.Value[map[string]any] `yaml:"includeFilters"`
	ExcludeFilters []yamlpos.Value[map[string]any] `yaml:"excludeFilters"`
	FieldMask      yamlpos.Value[[]string]         `yaml:"fieldMask"`
	MaxSizeMB      yamlpos.Value[int]              `yaml:"maxSizeMB"`
	MaxBackups     yamlpos.Value[int]              `yaml:"maxBackups"`
	Compress       bool                            `yaml:"compress"`
}

// ParseConfig reads a configuration; file names it in errors. An empty
// document is a configuration without flow logs (export off).
func ParseConfig(file string, data []byte) (*Config, error) {
	fail := func(ps ...yamlpos.Problem) error { return &ConfigError{File: file, Problems: ps} }
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{}, nil
		}
		return nil, fail(yamlpos.FromError(err)...)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(yamlpos.Problem{Line: doc.Line, Msg: "want a mapping with flowLogs: a list of {name, filePath, includeFilters, excludeFilters, fieldMask, maxSizeMB, maxBackups, compress}"})
	}
	c := yamlpos.Checker{TooLargeMsg: "configuration is too large or expands aliases too much"}
	c.Check(doc.Content[0], reflect.TypeFor[configSpec](), "")
	if c.TooLarge() {
		return nil, fail(c.Problems...)
	}
	var spec configSpec
	if err := doc.Decode(&spec); err != nil {
		return nil, fail(yamlpos.FromError(err)...)
	}
	problems := c.Problems
	cfg := &Config{}
	names, paths := map[string]bool{}, map[string]bool{}
	for i, v := range spec.FlowLogs {
		fl, ps := buildFlowLog(v.V, fmt.Sprintf("flowLogs[%d]", i), v.Line)
		problems = append(problems, ps...)
		if fl.Name != "" && names[fl.Name] {
			problems = append(problems, yamlpos.Problem{Line: v.V.Name.Line, Msg: fmt.Sprintf("flowLogs[%d].name %q: used twice; names must be unique", i, fl.Name)})
		}
		if fl.FilePath != "" && paths[fl.FilePath] {
			problems = append(problems, yamlpos.Problem{Line: v.V.FilePath.Line, Msg: fmt.Sprintf("flowLogs[%d].filePath %s: used twice; two logs cannot share a file", i, fl.FilePath)})
		}
		names[fl.Name], paths[fl.FilePath] = true, true
		cfg.FlowLogs = append(cfg.FlowLogs, fl)
	}
	if len(problems) > 0 {
		return nil, fail(problems...)
	}
	return cfg, nil
}

func buildFlowLog(s flowLogSpec, what string, line int) (FlowLog, []yamlpos.Problem) {
	var ps []yamlpos.Problem
	bad := func(l int, format string, args ...any) {
		ps = append(ps, yamlpos.Problem{Line: l, Msg: fmt.Sprintf(format, args...)})
	}
	fl := FlowLog{Name: s.Name.V, FilePath: s.FilePath.V, FieldMask: s.FieldMask.V, Compress: s.Compress,
		MaxSize: DefaultMaxSizeMB << 20, MaxBackups: DefaultMaxBackups}
	if fl.Name == "" {
		bad(s.Name.LineOr(line), "%s.name: missing; every flow log needs a name", what)
	}
	switch {
	case fl.FilePath == "":
		bad(s.FilePath.LineOr(line), "%s.filePath: missing; say where the flows go (/var/log/loupe/flows.json)", what)
	case !filepath.IsAbs(fl.FilePath):
		bad(s.FilePath.Line, "%s.filePath %q: want an absolute path", what, fl.FilePath)
	default:
		fl.FilePath = filepath.Clean(fl.FilePath)
	}
	if s.MaxSizeMB.Set() {
		if s.MaxSizeMB.V < 0 {
			bad(s.MaxSizeMB.Line, "%s.maxSizeMB %d: want 0 (never rotate) or more", what, s.MaxSizeMB.V)
		}
		fl.MaxSize = int64(s.MaxSizeMB.V) << 20
	}
	if s.MaxBackups.Set() {
		if s.MaxBackups.V < 0 || s.MaxBackups.V > 1000 {
			bad(s.MaxBackups.Line, "%s.maxBackups %d: want 0 to 1000", what, s.MaxBackups.V)
		}
		fl.MaxBackups = s.MaxBackups.V
	}
	fl.Allow = buildFilters(s.IncludeFilters, what+".includeFilters", bad)
	fl.Deny = buildFilters(s.ExcludeFilters, what+".excludeFilters", bad)
	if len(fl.FieldMask) > 0 {
		if _, err := fieldmaskpb.New(&flow.Flow{}, fl.FieldMask...); err != nil {
			bad(s.FieldMask.Line, "%s.fieldMask: %v; paths are the flow's JSON fields in snake_case, dotted: time, verdict, source.namespace, l7.http.code", what, err)
		}
	}
	return fl, ps
}

// buildFilters turns the YAML filters into FlowFilters, as protojson
// reads them: field names as in api/flow/flow.proto (source_namespace, or
// sourceNamespace), enums by name (verdict: [DROPPED]).
func buildFilters(vs []yamlpos.Value[map[string]any], what string, bad func(int, string, ...any)) []*flow.FlowFilter {
	var out []*flow.FlowFilter
	for i, v := range vs {
		b, err := json.Marshal(v.V)
		if err != nil {
			bad(v.Line, "%s[%d]: %v", what, i, err)
			continue
		}
		var ff flow.FlowFilter
		if err := protojson.Unmarshal(b, &ff); err != nil {
			bad(v.Line, "%s[%d]: %s", what, i, protojsonMessage(err))
			continue
		}
		// Values are checked one filter at a time, so that each problem
		// gets its filter's line.
		if _, err := filters.Compile([]*flow.FlowFilter{&ff}, nil); err != nil {
			for _, msg := range strings.Split(err.Error(), "\n") {
				bad(v.Line, "%s[%d]: %s", what, i, strings.TrimPrefix(msg, "allow[0]: "))
			}
			continue
		}
		out = append(out, &ff)
	}
	return out
}

// protojsonMessage drops protojson's "proto: (line 1:2): " prefix, which
// points into the JSON loupe made, not into the user's file.
func protojsonMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "proto:")
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "(line ") {
		if _, rest, ok := strings.Cut(msg, "): "); ok {
			msg = rest
		}
	}
	return msg
}
