package agentapi

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentpb "github.com/loupe-dev/loupe/api/agent"
)

// ApplyPolicy installs a file's policies and answers with the revision the
// datapath now enforces.
func (s *Server) ApplyPolicy(_ context.Context, req *agentpb.ApplyPolicyRequest) (*agentpb.PolicyRevision, error) {
	rev, keys, err := s.enf.Apply(req.GetFile(), req.GetContent())
	if err != nil {
		return nil, grpcError(err)
	}
	return &agentpb.PolicyRevision{Revision: rev, Policies: keys}, nil
}

// DeletePolicy removes one policy.
func (s *Server) DeletePolicy(_ context.Context, req *agentpb.DeletePolicyRequest) (*agentpb.PolicyRevision, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "policy name is required")
	}
	rev, err := s.enf.Delete(req.GetNamespace(), req.GetName())
	if err != nil {
		return nil, grpcError(err)
	}
	return &agentpb.PolicyRevision{Revision: rev, Policies: []string{req.GetNamespace() + "/" + req.GetName()}}, nil
}

// ListPolicies lists the enforced set.
func (s *Server) ListPolicies(context.Context, *agentpb.ListPoliciesRequest) (*agentpb.ListPoliciesResponse, error) {
	ps, files := s.enf.Policies()
	resp := &agentpb.ListPoliciesResponse{Revision: s.enf.Revision()}
	for _, p := range ps {
		resp.Policies = append(resp.Policies, &agentpb.Policy{
			Namespace: p.Namespace, Name: p.Name, Kind: p.Kind.String(), File: files[p.Key()],
			Source: s.enf.Document(p),
		})
	}
	return resp, nil
}

// ExplainPolicy traces hypothetical connections through the enforced set.
func (s *Server) ExplainPolicy(_ context.Context, req *agentpb.ExplainPolicyRequest) (*agentpb.ExplainPolicyResponse, error) {
	proto, ok := protocols[req.GetProtocol()]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "protocol %q: want tcp, udp, sctp, icmp or icmpv6", req.GetProtocol())
	}
	if req.GetPort() > 65535 {
		return nil, status.Errorf(codes.InvalidArgument, "port %d: want 0-65535", req.GetPort())
	}
	exps, err := s.enf.Explain(req.GetFrom(), req.GetTo(), proto, uint16(req.GetPort()))
	if err != nil {
		return nil, grpcError(err)
	}
	resp := &agentpb.ExplainPolicyResponse{}
	for _, x := range exps {
		resp.Explanations = append(resp.Explanations, &agentpb.Explanation{
			From: x.From, To: x.To, Verdict: strings.ToLower(x.Verdict.Outcome.String()), Reason: x.Verdict.Reason,
		})
	}
	return resp, nil
}

var protocols = map[string]uint8{"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58}
