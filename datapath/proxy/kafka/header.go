package kafkaproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var (
	errHeader  = errors.New("bad request header")
	errBody    = errors.New("bad request body")
	errUnknown = errors.New("unknown api key or version")
)

// request is one parsed client request. msg is nil when the API key or
// version is unknown (the header then stops at the client id).
type request struct {
	key, version int16
	correlation  int32
	clientID     string
	msg          kmsg.Request
}

// apiName is the lower-case API name flows carry ("produce", "fetch"), as
// policy rules spell them.
func apiName(key int16) string {
	if n := kmsg.NameForKey(key); n != "" {
		return strings.ToLower(n)
	}
	return fmt.Sprintf("unknown(%d)", key)
}

// parseRequest reads a request frame (without its size): the header (api
// key, version, correlation id, client id, and the tagged fields of a
// flexible version) and the body. An unknown key or version returns the
// header with errUnknown.
func parseRequest(frame []byte) (*request, error) {
	if len(frame) < minFrame {
		return nil, fmt.Errorf("%w: %d bytes", errHeader, len(frame))
	}
	r := &request{
		key:         int16(binary.BigEndian.Uint16(frame[0:])),
		version:     int16(binary.BigEndian.Uint16(frame[2:])),
		correlation: int32(binary.BigEndian.Uint32(frame[4:])),
	}
	b := frame[minFrame:]
	// ControlledShutdown v0 is the one request without a client id.
	if !(r.key == 7 && r.version == 0) {
		id, rest, err := readNullableString(b)
		if err != nil {
			return r, err
		}
		r.clientID, b = id, rest
	}
	msg := kmsg.RequestForKey(r.key)
	if msg == nil || r.version < 0 || r.version > msg.MaxVersion() {
		return r, fmt.Errorf("%w: %s v%d", errUnknown, apiName(r.key), r.version)
	}
	msg.SetVersion(r.version)
	if msg.IsFlexible() {
		rest, err := skipTags(b)
		if err != nil {
			return r, err
		}
		b = rest
	}
	if err := msg.ReadFrom(b); err != nil {
		return r, fmt.Errorf("%w: %s v%d: %w", errBody, apiName(r.key), r.version, err)
	}
	r.msg = msg
	return r, nil
}

func readNullableString(b []byte) (string, []byte, error) {
	if len(b) < 2 {
		return "", nil, fmt.Errorf("%w: client id cut short", errHeader)
	}
	n := int16(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n < 0 {
		return "", b, nil
	}
	if int(n) > len(b) {
		return "", nil, fmt.Errorf("%w: client id of %d bytes in %d", errHeader, n, len(b))
	}
	return string(b[:n]), b[n:], nil
}

// skipTags skips a tagged-field section: a count, then per field a tag, a
// size and the value, all unsigned varints but the value.
func skipTags(b []byte) ([]byte, error) {
	n, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	for range n {
		if _, b, err = uvarint(b); err != nil {
			return nil, err
		}
		var size uint64
		if size, b, err = uvarint(b); err != nil {
			return nil, err
		}
		if size > uint64(len(b)) {
			return nil, fmt.Errorf("%w: tagged field of %d bytes in %d", errHeader, size, len(b))
		}
		b = b[size:]
	}
	return b, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || v > 1<<31 {
		return 0, nil, fmt.Errorf("%w: bad tagged fields", errHeader)
	}
	return v, b[n:], nil
}
