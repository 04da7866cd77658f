package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Everything a lab creates on the host carries its lab name in a form that
// cannot be confused with another lab's: lab names have no dots, so the
// prefix "loupe-<lab>." matches exactly one lab. That is what lets down find
// leftovers when the state file is gone.
const (
	netnsPrefix = "loupe-"
	// aliasPrefix starts the IFLA_IFALIAS of every host-side veth:
	// "loupe-lab=<lab>/<namespace>/<workload>".
	aliasPrefix = "loupe-lab="
	// Zone is the DNS zone the lab's DNS server is authoritative for.
	Zone = "svc.loupe."
)

var (
	// labNameRe: a DNS label of at most 32 characters, and no dots.
	labNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)
	// dnsLabelRe: RFC 1123 label, as Kubernetes names are; workload and
	// namespace names become DNS names.
	dnsLabelRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// dnsNameRe: dot-separated DNS labels.
	dnsNameRe = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

// NetNSName is the name under /run/netns of a workload's network namespace.
func NetNSName(lab, namespace, workload string) string {
	return netnsPrefix + lab + "." + namespace + "." + workload
}

// labOfNetNS returns the lab a netns name belongs to, if it is a lab's.
func labOfNetNS(name string) (lab, namespace, workload string, ok bool) {
	rest, ok := strings.CutPrefix(name, netnsPrefix)
	if !ok {
		return "", "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || !labNameRe.MatchString(parts[0]) {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// HostIfaceName is the host side of a workload's veth pair: "lx" and a hash,
// because interface names are limited to 15 characters and must not collide
// between labs.
func HostIfaceName(lab, namespace, workload string) string {
	sum := sha256.Sum256([]byte(lab + "/" + namespace + "/" + workload))
	return "lx" + hex.EncodeToString(sum[:6])
}

func ifaceAlias(lab, namespace, workload string) string {
	return aliasPrefix + lab + "/" + namespace + "/" + workload
}

// labOfAlias returns the lab of a host veth alias, if it is a lab's.
func labOfAlias(alias string) (string, bool) {
	rest, ok := strings.CutPrefix(alias, aliasPrefix)
	if !ok {
		return "", false
	}
	lab, _, ok := strings.Cut(rest, "/")
	return lab, ok
}

// FQDN is the workload's full name in the lab DNS: workload.namespace.svc.loupe.
func (w *Workload) FQDN() string { return w.Name + "." + w.Namespace + "." + Zone }
