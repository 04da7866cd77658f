package incident

import "strings"

// Kind describes one query: its name and the parameters it takes.
type Kind struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	By          []string `json:"by,omitempty"`
	DefaultBy   string   `json:"default_by,omitempty"`
	Sort        []string `json:"sort,omitempty"` // the first is the default
	// DefaultLimit is the row cap when the request gives none.
	DefaultLimit int `json:"default_limit"`
}

func (k Kind) byChoices() string {
	if len(k.By) == 0 {
		return k.Name + " has no by"
	}
	return oneOf(k.By)
}

// Kinds are the queries, in the order they are listed to users.
var Kinds = []Kind{serviceMapKind, topTalkersKind, dropsKind, dnsErrorsKind, httpKind}

var (
	serviceMapKind = Kind{
		Name:         "service-map",
		Description:  "edges between services with protocol, port, flows, bytes, packets and verdict counts, and the services they join",
		Sort:         []string{"flows", "bytes"},
		DefaultLimit: 1000,
	}
	topTalkersKind = Kind{
		Name:         "top-talkers",
		Description:  "the sources, pairs or ports that sent the most bytes or flows",
		By:           []string{"workload", "namespace", "pair", "port"},
		DefaultBy:    "workload",
		Sort:         []string{"bytes", "flows"},
		DefaultLimit: 20,
	}
	dropsKind = Kind{
		Name:         "drops",
		Description:  "dropped flows by reason, enforcing workload, node, namespace or port",
		By:           []string{"reason", "workload", "node", "namespace", "port"},
		DefaultBy:    "reason",
		DefaultLimit: 20,
	}
	dnsErrorsKind = Kind{
		Name:         "dns-errors",
		Description:  "DNS responses with an error rcode, by query name and rcode",
		DefaultLimit: 20,
	}
	httpKind = Kind{
		Name:         "http",
		Description:  "HTTP requests, 4xx and 5xx shares and p50/p95/p99 latency by service, method or status code",
		By:           []string{"service", "method", "code"},
		DefaultBy:    "service",
		DefaultLimit: 20,
	}
)

// KindNames lists the kinds' names.
func KindNames() []string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.Name
	}
	return names
}

// LookupKind finds a kind by name.
func LookupKind(name string) (Kind, error) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, nil
		}
	}
	return Kind{}, &ParamError{Param: "kind", Value: name, Reason: "want one of " + strings.Join(KindNames(), ", ")}
}
