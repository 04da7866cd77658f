package filters

import (
	"errors"
	"fmt"
)

// ErrInvalid matches (with errors.Is) every error returned by Compile, so a
// server can map them to InvalidArgument without parsing text.
var ErrInvalid = errors.New("invalid flow filter")

// Error is one value of one filter that does not compile. Its text is stable
// and safe to return to clients: it names the filter, the field as spelled in
// the protobuf, the value as written and what was expected instead.
type Error struct {
	List   string // "allow" or "deny"
	Index  int    // position of the filter in its list
	Field  string // protobuf field name, e.g. "destination_ip"
	Value  string // the offending value as written
	Reason string // what is wrong and what is expected
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s[%d]: %s %q: %s", e.List, e.Index, e.Field, e.Value, e.Reason)
}

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
