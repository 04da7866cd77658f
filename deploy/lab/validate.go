package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loupe-dev/loupe/api/labels"
)

// Bounds that keep a lab a lab: each workload is a netns, a veth pair and
// maybe a process.
const (
	maxWorkloads = 512
	maxFlows     = 512
	maxRate      = 1000
)

// validator collects every problem of a topology with its line.
type validator struct {
	problems []Problem
}

func (v *validator) addf(line int, format string, a ...any) {
	v.problems = append(v.problems, Problem{Line: line, Msg: fmt.Sprintf(format, a...)})
}

// value returns the value node of field in mapping n, or nil.
func value(n *yaml.Node, field string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == field {
			return n.Content[i+1]
		}
	}
	return nil
}

// nodeLine is n's line, 0 for a missing node (a null item decodes without
// calling UnmarshalYAML, so it has no node).
func nodeLine(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// lineOf is the line of field's value in n, or of n itself when the field is
// absent (a missing field is reported where its mapping is).
func lineOf(n *yaml.Node, field string) int {
	if c := value(n, field); c != nil {
		return c.Line
	}
	if n == nil {
		return 0
	}
	return n.Line
}

// keyLine is the line of key within the mapping at n.field (labels).
func keyLine(n *yaml.Node, field, key string) int {
	m := value(n, field)
	if m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i].Line
			}
		}
	}
	return lineOf(n, field)
}

func validate(file string, s *topologySpec) (*Topology, error) {
	v := &validator{}
	t := &Topology{Name: s.Name}
	switch {
	case s.Name == "":
		v.addf(lineOf(s.node, "name"), "name is required: the lab name prefixes everything the lab creates (e.g. name: demo)")
	case !labNameRe.MatchString(s.Name):
		v.addf(lineOf(s.node, "name"), "name %q is not a valid lab name: use up to 32 lower-case letters, digits and '-', starting and ending with a letter or digit", s.Name)
	}
	t.IPv4Pool = v.pool(s.node, "ipv4Pool", s.IPv4Pool, false)
	t.IPv6Pool = v.pool(s.node, "ipv6Pool", s.IPv6Pool, true)

	switch {
	case len(s.Workloads) == 0:
		v.addf(lineOf(s.node, "workloads"), "workloads is empty: a lab needs at least one workload")
	case len(s.Workloads) > maxWorkloads:
		v.addf(lineOf(s.node, "workloads"), "%d workloads is more than the %d a lab may have", len(s.Workloads), maxWorkloads)
	}
	seen := make(map[string]int) // workload ID -> line
	dnsLine := 0
	for i := range s.Workloads {
		w := v.workload(&s.Workloads[i], seen, &dnsLine)
		t.Workloads = append(t.Workloads, w)
	}
	v.addresses(t, s)

	if len(s.Traffic) > maxFlows {
		v.addf(lineOf(s.node, "traffic"), "%d traffic entries is more than the %d a lab may have", len(s.Traffic), maxFlows)
	}
	for i := range s.Traffic {
		if f, ok := v.flow(t, &s.Traffic[i]); ok {
			t.Traffic = append(t.Traffic, f)
		}
	}
	if len(v.problems) > 0 {
		return nil, &TopologyError{File: file, Problems: v.problems}
	}
	for i := range t.Workloads {
		w := &t.Workloads[i]
		w.NetNS = NetNSName(t.Name, w.Namespace, w.Name)
		w.HostIface = HostIfaceName(t.Name, w.Namespace, w.Name)
	}
	return t, nil
}

// Ranges no pool may overlap: loopback, the gateway's link-local range,
// multicast and reserved space.
var (
	reservedV4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("224.0.0.0/3"),
	}
	reservedV6 = []netip.Prefix{
		netip.MustParsePrefix("::/127"),
		netip.MustParsePrefix("::ffff:0:0/96"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("ff00::/8"),
	}
)

func (v *validator) pool(n *yaml.Node, field, s string, v6 bool) netip.Prefix {
	line := lineOf(n, field)
	example, reserved := "10.200.0.0/24", reservedV4
	if v6 {
		example, reserved = "fd00:10:200::/112", reservedV6
	}
	if s == "" {
		v.addf(line, "%s is required: the prefix workload addresses come from (e.g. %s: %s)", field, field, example)
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		v.addf(line, "%s %q is not a CIDR prefix like %s", field, s, example)
		return netip.Prefix{}
	case p.Addr().Is6() != v6 || p.Addr().Is4In6():
		v.addf(line, "%s %q has the wrong IP version; write a prefix like %s", field, s, example)
		return netip.Prefix{}
	case p != p.Masked():
		v.addf(line, "%s %q has host bits set; write %s", field, s, p.Masked())
		return netip.Prefix{}
	}
	for _, r := range reserved {
		if r.Overlaps(p) {
			v.addf(line, "%s %s overlaps reserved range %s; pick a private range such as %s", field, p, r, example)
			return netip.Prefix{}
		}
	}
	return p
}

