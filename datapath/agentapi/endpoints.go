// Package agentapi serves the Agent gRPC API: endpoints, identities and
// policies of this node.
package agentapi

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/enforce"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/policy"
)

// Server implements agentpb.AgentServer.
type Server struct {
	agentpb.UnimplementedAgentServer
	m   *endpoint.Manager
	ids *identity.Allocator
	enf *enforce.Enforcer
}

// NewServer serves the endpoints, identities and policies of the node.
func NewServer(m *endpoint.Manager, ids *identity.Allocator, enf *enforce.Enforcer) *Server {
	return &Server{m: m, ids: ids, enf: enf}
}

// CreateEndpoint registers a workload.
func (s *Server) CreateEndpoint(_ context.Context, req *agentpb.CreateEndpointRequest) (*agentpb.Endpoint, error) {
	spec := endpoint.Spec{Namespace: req.GetNamespace(), Workload: req.GetWorkload(), Labels: req.GetLabels(), Interface: req.GetInterfaceName(), Netns: req.GetNetns()}
	for _, a := range req.GetAddresses() {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "address %q: not an IP address", a)
		}
		spec.Addresses = append(spec.Addresses, ip)
	}
	ep, err := s.m.Create(spec)
	if err != nil {
		return nil, grpcError(err)
	}
	// A new endpoint (and perhaps a new identity) changes what every
	// policy selects.
	if err := s.enf.Resolve(); err != nil {
		return nil, status.Errorf(codes.Internal, "enforce policy for the new endpoint: %v", err)
	}
	return s.toProto(ep), nil
}

// DeleteEndpoint removes a workload.
func (s *Server) DeleteEndpoint(_ context.Context, req *agentpb.DeleteEndpointRequest) (*agentpb.DeleteEndpointResponse, error) {
	if err := s.m.Delete(req.GetNamespace(), req.GetWorkload()); err != nil {
		return nil, grpcError(err)
	}
	if err := s.enf.Resolve(); err != nil {
		return nil, status.Errorf(codes.Internal, "enforce policy without the endpoint: %v", err)
	}
	return &agentpb.DeleteEndpointResponse{}, nil
}

// ListEndpoints lists the node's workloads.
func (s *Server) ListEndpoints(context.Context, *agentpb.ListEndpointsRequest) (*agentpb.ListEndpointsResponse, error) {
	resp := &agentpb.ListEndpointsResponse{}
	for _, ep := range s.m.List() {
		resp.Endpoints = append(resp.Endpoints, s.toProto(ep))
	}
	return resp, nil
}

// ListIdentities lists reserved and allocated identities with their users.
func (s *Server) ListIdentities(context.Context, *agentpb.ListIdentitiesRequest) (*agentpb.ListIdentitiesResponse, error) {
	users := map[uint32]uint32{}
	for _, ep := range s.m.List() {
		users[ep.Identity]++
	}
	resp := &agentpb.ListIdentitiesResponse{}
	for _, id := range s.ids.List() {
		resp.Identities = append(resp.Identities, &agentpb.Identity{
			Id: id.ID, Labels: slices.Clone(id.Labels), Reserved: identity.IsReserved(id.ID), Endpoints: users[id.ID],
		})
	}
	return resp, nil
}

func (s *Server) toProto(ep endpoint.Endpoint) *agentpb.Endpoint {
	out := &agentpb.Endpoint{
		Id: uint32(ep.ID), Namespace: ep.Namespace, Workload: ep.Workload, Labels: ep.Labels,
		Identity: ep.Identity, InterfaceName: ep.Interface, InterfaceIndex: uint32(ep.Ifindex),
		Netns: ep.Netns, State: "ready", AttachMode: ep.AttachMode,
	}
	out.PolicyIngress, out.PolicyEgress = s.enf.EndpointState(ep.ID)
	out.PolicyRevision = s.enf.Revision()
	for _, a := range ep.Addresses {
		out.Addresses = append(out.Addresses, a.String())
	}
	return out
}

func grpcError(err error) error {
	switch {
	case errors.Is(err, endpoint.ErrInvalid), errors.Is(err, policy.ErrInvalidPolicy):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, endpoint.ErrNotFound), errors.Is(err, enforce.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
