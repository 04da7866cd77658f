package kafkaproxy

import (
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loupe-dev/loupe/api/flow"
)

// acksZero reports whether a request is a Produce with acks=0, which the
// broker does not answer.
func acksZero(req *request) bool {
	p, ok := req.msg.(*kmsg.ProduceRequest)
	return ok && p.Acks == 0
}

func kafkaL7(typ flow.L7FlowType, req *request, topic string, code int16) *flow.Layer7 {
	k := &flow.Kafka{Topic: topic, ErrorCode: int32(code)}
	if req != nil {
		k.ApiKey = apiName(req.key)
		k.ApiVersion = int32(req.version)
		k.CorrelationId = req.correlation
	}
	return &flow.Layer7{Type: typ, Record: &flow.Layer7_Kafka{Kafka: k}}
}

func (s *session) requestFlow(t time.Time, verdict flow.Verdict, req *request, topic string, code int16, policies []string) *flow.Flow {
	f := s.meta.NewFlow(t, verdict, kafkaL7(flow.L7FlowType_REQUEST, req, topic, code))
	f.PolicyNames = policies
	return f
}

func (s *session) responseFlow(t time.Time, p *pending, code int16) *flow.Flow {
	l7 := kafkaL7(flow.L7FlowType_RESPONSE, p.req, p.topic, code)
	l7.LatencyNs = uint64(max(t.Sub(p.start), 1))
	f := s.meta.NewFlow(t, flow.Verdict_FORWARDED, l7)
	f.PolicyNames = p.policies
	return f
}

// fail reports an error that ends the connection: an ERROR flow (with what
// is known of the request) and one log line.
func (s *session) fail(req *request, err error) {
	s.emit(s.meta.NewFlow(time.Now(), flow.Verdict_ERROR, kafkaL7(flow.L7FlowType_REQUEST, req, "", 0)))
	s.h.log.Info("kafka connection closed on error", "src", s.meta.Src, "dst", s.meta.Dst, slog.Any("err", err))
}

func (s *session) emit(f *flow.Flow) {
	if s.h.emit != nil {
		s.h.emit(f)
	}
}
