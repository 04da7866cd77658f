package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	agentpb "github.com/loupe-dev/loupe/api/agent"
)

// Agent is the part of the agent's endpoint API the lab uses, as a container
// runtime or CNI plugin would. agentpb.NewAgentClient satisfies it.
type Agent interface {
	CreateEndpoint(ctx context.Context, in *agentpb.CreateEndpointRequest, opts ...grpc.CallOption) (*agentpb.Endpoint, error)
	DeleteEndpoint(ctx context.Context, in *agentpb.DeleteEndpointRequest, opts ...grpc.CallOption) (*agentpb.DeleteEndpointResponse, error)
}

// AgentDialer connects to the agent at addr; the closer ends the connection.
type AgentDialer func(addr string) (Agent, io.Closer, error)

// rpcTimeout bounds one endpoint call: the agent attaches programs while
// creating, which is quick, so a long wait means it is stuck.
const rpcTimeout = 10 * time.Second

// register tells the agent about one workload. Its host interface must exist
// already: the agent attaches the datapath to it before answering.
func register(ctx context.Context, a Agent, addr string, w *Workload) error {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	_, err := a.CreateEndpoint(ctx, &agentpb.CreateEndpointRequest{
		Namespace:     w.Namespace,
		Workload:      w.Name,
		Labels:        w.Labels,
		InterfaceName: w.HostIface,
		Addresses:     []string{w.IPv4.String(), w.IPv6.String()},
		Netns:         NetNSPath(w.NetNS),
	})
	if err == nil {
		return nil
	}
	hint := ""
	if c := status.Code(err); c == codes.Unavailable || c == codes.DeadlineExceeded {
		hint = " (is the agent running? start it with `loupe agent`, or run the lab without it: `loupe lab up --no-register`)"
	}
	return fmt.Errorf("register %s with the agent at %s: %w%s", w.ID(), addr, err, hint)
}

// deregister removes workloads from the agent, best-effort: the agent may be
// gone, and a lab must still come down. Failures are logged, not returned.
func (m *Manager) deregister(ctx context.Context, a Agent, addr string, ids []string) {
	for _, id := range ids {
		ns, name, _ := strings.Cut(id, "/")
		cctx, cancel := context.WithTimeout(ctx, rpcTimeout)
		_, err := a.DeleteEndpoint(cctx, &agentpb.DeleteEndpointRequest{Namespace: ns, Workload: name})
		cancel()
		switch {
		case err == nil || status.Code(err) == codes.NotFound:
		case status.Code(err) == codes.Unavailable || errors.Is(err, context.DeadlineExceeded):
			m.Log.Warn("agent unreachable, endpoints not deregistered", "agent", addr, "endpoints", len(ids), "err", err)
			return
		default:
			m.Log.Warn("deregister endpoint", "agent", addr, "endpoint", id, "err", err)
		}
	}
}
