package sqlfilter

import (
	"regexp/syntax"
	"slices"
	"unicode"
)

// maxRE2Cost bounds the size of an expression sent to ClickHouse, in
// literal runes plus class ranges after counted repetitions are expanded.
// RE2 compiles classes to UTF-8 byte automata and gives up past its memory
// budget (8 MB by default) where Go's regexp, which matches whole runes,
// does not; such an expression is left to Go rather than fail the query.
const maxRE2Cost = 20000

// re2 rewrites expr, which regexp.Compile accepts, so that ClickHouse's
// match() accepts it and matches exactly the strings Go's regexp matches;
// ok is false when it should be left to Go.
//
// Parsing with Go's own parser and printing the tree back settles the
// differences between the two engines:
//   - ClickHouse compiles with dot_nl, so "." also matches "\n" there; the
//     printer writes the flags of every "." (and "^", "$") explicitly.
//   - syntax newer than 18.16's RE2, such as (?<name>re), is printed in the
//     older form (?P<name>re); \Q..\E and \pN become plain literals and
//     ranges.
//   - Unicode tables differ between versions: classes (\pL, [[:alpha:]],
//     case-folded ranges) are already explicit ranges after parsing, and
//     case-folded literals are expanded here into the classes of their
//     fold orbits, so RE2 never consults its own tables.
//
// Flows reach the store through protobuf, whose strings are valid UTF-8:
// both engines then see the same runes.
func re2(expr string) (string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = unfold(re)
	if cost(re.Simplify()) > maxRE2Cost {
		return "", false
	}
	// A group around the whole keeps ClickHouse's search for required
	// literal substrings, which reads the pattern text before RE2 does, to
	// what it sees outside parentheses: nothing.
	return "(?:" + re.String() + ")", true
}

// unfold replaces case-folded literals by explicit classes.
func unfold(re *syntax.Regexp) *syntax.Regexp {
	for i, sub := range re.Sub {
		re.Sub[i] = unfold(sub)
	}
	if re.Op != syntax.OpLiteral || re.Flags&syntax.FoldCase == 0 {
		return re
	}
	flags := re.Flags &^ syntax.FoldCase
	parts := make([]*syntax.Regexp, len(re.Rune))
	for i, r := range re.Rune {
		parts[i] = foldClass(r, flags)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Flags: flags, Sub: parts}
}

// foldClass matches r and every rune that Go's (?i) matches with it.
func foldClass(r rune, flags syntax.Flags) *syntax.Regexp {
	runes := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		runes = append(runes, f)
	}
	if len(runes) == 1 {
		return &syntax.Regexp{Op: syntax.OpLiteral, Flags: flags, Rune: runes}
	}
	slices.Sort(runes)
	class := make([]rune, 0, 2*len(runes))
	for _, f := range runes {
		class = append(class, f, f)
	}
	return &syntax.Regexp{Op: syntax.OpCharClass, Flags: flags, Rune: class}
}

// cost estimates the size of the automaton RE2 builds for re.
func cost(re *syntax.Regexp) int {
	n := 1
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune)
	case syntax.OpCharClass:
		n = len(re.Rune) / 2
	}
	for _, sub := range re.Sub {
		n += cost(sub)
	}
	return n
}
