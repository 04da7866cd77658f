package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestUIFilterIsTheCLILanguage: the UI's words give the filters the same
// flags give loupe observe.
func TestUIFilterIsTheCLILanguage(t *testing.T) {
	for _, tc := range []struct {
		text  string
		flags []string
	}{
		{"", nil},
		{"from:label=app=frontend", []string{"--from-label", "app=frontend"}},
		{"to:port=5432 verdict=DROPPED", []string{"--to-port", "5432", "--verdict", "DROPPED"}},
		{"workload=shop/db http-status=5+", []string{"--workload", "shop/db", "--http-status", "5+"}},
		{`from:label="tier in (web,api)" !protocol=udp`, []string{"--from-label", "tier in (web,api)", "--not", "--protocol", "udp"}},
		{"verdict:dropped  to:ip=10.0.0.0/8", []string{"--verdict", "dropped", "--to-ip", "10.0.0.0/8"}},
		{`http-header="x-user:<img src=x>"`, []string{"--http-header", "x-user:<img src=x>"}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			allow, deny, err := parseUIFilter(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			var args []filterArg
			fs := pflag.NewFlagSet("observe", pflag.ContinueOnError)
			addFilterFlags(fs, &args)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			wantAllow, wantDeny, err := buildFilters(args)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(allow, wantAllow, protocmp.Transform()); d != "" {
				t.Errorf("allow (-got +want):\n%s", d)
			}
			if d := cmp.Diff(deny, wantDeny, protocmp.Transform()); d != "" {
				t.Errorf("deny (-got +want):\n%s", d)
			}
		})
	}
}

func TestUIFilterErrors(t *testing.T) {
	for text, want := range map[string]string{
		"frontend":               "want key=value",
		"bogus=1":                "unknown filter key bogus",
		"verdict=MAYBE":          `verdict "MAYBE": want one of`,
		"to:ip=10.0.0.0/33":      `to-ip "10.0.0.0/33"`,
		`from:label="app=x`:      "unterminated quote",
		"!":                      "want key=value",
		"label=a from:label=b":   "cannot be combined",
		"to:port=99999":          "to-port",
		"http-path=(":            "http-path",
		"from:label=app=<script": "from-label",
	} {
		_, _, err := parseUIFilter(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", text, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "--") {
			t.Errorf("%q: %v speaks of flags", text, err)
		}
	}
}
