// Package enforce keeps the node's policy set, resolves it against the
// current endpoints and identities, and installs each result in the datapath
// as one atomic revision. It re-resolves whenever endpoints come or go.
package enforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/datapath/policy"
	"github.com/loupe-dev/loupe/datapath/statefile"
)

// ErrNotFound means no policy has that namespace and name.
var ErrNotFound = errors.New("policy not found")

// source is where a policy came from, kept to restore it after a restart.
type source struct {
	File    string `json:"file"`
	Content []byte `json:"content"`
}

// Endpoints lists the local endpoints; *endpoint.Manager does.
type Endpoints interface {
	List() []endpoint.Endpoint
}

// Enforcer owns the policy revision of the node.
type Enforcer struct {
	log       *slog.Logger
	statePath string
	eps       Endpoints
	ids       *identity.Allocator
	maps      *maps.PolicyMaps
	ipcache   *maps.IPCache

	mu       sync.Mutex
	policies map[string]*policy.Policy // by Key()
	sources  map[string]source
	revision uint64
	state    map[uint16]policy.EndpointPolicy // as installed
	result   *policy.Result                   // as installed, for explain
	cidrs    []policy.CIDRIdentity            // identities held for CIDR rules
	ruleIDs  map[string]uint32                // "policy#rule" -> id
	nextRule uint32

	names atomic.Pointer[map[uint32][]string] // rule id -> policy names
	// ApplyLatency is the time the last revision took to resolve and install.
	applyLatency atomic.Int64
	installed    func(took time.Duration)
	fqdns        func(*policy.FQDNSelector) []netip.Prefix
	selectors    func([]*policy.FQDNSelector)
}

// Config wires an enforcer.
type Config struct {
	StateDir  string
	Log       *slog.Logger
	Endpoints Endpoints
	IDs       *identity.Allocator
	Maps      *maps.PolicyMaps
	IPCache   *maps.IPCache
	// Installed, when set, is told how long each revision took to resolve
	// and install (the apply latency histogram).
	Installed func(took time.Duration)
	// FQDNs, when set, resolves toFQDNs selectors to the addresses the DNS
	// proxy learned for them (fqdn.Cache.Prefixes).
	FQDNs func(*policy.FQDNSelector) []netip.Prefix
	// Selectors, when set, is told the toFQDNs selectors of every revision
	// (fqdn.Cache.SetSelectors).
	Selectors func([]*policy.FQDNSelector)
}

// New returns an enforcer with the policies saved in the state directory;
// Resolve installs them.
func New(c Config) (*Enforcer, error) {
	e := &Enforcer{
		log: c.Log, statePath: filepath.Join(c.StateDir, "policies.json"), eps: c.Endpoints,
		ids: c.IDs, maps: c.Maps, ipcache: c.IPCache, installed: c.Installed, fqdns: c.FQDNs, selectors: c.Selectors,
		policies: map[string]*policy.Policy{}, sources: map[string]source{},
		ruleIDs: map[string]uint32{}, nextRule: 1,
	}
	e.names.Store(&map[uint32][]string{})
	_, rev, err := c.Maps.Active()
	if err != nil {
		return nil, err
	}
	e.revision = rev // a restarted agent continues the pinned revision
	data, err := os.ReadFile(e.statePath)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read policy state: %w", err)
	}
	var saved map[string]source
	if err := json.Unmarshal(data, &saved); err != nil {
		return nil, fmt.Errorf("parse policy state %s: %w", e.statePath, err)
	}
	for key, src := range saved {
		ps, err := policy.Parse(src.File, src.Content)
		if err != nil {
			return nil, fmt.Errorf("restore policy %s: %w", key, err)
		}
		for _, p := range ps {
			if p.Key() == key {
				e.policies[key], e.sources[key] = p, src
			}
		}
	}
	return e, nil
}

