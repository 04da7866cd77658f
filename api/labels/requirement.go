package labels

// Operator is how a requirement tests a label.
type Operator int

// The operators of a selector's requirements.
const (
	Equals    Operator = iota // key=value, key==value
	NotEquals                 // key!=value
	In                        // key in (v1,v2)
	NotIn                     // key notin (v1,v2)
	Exists                    // key
	NotExists                 // !key
)

// Requirement is one requirement of a parsed selector. It is exported for
// code that must apply a selector somewhere else with the same meaning
// (query/sqlfilter renders selectors as SQL): Matches is the reference.
type Requirement struct {
	Key      string
	Operator Operator
	// Values has one value for Equals and NotEquals, the list for In and
	// NotIn, and none for Exists and NotExists.
	Values []string
}

// Requirements returns a copy of the selector's requirements, all of which
// must hold. Note how Set.Get reads a label set: the first element whose key
// (the text before the first "=", or all of it) equals the requirement's
// key gives the value.
func (sel Selector) Requirements() []Requirement {
	out := make([]Requirement, len(sel.reqs))
	for i, r := range sel.reqs {
		out[i] = Requirement{Key: r.key, Operator: exported[r.op], Values: append([]string(nil), r.values...)}
	}
	return out
}

var exported = map[operator]Operator{
	opEquals: Equals, opNotEquals: NotEquals, opIn: In, opNotIn: NotIn, opExists: Exists, opNotExists: NotExists,
}
