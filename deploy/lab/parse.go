package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// maxTopologySize bounds what ParseTopology reads; a lab is a handful of
// workloads, so anything larger is a mistake (or an attack on the parser).
const maxTopologySize = 1 << 20

// The YAML shapes of a topology file. Positions are kept (node) so that
// validation can name the line of each problem.
type topologySpec struct {
	Name      string         `yaml:"name"`
	IPv4Pool  string         `yaml:"ipv4Pool"`
	IPv6Pool  string         `yaml:"ipv6Pool"`
	Workloads []workloadSpec `yaml:"workloads"`
	Traffic   []flowSpec     `yaml:"traffic"`
	node      *yaml.Node
}

type workloadSpec struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
	IPv4      string            `yaml:"ipv4"`
	IPv6      string            `yaml:"ipv6"`
	Serve     []serveSpec       `yaml:"serve"`
	External  bool              `yaml:"external"`
	Names     []string          `yaml:"names"`
	node      *yaml.Node
}

type serveSpec struct {
	Protocol string `yaml:"protocol"`
	Port     int    `yaml:"port"`
	node     *yaml.Node
}

type flowSpec struct {
	From     string  `yaml:"from"`
	To       string  `yaml:"to"`
	Protocol string  `yaml:"protocol"`
	Port     int     `yaml:"port"`
	Path     string  `yaml:"path"`
	Family   string  `yaml:"family"`
	Rate     float64 `yaml:"rate"`
	Query    string  `yaml:"query"`
	node     *yaml.Node
}

// The UnmarshalYAML methods only remember where each item is; unknown fields
// are found beforehand by a yamlpos.Checker, which sees the whole document.
func (s *topologySpec) UnmarshalYAML(n *yaml.Node) error {
	type plain topologySpec
	s.node = n
	return n.Decode((*plain)(s))
}

func (s *workloadSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain workloadSpec
	s.node = n
	return n.Decode((*plain)(s))
}

func (s *serveSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain serveSpec
	s.node = n
	return n.Decode((*plain)(s))
}

func (s *flowSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain flowSpec
	s.node = n
	return n.Decode((*plain)(s))
}

// ParseTopologyFile reads and validates a topology file.
func ParseTopologyFile(path string) (*Topology, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &TopologyError{File: path, Problems: []Problem{{Msg: fmt.Sprintf("read topology: %v", err)}}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTopologySize+1))
	if err != nil {
		return nil, &TopologyError{File: path, Problems: []Problem{{Msg: fmt.Sprintf("read topology: %v", err)}}}
	}
	return ParseTopology(filepath.Base(path), data)
}

// ParseTopology validates a topology document. file names it in errors. The
// result is complete (addresses allocated, names derived) or the error is a
// *TopologyError listing every problem found with its line.
func ParseTopology(file string, data []byte) (*Topology, error) {
	spec, unknown, err := decodeTopology(file, data)
	if err != nil {
		return nil, err
	}
	t, err := validate(file, spec)
	if len(unknown) == 0 {
		return t, err
	}
	// Unknown fields do not stop validation: one run reports everything.
	e := &TopologyError{File: file, Problems: unknown}
	var ve *TopologyError
	if errors.As(err, &ve) {
		e.Problems = append(e.Problems, ve.Problems...)
	}
	return nil, e
}

// decodeTopology decodes data, returning unknown fields as problems apart:
// they do not prevent validating the rest.
func decodeTopology(file string, data []byte) (*topologySpec, []Problem, error) {
	fail := func(line int, format string, a ...any) error {
		return &TopologyError{File: file, Problems: []Problem{{Line: line, Msg: fmt.Sprintf(format, a...)}}}
	}
	if len(data) > maxTopologySize {
		return nil, nil, fail(0, "topology is larger than %d bytes", maxTopologySize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fail(0, "topology is empty; see deploy/lab/demo.yaml for an example")
		}
		return nil, nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, fail(extra.Line, "a topology file holds one YAML document; remove the second one (after ---)")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fail(doc.Line, "topology must be a mapping with name, ipv4Pool, ipv6Pool, workloads and traffic")
	}
	c := yamlpos.Checker{TooLargeMsg: "topology is too large or expands aliases too much"}
	c.Check(doc.Content[0], reflect.TypeFor[topologySpec](), "")
	if c.TooLarge() {
		return nil, nil, &TopologyError{File: file, Problems: c.Problems}
	}
	var spec topologySpec
	if err := doc.Decode(&spec); err != nil {
		return nil, nil, yamlError(file, err)
	}
	return &spec, c.Problems, nil
}

// yamlError turns a yaml.v3 error into a TopologyError with one problem per
// message, so that syntax and type errors read like validation errors.
func yamlError(file string, err error) error {
	return &TopologyError{File: file, Problems: yamlpos.FromError(err)}
}
