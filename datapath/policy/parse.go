package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loupe-dev/loupe/internal/yamlpos"
)

// maxFileSize bounds what one policy file may hold; thousands of policies
// fit, and anything larger is a mistake (or an attack on the parser).
const maxFileSize = 8 << 20

// The accepted kinds and the apiVersion each must carry.
const (
	apiLoupe = "loupe.dev/v1"
	apiK8s   = "networking.k8s.io/v1"
)

// ParseFiles reads and validates policy files; a directory stands for the
// *.yaml and *.yml files in it. Either every policy of every file is
// returned, or a *ParseError lists every problem in all of them.
func ParseFiles(paths ...string) ([]*Policy, error) {
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	var all []*Policy
	var list []Problem
	for _, f := range files {
		ps, probs := parseFile(f)
		all = append(all, ps...)
		list = append(list, probs...)
	}
	list = append(list, duplicates(all)...)
	if len(list) > 0 {
		return nil, &ParseError{Problems: list}
	}
	return all, nil
}

// expand replaces directories by the YAML files in them, sorted.
func expand(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, p) // a missing file is reported by parseFile
			continue
		}
		var found []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(p, pat))
			if err != nil {
				return nil, fmt.Errorf("list policies in %s: %w", p, err)
			}
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, &ParseError{Problems: []Problem{{File: p, Msg: "directory holds no *.yaml or *.yml policy files"}}}
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

func parseFile(path string) ([]*Policy, []Problem) {
	fail := func(format string, a ...any) []Problem {
		return []Problem{{File: path, Msg: fmt.Sprintf(format, a...)}}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("read policies: %v", errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fail("read policies: %v", err)
	}
	return parse(path, data)
}

// Parse validates the policy documents in data; file names it in problems.
// Either every policy is returned or a *ParseError lists every problem.
func Parse(file string, data []byte) ([]*Policy, error) {
	ps, list := parse(file, data)
	list = append(list, duplicates(ps)...)
	if len(list) > 0 {
		return nil, &ParseError{Problems: list}
	}
	return ps, nil
}

func parse(file string, data []byte) ([]*Policy, []Problem) {
	ps := &problems{file: file}
	if len(data) > maxFileSize {
		ps.addf(0, "file is larger than %d bytes", maxFileSize)
		return nil, ps.list
	}
	var out []*Policy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The stream cannot be read past a syntax error.
			for _, p := range yamlpos.FromError(err) {
				ps.addf(p.Line, "%s", p.Msg)
			}
			break
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue // an empty document, as after a trailing ---
		}
		if p := parseDocument(ps, doc.Content[0]); p != nil {
			p.File = file
			out = append(out, p)
		}
	}
	if len(out) == 0 && len(ps.list) == 0 {
		ps.addf(0, "no policies in file; want documents of kind LoupeNetworkPolicy or NetworkPolicy")
	}
	if len(ps.list) > 0 {
		return nil, ps.sorted()
	}
	return out, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// parseDocument validates one document, adding its problems to ps; the
// policy is nil when there were any.
func parseDocument(ps *problems, root *yaml.Node) *Policy {
	before := len(ps.list)
	if root.Kind != yaml.MappingNode {
		ps.addf(root.Line, "a policy document is a mapping with apiVersion, kind, metadata and spec")
		return nil
	}
	var h header
	if err := root.Decode(&h); err != nil {
		addYAML(ps, err)
		return nil
	}
	var b *builder
	var p *Policy
	switch h.Kind.V {
	case "LoupeNetworkPolicy":
		var doc nativeDoc
		if !decode(ps, root, &doc) {
			return nil
		}
		b = &builder{ps: ps}
		b.apiVersion(h, apiLoupe, root.Line)
		p = b.native(&doc, root.Line)
	case "NetworkPolicy":
		var doc k8sDoc
		if !decode(ps, root, &doc) {
			return nil
		}
		b = &builder{ps: ps}
		b.apiVersion(h, apiK8s, root.Line)
		p = b.kubernetes(&doc, root.Line)
	case "":
		ps.addf(h.Kind.LineOr(root.Line), "kind is missing; want %s", kinds)
		return nil
	case "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy":
		ps.addf(h.Kind.Line, "kind %s is not accepted as is; write apiVersion: %s and kind: LoupeNetworkPolicy, the spec vocabulary is the same", h.Kind.V, apiLoupe)
		return nil
	default:
		ps.addf(h.Kind.Line, "unknown kind %q; want %s", h.Kind.V, kinds)
		return nil
	}
	if len(ps.list) > before {
		return nil
	}
	return p
}

const kinds = "LoupeNetworkPolicy (apiVersion " + apiLoupe + ") or NetworkPolicy (apiVersion " + apiK8s + ")"

// decode checks for unknown fields, then decodes. Unknown fields do not stop
// the validation of the rest: one run reports every problem. It returns false
// when the document could not be decoded at all.
func decode(ps *problems, root *yaml.Node, out any) bool {
	c := yamlpos.Checker{}
	c.Check(root, reflect.TypeOf(out), "")
	for _, p := range c.Problems {
		ps.addf(p.Line, "%s", p.Msg)
	}
	if c.TooLarge() {
		return false
	}
	if err := root.Decode(out); err != nil {
		addYAML(ps, err)
		return false
	}
	return true
}

func addYAML(ps *problems, err error) {
	for _, p := range yamlpos.FromError(err) {
		ps.addf(p.Line, "%s", strings.TrimSpace(p.Msg))
	}
}

// duplicates finds policies with the same key: the second would silently
// replace the first when applied.
func duplicates(ps []*Policy) []Problem {
	seen := map[string]*Policy{}
	var out []Problem
	for _, p := range ps {
		first, ok := seen[p.Key()]
		if !ok {
			seen[p.Key()] = p
			continue
		}
		where := fmt.Sprintf("line %d", first.Line)
		if first.File != p.File {
			where = fmt.Sprintf("%s:%d", first.File, first.Line)
		}
		out = append(out, Problem{File: p.File, Line: p.Line, Msg: fmt.Sprintf("duplicate policy %s: already defined at %s", p.Key(), where)})
	}
	return out
}
