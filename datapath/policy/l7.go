package policy

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// L7Parser names the protocol an L7-policed port carries; the node's proxy
// has one listener per parser.
type L7Parser uint8

const (
	L7None  L7Parser = iota
	L7HTTP           // HTTP/1.1 and HTTP/2 (gRPC included)
	L7DNS            // DNS over UDP and TCP
	L7Kafka          // the Kafka wire protocol
)

func (p L7Parser) String() string {
	switch p {
	case L7HTTP:
		return "http"
	case L7DNS:
		return "dns"
	case L7Kafka:
		return "kafka"
	}
	return "none"
}

// L7Rules restrict what a port that a rule allows may carry, as Cilium's
// toPorts[].rules do. Exactly one of the lists is set. An empty rule in a
// list ({}) matches every request: `http: [{}]` gives visibility (every
// request becomes a flow) without restricting anything.
type L7Rules struct {
	HTTP  []HTTPRule
	DNS   []DNSRule
	Kafka []KafkaRule
}

// Parser is the protocol the rules are about.
func (r *L7Rules) Parser() L7Parser {
	switch {
	case r == nil:
		return L7None
	case len(r.HTTP) > 0:
		return L7HTTP
	case len(r.DNS) > 0:
		return L7DNS
	case len(r.Kafka) > 0:
		return L7Kafka
	}
	return L7None
}

// HTTPRule matches a request when every field it sets matches. Method, Path
// and Host are RE2 expressions matched against the whole value (anchored),
// as in Cilium; Headers are "Name" (present) or "Name: value" (equal).
type HTTPRule struct {
	Method, Path, Host string
	Headers            []string

	method, path, host *regexp.Regexp
	headers            []headerMatch
}

type headerMatch struct {
	name, value string
	present     bool // only presence is required
}

