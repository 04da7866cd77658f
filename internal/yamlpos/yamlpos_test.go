package yamlpos

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

type item struct {
	Port Value[int] `yaml:"port"`
	Name string     `yaml:"name"`
}

type doc struct {
	Items []Value[item] `yaml:"items"`
	Note  Value[string] `yaml:"note"`
}

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}

func TestValueKeepsLines(t *testing.T) {
	root := parse(t, "items:\n  - port: 80\n    name: a\n  - name: b\nnote:\n")
	var d doc
	if err := root.Decode(&d); err != nil {
		t.Fatal(err)
	}
	got := []int{d.Items[0].Line, d.Items[0].V.Port.Line, d.Items[1].Line, d.Items[1].V.Port.Line, d.Note.Line}
	// The second item has no port and the note is null: line 0, not set.
	if diff := cmp.Diff(got, []int{2, 2, 4, 0, 0}); diff != "" {
		t.Errorf("lines (-got +want):\n%s", diff)
	}
	if d.Items[1].V.Port.Set() || d.Items[1].V.Port.LineOr(9) != 9 {
		t.Error("an absent value reports itself set")
	}
}

func TestCheckerFindsUnknownFieldsThroughValues(t *testing.T) {
	root := parse(t, "items:\n  - port: 80\n    nmae: a\nnotes: x\n")
	var c Checker
	c.Check(root, reflect.TypeFor[doc](), "")
	want := []Problem{
		{Line: 3, Msg: `unknown field "nmae" in items[0]; known fields are name, port`},
		{Line: 4, Msg: `unknown field "notes" in the top level; known fields are items, note`},
	}
	if diff := cmp.Diff(c.Problems, want); diff != "" {
		t.Errorf("problems (-got +want):\n%s", diff)
	}
}

func TestCheckerRefusesAliasBombs(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nitems: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	var d struct {
		A     []string     `yaml:"a"`
		B     [][]string   `yaml:"b"`
		Items [][][]string `yaml:"items"`
	}
	c := Checker{MaxNodes: 500}
	c.Check(parse(t, src), reflect.TypeOf(d), "")
	if !c.TooLarge() || len(c.Problems) != 1 || c.Problems[0].Msg != "document is too large or expands aliases too much" {
		t.Errorf("an alias bomb was walked to the end: %+v", c.Problems)
	}
}

func TestFromErrorLines(t *testing.T) {
	var v struct {
		A Value[int] `yaml:"a"`
		B Value[int] `yaml:"b"`
	}
	err := yaml.Unmarshal([]byte("a: x\nb: y\n"), &v)
	want := []Problem{
		{Line: 1, Msg: "cannot unmarshal !!str `x` into int"},
		{Line: 2, Msg: "cannot unmarshal !!str `y` into int"},
	}
	if diff := cmp.Diff(FromError(err), want); diff != "" {
		t.Errorf("type errors (-got +want):\n%s", diff)
	}
	// yaml.v3 reports parser errors a line early; the flow sequence that is
	// not closed starts on line 2.
	err = yaml.Unmarshal([]byte("a: 1\nb: [1, 2\n"), &v)
	if diff := cmp.Diff(FromError(err), []Problem{{Line: 2, Msg: "did not find expected ',' or ']'"}}); diff != "" {
		t.Errorf("syntax error (-got +want):\n%s", diff)
	}
}
