package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loupe-dev/loupe/api/flow"
)

// parseUIFilter reads the UI's free-text filter: the filter flags of
// loupe observe written as words, so both speak one language and share one
// parser (buildFilters):
//
//	from:label=app=frontend   --from-label app=frontend
//	to:port=5432              --to-port 5432
//	workload=shop/db          --workload shop/db
//	verdict=DROPPED           --verdict DROPPED
//	http-status=5+            --http-status 5+
//	!protocol=udp             --not --protocol udp
//	from:label="tier in (web,api)"   quotes keep spaces
//
// key:value is accepted for key=value.
func parseUIFilter(text string) (allow, deny []*flow.FlowFilter, err error) {
	words, err := splitFilterWords(text)
	if err != nil {
		return nil, nil, err
	}
	var args []filterArg
	for _, w := range words {
		if neg, ok := strings.CutPrefix(w, "!"); ok {
			args = append(args, filterArg{name: "not"})
			w = neg
		}
		side := ""
		for _, s := range []string{"from:", "to:"} {
			if rest, ok := strings.CutPrefix(w, s); ok {
				side, w = strings.TrimSuffix(s, ":")+"-", rest
			}
		}
		i := strings.IndexAny(w, "=:")
		if i <= 0 {
			return nil, nil, fmt.Errorf("%q: want key=value, as in from:label=app=frontend, verdict=DROPPED or http-status=5+", w)
		}
		args = append(args, filterArg{name: side + strings.ToLower(w[:i]), value: w[i+1:]})
	}
	allow, deny, err = buildFilters(args)
	if err != nil {
		// The flags' messages name "--flag"; the UI user typed "flag=".
		return nil, nil, errors.New(strings.NewReplacer("--", "", "filter flag", "filter key").Replace(err.Error()))
	}
	return allow, deny, nil
}

// splitFilterWords splits on spaces outside double quotes and removes the
// quotes.
func splitFilterWords(text string) ([]string, error) {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range text {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t' || r == '\n') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