// Apply adds or replaces the policies of one file and installs the result.
// A file that does not parse changes nothing.
func (e *Enforcer) Apply(file string, content []byte) (uint64, []string, error) {
	ps, err := policy.Parse(file, content)
	if err != nil {
		return 0, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	prevP, prevS := cloneMap(e.policies), cloneMap(e.sources)
	var keys []string
	for _, p := range ps {
		e.policies[p.Key()], e.sources[p.Key()] = p, source{File: file, Content: content}
		keys = append(keys, p.Key())
	}
	if err := e.installLocked(); err != nil {
		e.policies, e.sources = prevP, prevS
		return 0, nil, err
	}
	return e.revision, keys, e.saveLocked()
}

// Delete removes one policy and installs the result.
func (e *Enforcer) Delete(namespace, name string) (uint64, error) {
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.policies[key]; !ok {
		return 0, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	delete(e.policies, key)
	delete(e.sources, key)
	if err := e.installLocked(); err != nil {
		return 0, err
	}
	return e.revision, e.saveLocked()
}

// Resolve re-installs the policy set for the current endpoints: after a
// restart, and whenever endpoints or identities change.
func (e *Enforcer) Resolve() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.installLocked()
}

// installLocked resolves the set and installs it as the next revision.
func (e *Enforcer) installLocked() error {
	start := time.Now()
	local := e.eps.List()
	peps := make([]policy.Endpoint, 0, len(local))
	for _, ep := range local {
		ls, _ := e.ids.Labels(ep.Identity)
		peps = append(peps, policy.Endpoint{ID: ep.ID, Identity: ep.Identity, Namespace: ep.Namespace, Labels: ls})
	}
	var pids []policy.Identity
	for _, id := range e.ids.List() {
		pids = append(pids, policy.Identity{ID: id.ID, Labels: id.Labels})
	}
	set := make([]*policy.Policy, 0, len(e.policies))
	for _, k := range sortedKeys(e.policies) {
		set = append(set, e.policies[k])
	}
	// The name cache learns the selectors before Resolve reads their
	// addresses: an answer that lands in between then triggers another
	// revision instead of being missed.
	if e.selectors != nil {
		e.selectors(policy.FQDNSelectors(set))
	}
	var opts []policy.Option
	if e.fqdns != nil {
		opts = append(opts, policy.WithFQDNs(e.fqdns))
	}
	res, err := policy.Resolve(set, peps, pids, e.ids, opts...)
	if err != nil {
		return fmt.Errorf("resolve policies: %w", err)
	}

	eps := map[uint16]maps.EndpointPolicy{}
	var rules []maps.Rule
	names := map[uint32][]string{}
	for epID, ep := range res.Endpoints {
		mp := maps.EndpointPolicy{Flags: endpointFlags(ep)}
		for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
			if !ep.Enforced(dir) {
				continue
			}
			id := e.ruleID(fmt.Sprintf("default/%d", epID), int(dir))
			mp.DefaultRule[dir] = id
			names[id] = ep.Policies(dir)
		}
		eps[epID] = mp
		for _, en := range ep.Entries {
			id := e.ruleID(en.Policy, en.Rule)
			names[id] = []string{en.Policy}
			rules = append(rules, maps.Rule{
				EndpointID: epID, Egress: en.Direction == policy.Egress, Identity: en.RemoteIdentity,
				Proto: en.Proto, PortLo: en.PortLo, PortHi: en.PortHi, Deny: en.Deny, Audit: en.Audit, RuleID: id,
				Proxy: uint8(en.L7.Parser()),
			})
		}
	}
	// CIDR identities go into the ipcache before any rule refers to them;
	// those the previous revision installed are there already.
	installed := make(map[policy.CIDRIdentity]bool, len(e.cidrs))
	for _, c := range e.cidrs {
		installed[c] = true
	}
	for _, c := range res.CIDRs {
		if installed[c] {
			continue
		}
		if err := e.ipcache.Upsert(c.Prefix, c.Identity); err != nil {
			return err
		}
	}
	// Rule ids are stable per policy rule, and names of earlier revisions
	// stay known: events of the old revision may still be in flight.
	merged := map[uint32][]string{}
	for k, v := range *e.names.Load() {
		merged[k] = v
	}
	for k, v := range names {
		merged[k] = v
	}
	e.names.Store(&merged)
	if err := e.maps.Apply(e.revision+1, eps, rules); err != nil {
		return err
	}
	e.revision++
	e.state, e.result = res.Endpoints, res
	e.releaseCIDRs(res.CIDRs)
	if err := e.ids.Flush(); err != nil {
		return err
	}
	took := time.Since(start)
	e.applyLatency.Store(int64(took))
	if e.installed != nil {
		e.installed(took)
	}
	e.log.Info("policy revision installed", "revision", e.revision, "policies", len(set), "rules", len(rules), "took", time.Since(start))
	return nil
}

