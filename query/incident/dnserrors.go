package incident

import (
	"context"
	"fmt"

	"github.com/loupe-dev/loupe/query/schema"
)

// DNSErrors lists the names whose DNS responses carried an error rcode.
type DNSErrors struct {
	Window    Window     `json:"window"`
	Errors    []DNSError `json:"errors"`
	Truncated bool       `json:"truncated"`
}

// DNSError is one query name and error rcode.
type DNSError struct {
	Query     string `json:"query" ch:"dns_query"`
	Rcode     uint16 `json:"rcode" ch:"dns_rcode"`
	RcodeName string `json:"rcode_name"`
	// Count is the responses with this rcode; Responses is every response
	// to the name, errors included.
	Count     uint64 `json:"count" ch:"n_errors"`
	Responses uint64 `json:"responses" ch:"n_responses"`
}

// rcodeNames are the RFC 1035 and RFC 6895 names of the common rcodes.
var rcodeNames = map[uint16]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
	6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS",
}

// RcodeName names a DNS rcode, or gives its number.
func RcodeName(rcode uint16) string {
	if n, ok := rcodeNames[rcode]; ok {
		return n
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

const dnsResponses = "l7_protocol = 'DNS' AND l7_type = 'RESPONSE'"

// DNSErrors counts DNS responses with a non-zero rcode by name and rcode,
// the most first, next to the name's responses of any rcode.
func (r *Reader) DNSErrors(ctx context.Context, p Params) (*DNSErrors, error) {
	p, err := p.resolve(dnsErrorsKind, r.now())
	if err != nil {
		return nil, err
	}
	errs := newQuery(schema.L7Rollup.Table, p).where(dnsResponses + " AND dns_rcode != 0")
	errs.groupOn([]dimension{{"dns_query", "dns_query"}, {"dns_rcode", "dns_rcode"}}, "n_errors DESC")
	errs.columns = append(errs.columns, "countMerge(flows) AS n_errors")
	errs.limit = p.Limit + 1
	all := newQuery(schema.L7Rollup.Table, p).where(dnsResponses)
	all.columns = []string{"dns_query", "countMerge(flows) AS n_responses"}
	all.groupBy = []string{"dns_query"}
	sql := "SELECT dns_query, dns_rcode, n_errors, n_responses FROM (" + errs.String() + ") " +
		"ANY LEFT JOIN (" + all.String() + ") USING dns_query " +
		"ORDER BY n_errors DESC, dns_query, dns_rcode"
	d := &DNSErrors{Window: p.window(), Errors: []DNSError{}}
	if err := r.selectSQL(ctx, "dns errors", &d.Errors, sql, append(errs.Args(), all.Args()...)); err != nil {
		return nil, err
	}
	d.Errors, d.Truncated = truncate(d.Errors, p.Limit)
	for i := range d.Errors {
		d.Errors[i].RcodeName = RcodeName(d.Errors[i].Rcode)
	}
	return d, nil
}