func (v *validator) workload(s *workloadSpec, seen map[string]int, dnsLine *int) Workload {
	w := Workload{Name: s.Name, Namespace: s.Namespace, Labels: s.Labels}
	if w.Namespace == "" {
		w.Namespace = "default"
	}
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	line := nodeLine(s.node)
	switch {
	case w.Name == "":
		v.addf(line, "workload has no name; add name: <workload>")
	case !dnsLabelRe.MatchString(w.Name):
		v.addf(lineOf(s.node, "name"), "workload name %q is not a DNS label: use up to 63 lower-case letters, digits and '-'", w.Name)
	}
	if !dnsLabelRe.MatchString(w.Namespace) {
		v.addf(lineOf(s.node, "namespace"), "namespace %q is not a DNS label: use up to 63 lower-case letters, digits and '-'", w.Namespace)
	}
	if w.Name != "" {
		if first, dup := seen[w.ID()]; dup {
			v.addf(lineOf(s.node, "name"), "duplicate workload %s (first defined on line %d); workload names must be unique within a namespace", w.ID(), first)
		} else {
			seen[w.ID()] = lineOf(s.node, "name")
		}
	}
	keys := make([]string, 0, len(w.Labels))
	for k := range w.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line := keyLine(s.node, "labels", k)
		if k == labels.NamespaceKey {
			v.addf(line, "label %s is set from namespace; remove it and set namespace instead", k)
		} else if err := labels.ValidateKey(k); err != nil {
			v.addf(line, "workload %s: %v", w.ID(), err)
		} else if err := labels.ValidateValue(w.Labels[k]); err != nil {
			v.addf(line, "workload %s: %v", w.ID(), err)
		}
	}
	w.Serve = v.servers(s, w.ID(), dnsLine)
	w.External = s.External
	for i, n := range s.Names {
		name := strings.ToLower(strings.TrimSuffix(n, "."))
		if !dnsNameRe.MatchString(name) {
			v.addf(lineOf(s.node, "names"), "workload %s: names[%d] %q is not a DNS name", w.ID(), i, n)
			continue
		}
		w.Names = append(w.Names, name+".")
	}
	return w
}

func (v *validator) servers(s *workloadSpec, id string, dnsLine *int) []Server {
	var out []Server
	bound := make(map[string]int) // "tcp/8080" -> line
	for _, ss := range s.Serve {
		line := nodeLine(ss.node)
		p := Protocol(ss.Protocol)
		var transports []string
		switch p {
		case HTTP, TCP, GRPC, Kafka:
			transports = []string{"tcp"}
		case UDP:
			transports = []string{"udp"}
		case DNS:
			transports = []string{"udp", "tcp"}
			if ss.Port == 0 {
				ss.Port = 53
			}
			if *dnsLine != 0 {
				v.addf(line, "workload %s serves dns, but the lab already has its DNS server on line %d; keep one", id, *dnsLine)
			} else {
				*dnsLine = line
			}
		case "":
			v.addf(line, "serve entry has no protocol; use http, grpc, kafka, tcp, udp or dns")
			continue
		default:
			v.addf(lineOf(ss.node, "protocol"), "unknown protocol %q in serve; use http, grpc, kafka, tcp, udp or dns", ss.Protocol)
			continue
		}
		switch {
		case ss.Port == 0:
			v.addf(line, "serve %s has no port; add port: 1-65535", p)
			continue
		case ss.Port < 1 || ss.Port > 65535:
			v.addf(lineOf(ss.node, "port"), "port %d is out of range 1-65535", ss.Port)
			continue
		case p == DNS && ss.Port != 53:
			v.addf(lineOf(ss.node, "port"), "dns must serve on port 53, the only port resolv.conf can name; remove port or set it to 53")
			continue
		}
		for _, tr := range transports {
			key := fmt.Sprintf("%s/%d", tr, ss.Port)
			if first, dup := bound[key]; dup {
				v.addf(lineOf(ss.node, "port"), "workload %s serves port %s twice (also on line %d); use another port", id, key, first)
			}
			bound[key] = line
		}
		out = append(out, Server{Protocol: p, Port: uint16(ss.Port)})
	}
	return out
}
