package kafkaproxy

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// versionCaps are the last versions of calls that name topics by name;
// later ones name them by id only, which the policy cannot read.
var versionCaps = map[int16]int16{
	0:  12, // Produce
	1:  12, // Fetch
	8:  9,  // OffsetCommit
	9:  9,  // OffsetFetch
	28: 5,  // TxnOffsetCommit
}

// inspectResponse reads a broker's response frame (correlation id first):
// the first non-zero error code in it, and the frame to send on, which is
// the broker's own except for ApiVersions, whose versions are capped.
// A response that does not parse is sent on as it is, with code 0.
func (s *session) inspectResponse(req *request, frame []byte) (int16, []byte) {
	if req.msg == nil {
		return 0, frame
	}
	resp := req.msg.ResponseKind()
	resp.SetVersion(req.version)
	body := frame[4:]
	if resp.IsFlexible() && req.key != 18 {
		rest, err := skipTags(body)
		if err != nil {
			return 0, frame
		}
		body = rest
	}
	if err := resp.ReadFrom(body); err != nil {
		s.h.log.Debug("kafka response does not parse", "api", apiName(req.key), "version", req.version, "err", err)
		return 0, frame
	}
	if av, ok := resp.(*kmsg.ApiVersionsResponse); ok && av.ErrorCode == 0 && capVersions(av) {
		frame = appendResponse(nil, req, av)
	}
	return firstError(reflect.ValueOf(resp).Elem()), frame
}

// capVersions lowers the max versions in versionCaps; it reports whether
// it changed anything.
func capVersions(av *kmsg.ApiVersionsResponse) bool {
	changed := false
	for i := range av.ApiKeys {
		k := &av.ApiKeys[i]
		if c, ok := versionCaps[k.ApiKey]; ok && k.MaxVersion > c {
			k.MaxVersion = max(c, k.MinVersion)
			changed = true
		}
	}
	return changed
}

// firstError walks a response depth-first for the first non-zero
// ErrorCode.
func firstError(v reflect.Value) int16 {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if v.Type().Field(i).Name == "ErrorCode" && f.Kind() == reflect.Int16 {
				if f.Int() != 0 {
					return int16(f.Int())
				}
				continue
			}
			if c := firstError(f); c != 0 {
				return c
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct {
			return 0
		}
		for i := range v.Len() {
			if c := firstError(v.Index(i)); c != 0 {
				return c
			}
		}
	}
	return 0
}
