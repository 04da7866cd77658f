package enforce

import (
	"fmt"
	"slices"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// Explanation is the verdict on a connection between two known parties.
type Explanation struct {
	From, To string
	Verdict  policy.Verdict
}

// Explain answers, for the revision the datapath enforces now, what happens
// to a new connection from every endpoint matching from to every endpoint
// matching to. A side may also be "world" or "host".
func (e *Enforcer) Explain(from, to string, proto uint8, port uint16) ([]Explanation, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.result == nil {
		return nil, fmt.Errorf("no policy revision installed yet")
	}
	froms, err := e.parties(from)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	tos, err := e.parties(to)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	var out []Explanation
	for _, f := range froms {
		for _, t := range tos {
			if f.Local && t.Local && f.Endpoint == t.Endpoint {
				continue
			}
			out = append(out, Explanation{From: f.Name, To: t.Name, Verdict: policy.Explain(e.result, f, t, proto, port)})
		}
	}
	return out, nil
}

// parties resolves "world", "host" or a label selector over local endpoints.
func (e *Enforcer) parties(sel string) ([]policy.Peer, error) {
	switch sel {
	case "world":
		return []policy.Peer{{Name: "world", Identity: identity.World}}, nil
	case "host":
		return []policy.Peer{{Name: "host", Identity: identity.Host}}, nil
	}
	s, err := labels.ParseSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", policy.ErrInvalidPolicy, err)
	}
	var out []policy.Peer
	for _, ep := range e.eps.List() {
		ls, _ := e.ids.Labels(ep.Identity)
		if s.Matches(ls) {
			out = append(out, policy.Peer{Name: ep.Namespace + "/" + ep.Workload, Local: true, Endpoint: ep.ID, Identity: ep.Identity})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: selector %q matches no endpoint", ErrNotFound, sel)
	}
	slices.SortFunc(out, func(a, b policy.Peer) int { return int(a.Endpoint) - int(b.Endpoint) })
	return out, nil
}
