package yamlpos

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a YAML file. Line is 1-based; 0 means the
// problem is about the file as a whole.
type Problem struct {
	Line int
	Msg  string
}

// lineRe finds the line yaml.v3 puts in its messages ("line 7: ...").
var lineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 v3.0.1 reports their line 0-based, pointing at the line
// above the construct that is not closed; FromError corrects it.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// FromError turns a yaml.v3 error into problems, one per message, so that
// syntax and type errors read like validation errors.
func FromError(err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	ps := make([]Problem, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		p := Problem{Msg: strings.TrimPrefix(m, "yaml: ")}
		if sub := lineRe.FindStringSubmatch(m); sub != nil {
			p.Line, _ = strconv.Atoi(sub[1])
			p.Msg = sub[2]
			if parserProblems[p.Msg] {
				p.Line++
			}
		} else if te == nil {
			// yaml.v3 leaves "line N" out of a syntax error exactly when
			// its 0-based line is 0: the problem is on the first line.
			p.Line = 1
		}
		ps = append(ps, p)
	}
	return ps
}
