package labels

import "testing"

func TestSelectorMatches(t *testing.T) {
	set := Set{"app=frontend", "loupe.namespace=shop", "tier=web"}
	cases := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=frontend", true},
		{"app==frontend", true},
		{"app=db", false},
		{"app!=db", true},
		{"app in (db, frontend)", true},
		{"app notin (db,frontend)", false},
		{"tier", true},
		{"!tier", false},
		{"!owner", true},
		{"app=frontend,tier=web", true},
		{"app=frontend,tier=db", false},
		{"loupe.namespace=shop", true},
	}
	for _, c := range cases {
		s, err := ParseSelector(c.sel)
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", c.sel, err)
		}
		if got := s.Matches(set); got != c.want {
			t.Errorf("%q matches %v = %v, want %v", c.sel, set, got, c.want)
		}
	}
}

func TestSelectorErrors(t *testing.T) {
	for _, sel := range []string{"app in (a", "app=", "=x", "app=a,,b=c", "app in a", "a b c", "app=x y", "-bad=1"} {
		if sel == "app=" {
			continue // an empty value is valid in Kubernetes
		}
		if _, err := ParseSelector(sel); err == nil {
			t.Errorf("ParseSelector(%q) accepted", sel)
		}
	}
}

func TestFromMapValidates(t *testing.T) {
	if _, err := FromMap(map[string]string{"app": "ok", "bad key": "x"}); err == nil {
		t.Error("a key with a space was accepted")
	}
	s, err := FromMap(map[string]string{"b": "2", "a": "1"})
	if err != nil || s.String() != "a=1,b=2" {
		t.Errorf("FromMap = %v, %v; want sorted a=1,b=2", s, err)
	}
}

// FuzzParseSelector: any text parses or fails, never panics, and what
// parses can be matched.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"app=a", "app in (a,b)", "!x", "a,b!=c", "app notin ()", "(((", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		_ = sel.Matches(Set{"app=a", "b=c"})
	})
}

func TestRequirements(t *testing.T) {
	sel, err := ParseSelector("app=a, tier in (x,y), !owner, zone, b!=c, d notin (e)")
	if err != nil {
		t.Fatal(err)
	}
	got := sel.Requirements()
	want := []Requirement{
		{"app", Equals, []string{"a"}}, {"tier", In, []string{"x", "y"}}, {"owner", NotExists, nil},
		{"zone", Exists, nil}, {"b", NotEquals, []string{"c"}}, {"d", NotIn, []string{"e"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Operator != w.Operator || len(g.Values) != len(w.Values) {
			t.Fatalf("requirement %d: got %+v, want %+v", i, g, w)
		}
		for j := range w.Values {
			if g.Values[j] != w.Values[j] {
				t.Fatalf("requirement %d: got %+v, want %+v", i, g, w)
			}
		}
	}
	got[1].Values[0] = "changed"
	if sel.Requirements()[1].Values[0] != "x" {
		t.Error("Requirements shares its values with the selector")
	}
}
