package kafkaproxy

import (
	"encoding/binary"
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// denyResponse builds the local answer to a denied request, as a frame
// body (correlation id, header tags, response). Topic calls get code on
// every topic and partition the request names; calls without topics get
// it as their top-level error. ok is false when the response has nowhere
// to carry the error (the caller closes the connection).
func denyResponse(req *request, code int16) (body []byte, ok bool) {
	resp := req.msg.ResponseKind()
	resp.SetVersion(req.version)
	v := reflect.ValueOf(resp).Elem()
	set := 0
	if code == errTopicAuthorization {
		src := reflect.ValueOf(req.msg).Elem()
		set = mirror(v, src, code, false)
		if names := src.FieldByName("TopicNames"); names.IsValid() && names.Len() > 0 {
			set += topicsFromNames(v.FieldByName("Topics"), names.Interface().([]string), code)
		}
	} else if f := v.FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code))
		set++
	}
	if set == 0 {
		return nil, false
	}
	return appendResponse(nil, req, resp), true
}

// appendResponse encodes a response frame body: correlation id, the
// header's tagged fields when the version is flexible (never for
// ApiVersions), the response.
func appendResponse(dst []byte, req *request, resp kmsg.Response) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(req.correlation))
	if resp.IsFlexible() && req.key != 18 {
		dst = append(dst, 0)
	}
	return resp.AppendTo(dst)
}

// mirror fills the response struct dst from the request struct src: the
// lists Topics, Partitions and Groups get one element per request element
// with its Topic, TopicID, Partition and Group copied, and code in
// ErrorCode where the element names a topic or partition. It returns how
// many error codes it set.
func mirror(dst, src reflect.Value, code int16, named bool) int {
	set := 0
	for _, name := range []string{"Topic", "TopicID", "Partition", "Group"} {
		if copyField(dst.FieldByName(name), src.FieldByName(name)) && name != "Group" {
			named = true
		}
	}
	if f := dst.FieldByName("ErrorCode"); named && f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code))
		set++
	}
	for _, name := range []string{"Topics", "Partitions", "Groups"} {
		d, s := dst.FieldByName(name), src.FieldByName(name)
		if !d.IsValid() || !s.IsValid() || d.Kind() != reflect.Slice || s.Kind() != reflect.Slice ||
			d.Type().Elem().Kind() != reflect.Struct {
			continue
		}
		d.Set(reflect.MakeSlice(d.Type(), s.Len(), s.Len()))
		for i := range s.Len() {
			de, se := d.Index(i), s.Index(i)
			setDefaults(de)
			if se.Kind() == reflect.Int32 { // partitions listed as numbers
				if p := de.FieldByName("Partition"); p.IsValid() {
					p.SetInt(se.Int())
				}
				if f := de.FieldByName("ErrorCode"); f.IsValid() {
					f.SetInt(int64(code))
					set++
				}
				continue
			}
			if se.Kind() == reflect.Struct {
				set += mirror(de, se, code, false)
			}
		}
	}
	return set
}

// copyField copies src to dst when both exist, converting between a string
// and a nullable one.
func copyField(dst, src reflect.Value) bool {
	if !dst.IsValid() || !src.IsValid() || !dst.CanSet() {
		return false
	}
	switch {
	case dst.Type() == src.Type():
		dst.Set(src)
	case dst.Kind() == reflect.String && src.Kind() == reflect.Pointer:
		dst.SetString(topicName(src))
	case dst.Kind() == reflect.Pointer && src.Kind() == reflect.String:
		s := src.String()
		dst.Set(reflect.ValueOf(&s))
	default:
		return false
	}
	return true
}

// topicsFromNames answers DeleteTopics before v6, which lists bare names.
func topicsFromNames(list reflect.Value, names []string, code int16) int {
	if !list.IsValid() || list.Kind() != reflect.Slice {
		return 0
	}
	list.Set(reflect.MakeSlice(list.Type(), len(names), len(names)))
	for i, n := range names {
		e := list.Index(i)
		setDefaults(e)
		copyField(e.FieldByName("Topic"), reflect.ValueOf(n))
		e.FieldByName("ErrorCode").SetInt(int64(code))
	}
	return len(names)
}

// setDefaults applies kmsg's Default() to a list element, so fields with
// non-zero defaults (leader epochs -1) read as Kafka expects.
func setDefaults(e reflect.Value) {
	if d, ok := e.Addr().Interface().(interface{ Default() }); ok {
		d.Default()
	}
}
