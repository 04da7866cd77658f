package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// request is a message from the browser.
type request struct {
	Type     string `json:"type"`
	Filter   string `json:"filter"`
	Backfill uint64 `json:"backfill"`
}

const maxFilterLen = 2048

// errMalformed marks a message that breaks the protocol (as opposed to a
// filter that does not parse, which is the person's mistake and is
// answered with an error message).
var errMalformed = errors.New("malformed message")

// parseRequest reads one browser message strictly: one JSON object of the
// known fields, a known type, bounded values.
func parseRequest(data []byte, maxBackfill uint64) (request, error) {
	var r request
	if !utf8.Valid(data) {
		return r, fmt.Errorf("%w: not UTF-8", errMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if dec.More() {
		return r, fmt.Errorf("%w: trailing data", errMalformed)
	}
	switch r.Type {
	case "subscribe":
		if len(r.Filter) > maxFilterLen {
			return r, fmt.Errorf("%w: filter longer than %d bytes", errMalformed, maxFilterLen)
		}
		if r.Backfill > maxBackfill {
			return r, fmt.Errorf("%w: backfill above %d", errMalformed, maxBackfill)
		}
	case "unsubscribe":
	default:
		return r, fmt.Errorf("%w: unknown type %q", errMalformed, r.Type)
	}
	return r, nil
}

// control is a message to the browser that is not a batch of records.
type control struct {
	T      string `json:"t"`
	Filter string `json:"filter,omitempty"`
	Error  string `json:"error,omitempty"`
}

func encodeControl(c control) []byte {
	b, _ := json.Marshal(c) // strings only: cannot fail
	return b
}