// releaseCIDRs drops the previous revision's hold on CIDR identities and
// removes ipcache entries no rule needs any more.
func (e *Enforcer) releaseCIDRs(current []policy.CIDRIdentity) {
	keep := map[netip.Prefix]bool{}
	for _, c := range current {
		keep[c.Prefix] = true
	}
	for _, c := range e.cidrs {
		if !keep[c.Prefix] {
			if err := e.ipcache.Delete(c.Prefix); err != nil {
				e.log.Warn("remove cidr from ipcache", "prefix", c.Prefix, "error", err)
			}
		}
		if err := e.ids.Release(c.Identity); err != nil {
			e.log.Warn("release cidr identity", "identity", c.Identity, "error", err)
		}
	}
	e.cidrs = current
}

func (e *Enforcer) ruleID(pol string, rule int) uint32 {
	key := fmt.Sprintf("%s#%d", pol, rule)
	if id, ok := e.ruleIDs[key]; ok {
		return id
	}
	id := e.nextRule
	e.nextRule++
	e.ruleIDs[key] = id
	return id
}

func endpointFlags(ep policy.EndpointPolicy) uint32 {
	var f uint32
	if ep.IngressEnforced {
		f |= maps.PolicyIngress
	}
	if ep.EgressEnforced {
		f |= maps.PolicyEgress
	}
	if ep.IngressAudit {
		f |= maps.PolicyIngressAudit
	}
	if ep.EgressAudit {
		f |= maps.PolicyEgressAudit
	}
	return f
}

// PolicyNames names the policy behind a rule id, for flows.
func (e *Enforcer) PolicyNames(ruleID uint32) []string { return (*e.names.Load())[ruleID] }

// Revision returns the installed revision.
func (e *Enforcer) Revision() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.revision
}

// EndpointState says, per direction, "off", "enforced" or "audit".
func (e *Enforcer) EndpointState(id uint16) (ingress, egress string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ep := e.state[id]
	return mode(ep.IngressEnforced, ep.IngressAudit), mode(ep.EgressEnforced, ep.EgressAudit)
}

func mode(enforced, audit bool) string {
	switch {
	case audit:
		return "audit"
	case enforced:
		return "enforced"
	}
	return "off"
}

// Policies returns the set, by key.
func (e *Enforcer) Policies() ([]*policy.Policy, map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*policy.Policy, 0, len(e.policies))
	files := map[string]string{}
	for _, k := range sortedKeys(e.policies) {
		out = append(out, e.policies[k])
		files[k] = e.sources[k].File
	}
	return out, files
}

// Document returns the YAML document a policy was written in, from the
// file it was applied with.
func (e *Enforcer) Document(p *policy.Policy) string {
	e.mu.Lock()
	src := e.sources[p.Key()]
	e.mu.Unlock()
	return documentAt(src.Content, p.Line)
}

// documentAt is the "---"-separated YAML document of content holding line
// (1-based).
func documentAt(content []byte, line int) string {
	lines := strings.SplitAfter(string(content), "\n")
	start, end := 0, len(lines)
	for i, l := range lines {
		if strings.TrimRight(l, " \t\r\n") != "---" {
			continue
		}
		if i+1 < line {
			start = i + 1
		} else {
			end = i
			break
		}
	}
	if start > end {
		return ""
	}
	return strings.TrimSpace(strings.Join(lines[start:end], "")) + "\n"
}

func (e *Enforcer) saveLocked() error {
	data, err := json.Marshal(e.sources)
	if err != nil {
		return fmt.Errorf("encode policy state: %w", err)
	}
	return statefile.Write(e.statePath, data)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
