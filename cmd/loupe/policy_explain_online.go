package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	agentpb "github.com/loupe-dev/loupe/api/agent"
	"github.com/loupe-dev/loupe/api/labels"
)

var protocolNames = map[uint8]string{6: "tcp", 17: "udp", 132: "sctp", 1: "icmp", 58: "icmpv6"}

// explainOnline asks the agent about its enforced revision.
func explainOnline(cmd *cobra.Command, f explainFlags) error {
	from, err := onlineSelector("from", f.from, f.fromNS)
	if err != nil {
		return err
	}
	to, err := onlineSelector("to", f.to, f.toNS)
	if err != nil {
		return err
	}
	proto, port, err := parsePortProto(f.port)
	if err != nil {
		return err
	}
	c, done, err := policyClient(f.server)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
	defer cancel()
	resp, err := c.ExplainPolicy(ctx, &agentpb.ExplainPolicyRequest{From: from, To: to, Protocol: protocolNames[proto], Port: uint32(port)})
	if err != nil {
		return agentError(err)
	}
	out := cmd.OutOrStdout()
	for _, x := range resp.GetExplanations() {
		fmt.Fprintf(out, "%s: %s -> %s\n  %s\n", strings.ToUpper(x.GetVerdict()), x.GetFrom(), x.GetTo(), x.GetReason())
	}
	return nil
}

// onlineSelector checks --from/--to as a label selector (or world, host),
// narrowed to a namespace when one is given.
func onlineSelector(flag, value, ns string) (string, error) {
	switch value {
	case "":
		return "", badInput("--%s is required: a label selector (app=db), world or host", flag)
	case "world", "host":
		return value, nil
	}
	if ns != "" {
		value += "," + labels.NamespaceKey + "=" + ns
	}
	if _, err := labels.ParseSelector(value); err != nil {
		return "", badInput("--%s: %v", flag, err)
	}
	return value, nil
}
