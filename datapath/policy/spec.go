package policy

import "github.com/loupe-dev/loupe/internal/yamlpos"

// The YAML shapes of the two accepted kinds. Every value a validator may
// refuse is a yamlpos.Value so that its problem names its line; parse.go
// turns these into Policy values, refusing the whole file on any problem.

type (
	str  = yamlpos.Value[string]
	flag = yamlpos.Value[bool]
)

// header is what every document starts with; the kind decides the rest.
type header struct {
	APIVersion str `yaml:"apiVersion"`
	Kind       str `yaml:"kind"`
}

type metadataSpec struct {
	Name        str               `yaml:"name"`
	Namespace   str               `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// selectorSpec is a Kubernetes LabelSelector, as Cilium and Kubernetes write it.
type selectorSpec struct {
	MatchLabels      yamlpos.Value[map[string]string] `yaml:"matchLabels"`
	MatchExpressions []yamlpos.Value[expressionSpec]  `yaml:"matchExpressions"`
}

type expressionSpec struct {
	Key      str                     `yaml:"key"`
	Operator str                     `yaml:"operator"`
	Values   []yamlpos.Value[string] `yaml:"values"`
}

// Native: apiVersion loupe.dev/v1, kind LoupeNetworkPolicy, with the
// vocabulary of CiliumNetworkPolicy.

type nativeDoc struct {
	APIVersion str                         `yaml:"apiVersion"`
	Kind       str                         `yaml:"kind"`
	Metadata   yamlpos.Value[metadataSpec] `yaml:"metadata"`
	Spec       yamlpos.Value[nativeSpec]   `yaml:"spec"`
}

type nativeSpec struct {
	Description       str                            `yaml:"description"`
	Audit             flag                           `yaml:"audit"`
	EndpointSelector  yamlpos.Value[selectorSpec]    `yaml:"endpointSelector"`
	Ingress           []yamlpos.Value[ingressSpec]   `yaml:"ingress"`
	IngressDeny       []yamlpos.Value[ingressSpec]   `yaml:"ingressDeny"`
	Egress            []yamlpos.Value[egressSpec]    `yaml:"egress"`
	EgressDeny        []yamlpos.Value[egressSpec]    `yaml:"egressDeny"`
	EnableDefaultDeny yamlpos.Value[defaultDenySpec] `yaml:"enableDefaultDeny"`
}

// defaultDenySpec is Cilium's switch for policies that should add rules
// without putting their endpoints into default deny (typically deny-only
// policies).
type defaultDenySpec struct {
	Ingress flag `yaml:"ingress"`
	Egress  flag `yaml:"egress"`
}

type ingressSpec struct {
	FromEndpoints []yamlpos.Value[selectorSpec] `yaml:"fromEndpoints"`
	FromCIDR      []str                         `yaml:"fromCIDR"`
	FromCIDRSet   []yamlpos.Value[cidrSetSpec]  `yaml:"fromCIDRSet"`
	FromEntities  []str                         `yaml:"fromEntities"`
	ToPorts       []yamlpos.Value[portRuleSpec] `yaml:"toPorts"`
	ICMPs         []yamlpos.Value[icmpRuleSpec] `yaml:"icmps"`
}

type egressSpec struct {
	ToEndpoints []yamlpos.Value[selectorSpec] `yaml:"toEndpoints"`
	ToCIDR      []str                         `yaml:"toCIDR"`
	ToCIDRSet   []yamlpos.Value[cidrSetSpec]  `yaml:"toCIDRSet"`
	ToEntities  []str                         `yaml:"toEntities"`
	ToFQDNs     []yamlpos.Value[fqdnSpec]     `yaml:"toFQDNs"`
	ToPorts     []yamlpos.Value[portRuleSpec] `yaml:"toPorts"`
	ICMPs       []yamlpos.Value[icmpRuleSpec] `yaml:"icmps"`
}

type cidrSetSpec struct {
	CIDR   str   `yaml:"cidr"`
	Except []str `yaml:"except"`
}

type portRuleSpec struct {
	Ports []yamlpos.Value[portSpec] `yaml:"ports"`
	Rules yamlpos.Value[l7Spec]     `yaml:"rules"`
}

// l7Spec is Cilium's toPorts[].rules: one protocol's list of rules.
type l7Spec struct {
	HTTP  []yamlpos.Value[httpRuleSpec]  `yaml:"http"`
	DNS   []yamlpos.Value[dnsRuleSpec]   `yaml:"dns"`
	Kafka []yamlpos.Value[kafkaRuleSpec] `yaml:"kafka"`
}

type httpRuleSpec struct {
	Method  str   `yaml:"method"`
	Path    str   `yaml:"path"`
	Host    str   `yaml:"host"`
	Headers []str `yaml:"headers"`
}

type dnsRuleSpec struct {
	MatchName    str `yaml:"matchName"`
	MatchPattern str `yaml:"matchPattern"`
}

type kafkaRuleSpec struct {
	Role     str `yaml:"role"`
	APIKey   str `yaml:"apiKey"`
	Topic    str `yaml:"topic"`
	ClientID str `yaml:"clientID"`
}

// fqdnSpec is one toFQDNs entry.
type fqdnSpec struct {
	MatchName    str `yaml:"matchName"`
	MatchPattern str `yaml:"matchPattern"`
}

// portSpec serves both kinds: Cilium writes port as a string ("80"),
// Kubernetes as a number; both decode into a string and are parsed after.
type portSpec struct {
	Port     str                `yaml:"port"`
	EndPort  yamlpos.Value[int] `yaml:"endPort"`
	Protocol str                `yaml:"protocol"`
}

type icmpRuleSpec struct {
	Fields []yamlpos.Value[icmpFieldSpec] `yaml:"fields"`
}

type icmpFieldSpec struct {
	Type   str `yaml:"type"`
	Family str `yaml:"family"`
}

// Kubernetes: apiVersion networking.k8s.io/v1, kind NetworkPolicy.

type k8sDoc struct {
	APIVersion str                         `yaml:"apiVersion"`
	Kind       str                         `yaml:"kind"`
	Metadata   yamlpos.Value[metadataSpec] `yaml:"metadata"`
	Spec       yamlpos.Value[k8sSpec]      `yaml:"spec"`
}

type k8sSpec struct {
	PodSelector yamlpos.Value[selectorSpec]     `yaml:"podSelector"`
	PolicyTypes []str                           `yaml:"policyTypes"`
	Ingress     []yamlpos.Value[k8sIngressSpec] `yaml:"ingress"`
	Egress      []yamlpos.Value[k8sEgressSpec]  `yaml:"egress"`
}

type k8sIngressSpec struct {
	From  []yamlpos.Value[k8sPeerSpec] `yaml:"from"`
	Ports []yamlpos.Value[portSpec]    `yaml:"ports"`
}

type k8sEgressSpec struct {
	To    []yamlpos.Value[k8sPeerSpec] `yaml:"to"`
	Ports []yamlpos.Value[portSpec]    `yaml:"ports"`
}

type k8sPeerSpec struct {
	PodSelector       yamlpos.Value[selectorSpec] `yaml:"podSelector"`
	NamespaceSelector yamlpos.Value[selectorSpec] `yaml:"namespaceSelector"`
	IPBlock           yamlpos.Value[cidrSetSpec]  `yaml:"ipBlock"`
}
