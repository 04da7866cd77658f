package filters

import (
	"testing"

	"github.com/loupe-dev/loupe/api/flow"
)

// typicalRequest is what `loupe observe --from-namespace shop --to-label
// app=catalog --protocol tcp --not --to-port 5432` sends, plus an L7 field.
func typicalRequest() (allow, deny []*flow.FlowFilter) {
	return []*flow.FlowFilter{{
			SourceNamespace:  []string{"shop"},
			DestinationLabel: []string{"app=catalog", "tier in (api,db)"},
			Protocol:         []string{"tcp"},
			DestinationIp:    []string{"10.0.0.0/8", "fd00::/64"},
			Verdict:          []flow.Verdict{flow.Verdict_FORWARDED, flow.Verdict_DROPPED},
		}}, []*flow.FlowFilter{{
			DestinationPort: []string{"5432"},
		}}
}

func BenchmarkTypicalFilter(b *testing.B) {
	fn, err := Compile(typicalRequest())
	if err != nil {
		b.Fatal(err)
	}
	flows := []*flow.Flow{testFlows["syn"], testFlows["drop"], testFlows["dns"], testFlows["http"], testFlows["icmp4"]}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		fn(flows[i%len(flows)])
	}
}

// TestMatchDoesNotAllocate guards the hot path: a Func runs once per flow
// and reader.
func TestMatchDoesNotAllocate(t *testing.T) {
	allow, deny := typicalRequest()
	allow = append(allow, &flow.FlowFilter{
		SourceFqdn: []string{"*.example.com"}, NodeName: []string{"node-*"},
		HttpPath: []string{"/api/.*"}, HttpStatusCode: []string{"5+"}, HttpHeader: []string{"content-type:application/json"},
		HttpMethod: []string{"get"}, DnsQuery: []string{`\.loupe$`}, TcpFlags: []*flow.TCPFlags{{SYN: true}},
		TraceId: []string{"4bf92f3577b34da6a3ce929d0e0e4736"}, EventType: []string{"trace:to-endpoint", "l7"},
		SourceWorkload: []string{"shop/frontend"}, SourceIdentity: []uint32{1001}, Reply: []bool{false},
	})
	fn, err := Compile(allow, deny)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range testFlows {
		if n := testing.AllocsPerRun(100, func() { fn(f) }); n != 0 {
			t.Errorf("flow %s: %v allocations per match, want 0", name, n)
		}
	}
}
