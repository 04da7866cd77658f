package printer

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/proto"

	"github.com/loupe-dev/loupe/api/agent"
)

// WriteEndpoints prints the agent's endpoints, sorted by id.
func WriteEndpoints(w io.Writer, r *agent.ListEndpointsResponse, format string) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "table":
	default:
		return unknownListFormat(format)
	}
	eps := slices.Clone(r.GetEndpoints())
	slices.SortFunc(eps, func(a, b *agent.Endpoint) int { return cmp.Compare(a.GetId(), b.GetId()) })
	rows := [][]string{{"ID", "NAMESPACE", "WORKLOAD", "IDENTITY", "INTERFACE", "IPv4", "IPv6", "LABELS", "POLICY (INGRESS/EGRESS)", "REVISION", "STATE"}}
	for _, ep := range eps {
		v4, v6 := splitAddresses(ep.GetAddresses())
		rows = append(rows, []string{
			strconv.FormatUint(uint64(ep.GetId()), 10),
			ep.GetNamespace(),
			ep.GetWorkload(),
			strconv.FormatUint(uint64(ep.GetIdentity()), 10),
			ep.GetInterfaceName(),
			v4,
			v6,
			labelMap(ep.GetLabels()),
			orOff(ep.GetPolicyIngress()) + "/" + orOff(ep.GetPolicyEgress()),
			strconv.FormatUint(ep.GetPolicyRevision(), 10),
			ep.GetState(),
		})
	}
	return writeRows(w, rows)
}

// orOff shows an unset enforcement state as "off".
func orOff(s string) string {
	if s == "" {
		return "off"
	}
	return s
}

// WriteIdentities prints the agent's identities, sorted by number.
func WriteIdentities(w io.Writer, r *agent.ListIdentitiesResponse, format string) error {
	switch format {
	case "json":
		return writeJSON(w, r)
	case "table":
	default:
		return unknownListFormat(format)
	}
	ids := slices.Clone(r.GetIdentities())
	slices.SortFunc(ids, func(a, b *agent.Identity) int { return cmp.Compare(a.GetId(), b.GetId()) })
	rows := [][]string{{"ID", "LABELS", "ENDPOINTS", "RESERVED"}}
	for _, id := range ids {
		reserved := "no"
		if id.GetReserved() {
			reserved = "yes"
		}
		rows = append(rows, []string{
			strconv.FormatUint(uint64(id.GetId()), 10),
			strings.Join(id.GetLabels(), ","),
			strconv.FormatUint(uint64(id.GetEndpoints()), 10),
			reserved,
		})
	}
	return writeRows(w, rows)
}

// splitAddresses separates IPv4 and IPv6 addresses, comma-joined.
func splitAddresses(addrs []string) (v4, v6 string) {
	var four, six []string
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); (err == nil && ip.Is6() && !ip.Is4In6()) || (err != nil && strings.Contains(a, ":")) {
			six = append(six, a)
		} else {
			four = append(four, a)
		}
	}
	return strings.Join(four, ","), strings.Join(six, ",")
}

// labelMap renders labels as the canonical sorted "k=v,k=v".
func labelMap(m map[string]string) string {
	kv := make([]string, 0, len(m))
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

// writeRows aligns rows under their header; an empty cell prints as "-" so
// that columns stay countable for awk.
func writeRows(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, r := range rows {
		for i, c := range r {
			if c == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// writeJSON prints m as indented protojson.
func writeJSON(w io.Writer, m proto.Message) error {
	b, err := marshalJSON(m, true)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
