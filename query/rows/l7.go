package rows

import (
	"github.com/loupe-dev/loupe/api/flow"
	"github.com/loupe-dev/loupe/query/schema"
)

func l7(f *flow.Flow) *flow.Layer7 {
	if f.L7 == nil {
		f.L7 = &flow.Layer7{}
	}
	return f.L7
}

func l7Protocol(f *flow.Flow) int8 {
	switch f.GetL7().GetRecord().(type) {
	case *flow.Layer7_Http:
		return schema.L7HTTP
	case *flow.Layer7_Dns:
		return schema.L7DNS
	case *flow.Layer7_Kafka:
		return schema.L7Kafka
	}
	return schema.L7None
}

func setL7Protocol(f *flow.Flow, v int8) {
	switch v {
	case schema.L7HTTP:
		l7(f).Record = &flow.Layer7_Http{Http: &flow.HTTP{}}
	case schema.L7DNS:
		l7(f).Record = &flow.Layer7_Dns{Dns: &flow.DNS{}}
	case schema.L7Kafka:
		l7(f).Record = &flow.Layer7_Kafka{Kafka: &flow.Kafka{}}
	}
}

// httpOf, dnsOf and kafkaOf return the record to fill, or nil when the
// row is of another protocol: their columns then hold zero values.
func httpOf(f *flow.Flow) *flow.HTTP   { return f.GetL7().GetHttp() }
func dnsOf(f *flow.Flow) *flow.DNS     { return f.GetL7().GetDns() }
func kafkaOf(f *flow.Flow) *flow.Kafka { return f.GetL7().GetKafka() }

func onHTTP(set func(*flow.HTTP)) func(*flow.Flow) {
	return func(f *flow.Flow) {
		if h := httpOf(f); h != nil {
			set(h)
		}
	}
}

var l7Fields = []field{
	field8("l7_type", func(f *flow.Flow) flow.L7FlowType { return f.GetL7().GetType() }, func(f *flow.Flow, v flow.L7FlowType) {
		if v != flow.L7FlowType_L7_TYPE_UNKNOWN {
			l7(f).Type = v
		}
	}),
	codec[int8]{"l7_protocol", l7Protocol, setL7Protocol},
	codec[uint64]{"l7_latency_ns", func(f *flow.Flow) uint64 { return f.GetL7().GetLatencyNs() }, func(f *flow.Flow, v uint64) {
		if v != 0 {
			l7(f).LatencyNs = v
		}
	}},
	codec[uint16]{"http_code", func(f *flow.Flow) uint16 { return uint16(httpOf(f).GetCode()) }, func(f *flow.Flow, v uint16) { onHTTP(func(h *flow.HTTP) { h.Code = uint32(v) })(f) }},
	codec[string]{"http_method", func(f *flow.Flow) string { return httpOf(f).GetMethod() }, func(f *flow.Flow, v string) { onHTTP(func(h *flow.HTTP) { h.Method = v })(f) }},
	codec[string]{"http_url", func(f *flow.Flow) string { return httpOf(f).GetUrl() }, func(f *flow.Flow, v string) { onHTTP(func(h *flow.HTTP) { h.Url = v })(f) }},
	codec[string]{"http_protocol", func(f *flow.Flow) string { return httpOf(f).GetProtocol() }, func(f *flow.Flow, v string) { onHTTP(func(h *flow.HTTP) { h.Protocol = v })(f) }},
	stringList("http_header_names", func(f *flow.Flow) []string { return headerParts(f, true) }, func(f *flow.Flow, v []string) {
		onHTTP(func(h *flow.HTTP) {
			h.Headers = make([]*flow.HTTPHeader, len(v))
			for i, k := range v {
				h.Headers[i] = &flow.HTTPHeader{Key: k}
			}
		})(f)
	}),
	stringList("http_header_values", func(f *flow.Flow) []string { return headerParts(f, false) }, func(f *flow.Flow, v []string) {
		onHTTP(func(h *flow.HTTP) {
			for i := range min(len(v), len(h.Headers)) {
				h.Headers[i].Value = v[i]
			}
		})(f)
	}),
	codec[string]{"dns_query", func(f *flow.Flow) string { return dnsOf(f).GetQuery() }, func(f *flow.Flow, v string) {
		if d := dnsOf(f); d != nil {
			d.Query = v
		}
	}},
	stringList("dns_ips", func(f *flow.Flow) []string { return dnsOf(f).GetIps() }, func(f *flow.Flow, v []string) { dnsOf(f).Ips = v }),
	codec[uint32]{"dns_ttl", func(f *flow.Flow) uint32 { return dnsOf(f).GetTtl() }, func(f *flow.Flow, v uint32) {
		if d := dnsOf(f); d != nil {
			d.Ttl = v
		}
	}},
	stringList("dns_cnames", func(f *flow.Flow) []string { return dnsOf(f).GetCnames() }, func(f *flow.Flow, v []string) { dnsOf(f).Cnames = v }),
	codec[uint16]{"dns_rcode", func(f *flow.Flow) uint16 { return uint16(dnsOf(f).GetRcode()) }, func(f *flow.Flow, v uint16) {
		if d := dnsOf(f); d != nil {
			d.Rcode = uint32(v)
		}
	}},
	stringList("dns_qtypes", func(f *flow.Flow) []string { return dnsOf(f).GetQtypes() }, func(f *flow.Flow, v []string) { dnsOf(f).Qtypes = v }),
	stringList("dns_rrtypes", func(f *flow.Flow) []string { return dnsOf(f).GetRrtypes() }, func(f *flow.Flow, v []string) { dnsOf(f).Rrtypes = v }),
	codec[string]{"kafka_api_key", func(f *flow.Flow) string { return kafkaOf(f).GetApiKey() }, func(f *flow.Flow, v string) {
		if k := kafkaOf(f); k != nil {
			k.ApiKey = v
		}
	}},
	codec[int16]{"kafka_api_version", func(f *flow.Flow) int16 { return int16(kafkaOf(f).GetApiVersion()) }, func(f *flow.Flow, v int16) {
		if k := kafkaOf(f); k != nil {
			k.ApiVersion = int32(v)
		}
	}},
	codec[int16]{"kafka_error_code", func(f *flow.Flow) int16 { return int16(kafkaOf(f).GetErrorCode()) }, func(f *flow.Flow, v int16) {
		if k := kafkaOf(f); k != nil {
			k.ErrorCode = int32(v)
		}
	}},
	codec[int32]{"kafka_correlation_id", func(f *flow.Flow) int32 { return kafkaOf(f).GetCorrelationId() }, func(f *flow.Flow, v int32) {
		if k := kafkaOf(f); k != nil {
			k.CorrelationId = v
		}
	}},
	codec[string]{"kafka_topic", func(f *flow.Flow) string { return kafkaOf(f).GetTopic() }, func(f *flow.Flow, v string) {
		if k := kafkaOf(f); k != nil {
			k.Topic = v
		}
	}},
}

func headerParts(f *flow.Flow, keys bool) []string {
	hs := httpOf(f).GetHeaders()
	if len(hs) == 0 {
		return nil
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		if keys {
			out[i] = h.GetKey()
		} else {
			out[i] = h.GetValue()
		}
	}
	return out
}
