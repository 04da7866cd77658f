package lab

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// resolveRef finds a workload by "namespace/name" or by a bare name that
// must be unique.
func resolveRef(t *Topology, ref string) (*Workload, error) {
	if strings.Contains(ref, "/") {
		if w := t.Workload(ref); w != nil {
			return w, nil
		}
		return nil, fmt.Errorf("%w: workload %q", ErrNotFound, ref)
	}
	var found []*Workload
	for i := range t.Workloads {
		if t.Workloads[i].Name == ref {
			found = append(found, &t.Workloads[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: workload %q", ErrNotFound, ref)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, w := range found {
		ids[i] = w.ID()
	}
	return nil, fmt.Errorf("%w: %q is %s; write namespace/name", ErrAmbiguous, ref, strings.Join(ids, " and "))
}

func (v *validator) flow(t *Topology, s *flowSpec) (Flow, bool) {
	n := len(v.problems)
	f := Flow{Protocol: Protocol(s.Protocol), Path: s.Path, Family: Family(s.Family), Rate: s.Rate}
	var to *Workload
	for _, ref := range []struct {
		field, val string
		dst        *string
	}{{"from", s.From, &f.From}, {"to", s.To, &f.To}} {
		if ref.val == "" {
			v.addf(nodeLine(s.node), "traffic entry has no %s; name a workload (name or namespace/name)", ref.field)
			continue
		}
		w, err := resolveRef(t, ref.val)
		if err != nil {
			v.addf(lineOf(s.node, ref.field), "traffic %s: %v; known workloads: %s", ref.field, err, workloadList(t))
			continue
		}
		*ref.dst = w.ID()
		if ref.field == "to" {
			to = w
		}
	}
	switch f.Protocol {
	case HTTP, DNS, TCP, UDP, ICMP:
	case "":
		v.addf(nodeLine(s.node), "traffic entry has no protocol; use http, dns, tcp, udp or icmp")
	default:
		v.addf(lineOf(s.node, "protocol"), "unknown protocol %q in traffic; use http, dns, tcp, udp or icmp", s.Protocol)
	}
	port := s.Port
	if port == 0 {
		switch {
		case f.Protocol == DNS:
			port = 53
		case f.Protocol == HTTP && to != nil:
			port = onlyHTTPPort(to)
		}
	}
	switch {
	case f.Protocol == ICMP && s.Port != 0:
		v.addf(lineOf(s.node, "port"), "icmp has no port; remove port")
	case port < 0 || port > 65535:
		v.addf(lineOf(s.node, "port"), "port %d is out of range 1-65535", port)
	case port == 0 && f.Protocol != ICMP && f.Protocol != "" && to != nil:
		v.addf(nodeLine(s.node), "traffic %s to %s needs a port; add port: 1-65535", f.Protocol, to.ID())
	}
	f.Port = uint16(max(0, min(port, 65535)))
	switch {
	case f.Path != "" && f.Protocol != HTTP:
		v.addf(lineOf(s.node, "path"), "path is only for http traffic; remove it")
	case f.Path == "" && f.Protocol == HTTP:
		f.Path = "/"
	case f.Path != "" && (!strings.HasPrefix(f.Path, "/") || strings.ContainsAny(f.Path, " \t\r\n#")):
		v.addf(lineOf(s.node, "path"), "path %q must start with / and hold no spaces or #", f.Path)
	}
	switch f.Family {
	case "":
		f.Family = Both
	case IPv4, IPv6, Both:
	default:
		v.addf(lineOf(s.node, "family"), "unknown family %q; use ipv4, ipv6 or both", s.Family)
	}
	switch {
	case f.Rate == 0:
		f.Rate = 1
	case !(f.Rate > 0 && f.Rate <= maxRate):
		v.addf(lineOf(s.node, "rate"), "rate %g is out of range: actions per second, more than 0 and at most %d", f.Rate, maxRate)
	}
	if s.Query != "" {
		if f.Protocol != DNS {
			v.addf(lineOf(s.node, "query"), "query is only for dns traffic; remove it")
		} else if _, ok := dns.IsDomainName(s.Query); !ok || strings.ContainsAny(s.Query, " \t\\") {
			v.addf(lineOf(s.node, "query"), "query %q is not a domain name", s.Query)
		} else {
			f.Query = dns.Fqdn(s.Query)
		}
	}
	return f, len(v.problems) == n
}

// onlyHTTPPort is the port of w's http server when it has exactly one.
func onlyHTTPPort(w *Workload) int {
	port := 0
	for _, s := range w.Serve {
		if s.Protocol == HTTP {
			if port != 0 {
				return 0
			}
			port = int(s.Port)
		}
	}
	return port
}

func workloadList(t *Topology) string {
	ids := make([]string, 0, len(t.Workloads))
	for i := range t.Workloads {
		if t.Workloads[i].Name != "" {
			ids = append(ids, t.Workloads[i].ID())
		}
	}
	return strings.Join(ids, ", ")
}