// Matches reports whether a request is allowed by the rule.
func (r *HTTPRule) Matches(method, host, path string, h http.Header) bool {
	if r.method != nil && !r.method.MatchString(method) {
		return false
	}
	if r.path != nil && !r.path.MatchString(path) {
		return false
	}
	if r.host != nil && !r.host.MatchString(host) {
		return false
	}
	for _, m := range r.headers {
		vs, ok := h[http.CanonicalHeaderKey(m.name)]
		if !ok {
			return false
		}
		if m.present {
			continue
		}
		found := false
		for _, v := range vs {
			if v == m.value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// compile prepares the rule; problems are returned as messages naming the
// field.
func (r *HTTPRule) compile() []string {
	var bad []string
	re := func(field, expr string) *regexp.Regexp {
		if expr == "" {
			return nil
		}
		c, err := regexp.Compile("^(?:" + expr + ")$")
		if err != nil {
			bad = append(bad, field+": "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			return nil
		}
		return c
	}
	r.method, r.path, r.host = re("method", r.Method), re("path", r.Path), re("host", r.Host)
	r.headers = nil
	for _, h := range r.Headers {
		name, value, hasValue := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if name == "" {
			bad = append(bad, "headers: "+`"`+h+`": want "Name" or "Name: value"`)
			continue
		}
		r.headers = append(r.headers, headerMatch{name: name, value: strings.TrimSpace(value), present: !hasValue})
	}
	return bad
}

// DNSRule matches query names: MatchName exactly, MatchPattern with '*'
// standing for any run of name characters within one label ("*.example.com"
// matches "api.example.com", not "example.com" nor "a.b.example.com"); a
// lone "*" matches every name. Names compare case-insensitively and with or
// without the trailing dot. An empty rule matches every name.
type DNSRule struct {
	MatchName, MatchPattern string

	pattern *NamePattern
}

// Matches reports whether a query name is allowed by the rule.
func (r *DNSRule) Matches(name string) bool {
	if r.MatchName == "" && r.MatchPattern == "" {
		return true
	}
	if r.MatchName != "" && CanonicalName(r.MatchName) == CanonicalName(name) {
		return true
	}
	return r.pattern != nil && r.pattern.Matches(name)
}

// KafkaRule matches Kafka requests by role (produce: Produce; consume:
// Fetch, ListOffsets, OffsetCommit, OffsetFetch and the consumer-group
// calls), or by API key names (Produce, Fetch, ...), and by topic and client
// id when set. Requests every client makes (ApiVersions, Metadata,
// FindCoordinator...) are allowed by any role. An empty rule matches every
// request.
type KafkaRule struct {
	Role     string // "produce" or "consume"; "" for any
	APIKey   string // a Kafka API key name; "" for any
	Topic    string // "" for any
	ClientID string // "" for any
}

// Kafka API keys the roles are made of (Kafka protocol numbers).
const (
	KafkaProduce         int16 = 0
	KafkaFetch           int16 = 1
	KafkaListOffsets     int16 = 2
	KafkaMetadata        int16 = 3
	KafkaOffsetCommit    int16 = 8
	KafkaOffsetFetch     int16 = 9
	KafkaFindCoordinator int16 = 10
	KafkaJoinGroup       int16 = 11
	KafkaHeartbeat       int16 = 12
	KafkaLeaveGroup      int16 = 13
	KafkaSyncGroup       int16 = 14
	KafkaApiVersions     int16 = 18
	KafkaInitProducerID  int16 = 22
	KafkaDescribeCluster int16 = 60
	// Client telemetry (KIP-714): franz-go asks on every new connection.
	KafkaGetTelemetrySubscriptions int16 = 71
	KafkaPushTelemetry             int16 = 72
)

// kafkaCommon are the calls every client makes before it produces or
// consumes; both roles allow them.
var kafkaCommon = []int16{KafkaMetadata, KafkaApiVersions, KafkaFindCoordinator, KafkaDescribeCluster,
	KafkaGetTelemetrySubscriptions, KafkaPushTelemetry}

var kafkaRoles = map[string][]int16{
	"produce": {KafkaProduce, KafkaInitProducerID},
	"consume": {KafkaFetch, KafkaListOffsets, KafkaOffsetCommit, KafkaOffsetFetch,
		KafkaJoinGroup, KafkaHeartbeat, KafkaLeaveGroup, KafkaSyncGroup},
}

// KafkaAPIKeys names the API keys rules may name.
var KafkaAPIKeys = map[string]int16{
	"produce": KafkaProduce, "fetch": KafkaFetch, "listoffsets": KafkaListOffsets, "metadata": KafkaMetadata,
	"offsetcommit": KafkaOffsetCommit, "offsetfetch": KafkaOffsetFetch, "findcoordinator": KafkaFindCoordinator,
	"joingroup": KafkaJoinGroup, "heartbeat": KafkaHeartbeat, "leavegroup": KafkaLeaveGroup,
	"syncgroup": KafkaSyncGroup, "apiversions": KafkaApiVersions, "initproducerid": KafkaInitProducerID,
}

// Matches reports whether a request with an API key, topic ("" for a
// request that names none) and client id is allowed by the rule.
func (r *KafkaRule) Matches(apiKey int16, topic, clientID string) bool {
	if r.ClientID != "" && r.ClientID != clientID {
		return false
	}
	if r.APIKey != "" && KafkaAPIKeys[strings.ToLower(r.APIKey)] != apiKey {
		return false
	}
	if r.Role != "" {
		keys := kafkaRoles[strings.ToLower(r.Role)]
		if !containsKey(keys, apiKey) && !containsKey(kafkaCommon, apiKey) {
			return false
		}
	}
	return r.Topic == "" || topic == "" || r.Topic == topic
}

func containsKey(keys []int16, k int16) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// CanonicalName lower-cases a DNS name and ends it with a dot.
func CanonicalName(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// NamePattern is a DNS name with '*' wildcards, as Cilium's matchPattern.
type NamePattern struct {
	Text string
	re   *regexp.Regexp
	all  bool
}

// validNamePattern is what a pattern may contain: name characters, dots and
// stars.
var validNamePattern = regexp.MustCompile(`^[-a-zA-Z0-9_.*]+$`)

// CompileNamePattern checks a pattern; the error text suits a policy
// message.
func CompileNamePattern(p string) (*NamePattern, string) {
	if p == "*" {
		return &NamePattern{Text: p, all: true}, ""
	}
	if !validNamePattern.MatchString(p) {
		return nil, "want a DNS name with '*' wildcards, like *.example.com"
	}
	parts := strings.Split(strings.TrimSuffix(CanonicalName(p), "."), "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re := regexp.MustCompile("^" + strings.Join(parts, "[-a-z0-9_]*") + `\.$`)
	return &NamePattern{Text: p, re: re}, ""
}

// Matches reports whether a name matches the pattern.
func (p *NamePattern) Matches(name string) bool {
	if p.all {
		return true
	}
	return p.re.MatchString(CanonicalName(name))
}

// FQDNSelector selects the addresses DNS answered for names: toFQDNs in an
// egress rule. The node's DNS proxy learns them; the policy allows them
// until their TTL runs out.
type FQDNSelector struct {
	MatchName    string
	MatchPattern string

	pattern *NamePattern
}

// Matches reports whether a name is selected.
func (s *FQDNSelector) Matches(name string) bool {
	if s.MatchName != "" && CanonicalName(s.MatchName) == CanonicalName(name) {
		return true
	}
	return s.pattern != nil && s.pattern.Matches(name)
}

// String is the selector as written, for messages and identity labels.
func (s *FQDNSelector) String() string {
	if s.MatchName != "" {
		return "matchName:" + CanonicalName(s.MatchName)
	}
	return "matchPattern:" + s.MatchPattern
}

// L7Set is the L7 policy of one direction of one endpoint for a remote
// identity and port: the union of the rules of every allow entry that
// matches. AllowAll is set when some matching allow has no L7 rules (then
// the port is open at L7, as in Cilium, and the proxy only observes).
type L7Set struct {
	AllowAll bool
	Grants   []L7Grant
}

// L7Grant is one rule's L7 rules.
type L7Grant struct {
	Policy string // the policy's key
	Rule   string // "namespace/name egress[0]"
	Rules  *L7Rules
}

// Allows reports whether some grant's rules match (match is asked per
// grant), with the keys of the policies that allowed.
func (s *L7Set) Allows(match func(*L7Rules) bool) (bool, []string) {
	if s.AllowAll {
		return true, s.PolicyNames()
	}
	var names []string
	for _, g := range s.Grants {
		if match(g.Rules) {
			names = append(names, g.Policy)
		}
	}
	return len(names) > 0, names
}

// PolicyNames are the keys of the policies with grants in the set.
func (s *L7Set) PolicyNames() []string {
	var out []string
	for _, g := range s.Grants {
		if !slices.Contains(out, g.Policy) {
			out = append(out, g.Policy)
		}
	}
	return out
}

// Parser is the protocol of the set's rules (the first grant's); L7None
// for a nil set.
func (s *L7Set) Parser() L7Parser {
	if s == nil {
		return L7None
	}
	for _, g := range s.Grants {
		if p := g.Rules.Parser(); p != L7None {
			return p
		}
	}
	return L7None
}
