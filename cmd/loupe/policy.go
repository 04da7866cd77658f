package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/policy"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check network policies and explain what they do",
		Long: `Policies are YAML documents of kind LoupeNetworkPolicy (apiVersion loupe.dev/v1,
the vocabulary of CiliumNetworkPolicy) or Kubernetes NetworkPolicy
(networking.k8s.io/v1), several per file. See docs/policy.md.`,
	}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyExplainCmd())
	return cmd
}

// policyInput turns refused policy files into usage errors (exit code 2).
func policyInput(err error) error {
	if errors.Is(err, policy.ErrInvalidPolicy) {
		return badInput("%w", err)
	}
	return err
}

func newPolicyValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Parse and validate policy files without applying them",
		Long: `Parse and validate policy files (a directory stands for its *.yaml and *.yml
files). Each problem is reported as FILE:LINE: what is wrong; any problem
refuses the set, and the exit code is 2.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validatePolicies(cmd.OutOrStdout(), args)
		},
	}
}

func validatePolicies(out io.Writer, files []string) error {
	var problems []policy.Problem
	for _, f := range files {
		ps, err := policy.ParseFiles(f)
		var pe *policy.ParseError
		switch {
		case errors.As(err, &pe):
			problems = append(problems, pe.Problems...)
		case err != nil:
			return err
		default:
			fmt.Fprintf(out, "%s: %d %s OK\n", f, len(ps), plural(len(ps), "policy", "policies"))
		}
	}
	if len(problems) == 0 {
		// Each file is sound alone; the set must not define a policy twice.
		_, err := policy.ParseFiles(files...)
		return policyInput(err)
	}
	return policyInput(&policy.ParseError{Problems: problems})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type explainFlags struct {
	server          string
	policies        []string
	from, to        string
	fromNS, toNS    string
	port            string
	namespaceLabels []string
}

func newPolicyExplainCmd() *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain [--policies FILE...] --from PEER --to PEER --port PORT[/PROTO]",
		Short: "Trace a hypothetical connection through a policy set",
		Long: `Explain whether a new connection would be allowed, denied or audited, and by
which rule, or why by default. The sender's egress and the receiver's ingress
are both decided, with the same resolution the agent gives the datapath.

Without --policies the agent answers for the revision it enforces now, for
every pair of its endpoints the two label selectors pick. With --policies the
answer is computed offline from the files alone.

A PEER is a workload's labels (app=frontend,tier=web; its namespace from a
loupe.namespace= label, --from-namespace/--to-namespace, or "default"), the
entity "world" or "host", or an address outside the cluster. PORT/PROTO is
5432/tcp, 53/udp, 9/sctp, or for ICMP the type: 8/icmp, 128/icmpv6.`,
		Example: `  loupe policy explain --from app=frontend --to app=db --port 5432/tcp
  loupe policy explain --policies deploy/lab/policies/shop.yaml \
    --from app=frontend --from-namespace shop --to app=db --to-namespace shop --port 5432/tcp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.policies) == 0 {
				return explainOnline(cmd, f)
			}
			return explainOffline(cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.policies, "policies", nil, "policy files or directories (repeatable); without them, ask the agent")
	fl.StringVar(&f.server, "server", defaultServer, serverFlagHelp)
	fl.StringVar(&f.from, "from", "", "the sender: labels, world, host or an address")
	fl.StringVar(&f.to, "to", "", "the receiver: labels, world, host or an address")
	fl.StringVar(&f.fromNS, "from-namespace", "", "the sender's namespace (default \"default\")")
	fl.StringVar(&f.toNS, "to-namespace", "", "the receiver's namespace (default \"default\")")
	fl.StringVar(&f.port, "port", "", "destination PORT[/PROTO] (tcp by default), or TYPE/icmp")
	fl.StringSliceVar(&f.namespaceLabels, "namespace-labels", nil, "NAMESPACE:k=v[;k=v] labels for namespaceSelectors (repeatable)")
	return cmd
}

func explainOffline(out io.Writer, f explainFlags) error {
	if len(f.policies) == 0 {
		return badInput("--policies is required: the policy files to explain against")
	}
	from, err := parseParty("from", f.from, f.fromNS)
	if err != nil {
		return err
	}
	to, err := parseParty("to", f.to, f.toNS)
	if err != nil {
		return err
	}
	proto, port, err := parsePortProto(f.port)
	if err != nil {
		return err
	}
	nsLabels, err := parseNamespaceLabels(f.namespaceLabels)
	if err != nil {
		return err
	}
	policies, err := policy.ParseFiles(f.policies...)
	if err != nil {
		return policyInput(err)
	}
	v, _, err := policy.WhatIf(policies, from, to, proto, port, policy.WithNamespaceLabels(nsLabels))
	if err != nil {
		return badInput("%w", err)
	}
	printVerdict(out, policies, from, to, v)
	return nil
}

func printVerdict(out io.Writer, policies []*policy.Policy, from, to policy.Party, v policy.Verdict) {
	fmt.Fprintf(out, "%s: %s -> %s\n", v.Outcome, from.Name(), to.Name())
	for _, s := range []struct {
		dir  string
		who  string
		step policy.Step
	}{{"egress", from.Name(), v.Egress}, {"ingress", to.Name(), v.Ingress}} {
		where := ""
		if loc := policy.Locate(policies, s.step.Entry); loc != "" {
			where = " (" + loc + ")"
		}
		verdict := "-"
		if s.step.Checked {
			verdict = s.step.Outcome.String()
		}
		fmt.Fprintf(out, "  %-7s %-7s %s%s\n", s.dir, verdict, s.step.Reason, where)
	}
}

// parseParty reads --from or --to.
func parseParty(flag, value, ns string) (policy.Party, error) {
	switch value {
	case "":
		return policy.Party{}, badInput("--%s is required: labels (app=db), world, host or an address", flag)
	case "world", "host":
		if ns != "" {
			return policy.Party{}, badInput("--%s-namespace: %s is not in a namespace", flag, value)
		}
		return policy.Party{Entity: policy.Entity(value)}, nil
	}
	if a, err := netip.ParseAddr(value); err == nil {
		return policy.Party{Addr: a}, nil
	}
	m := map[string]string{}
	for kv := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return policy.Party{}, badInput("--%s %q: want k=v[,k=v], world, host or an address", flag, value)
		}
		m[k] = v
	}
	if have, ok := m[labels.NamespaceKey]; ok && ns != "" && have != ns {
		return policy.Party{}, badInput("--%s says %s=%s but --%s-namespace says %s", flag, labels.NamespaceKey, have, flag, ns)
	}
	if _, ok := m[labels.NamespaceKey]; !ok {
		if ns == "" {
			ns = "default"
		}
		m[labels.NamespaceKey] = ns
	}
	set, err := labels.FromMap(m)
	if err != nil {
		return policy.Party{}, badInput("--%s: %v", flag, err)
	}
	return policy.Party{Labels: set}, nil
}

// parsePortProto reads --port: 5432, 5432/tcp, 53/udp, 8/icmp.
func parsePortProto(s string) (uint8, uint16, error) {
	if s == "" {
		return 0, 0, badInput("--port is required: PORT[/PROTO], like 5432/tcp or 8/icmp")
	}
	num, name, _ := strings.Cut(s, "/")
	protos := map[string]uint8{
		"": policy.ProtoTCP, "tcp": policy.ProtoTCP, "udp": policy.ProtoUDP, "sctp": policy.ProtoSCTP,
		"icmp": policy.ProtoICMP, "icmpv6": policy.ProtoICMPv6,
	}
	proto, ok := protos[strings.ToLower(name)]
	if !ok {
		return 0, 0, badInput("--port %q: protocol %q: want tcp, udp, sctp, icmp or icmpv6", s, name)
	}
	n, err := strconv.Atoi(num)
	limit := 65535
	if proto == policy.ProtoICMP || proto == policy.ProtoICMPv6 {
		limit = 255
	}
	low := 1
	if limit == 255 {
		low = 0
	}
	if err != nil || n < low || n > limit {
		return 0, 0, badInput("--port %q: want a number in %d-%d", s, low, limit)
	}
	return proto, uint16(n), nil
}

// parseNamespaceLabels reads --namespace-labels shop:team=web;env=prod.
func parseNamespaceLabels(list []string) (map[string]labels.Set, error) {
	out := map[string]labels.Set{}
	for _, item := range list {
		ns, kvs, ok := strings.Cut(item, ":")
		if !ok || ns == "" {
			return nil, badInput("--namespace-labels %q: want NAMESPACE:k=v[;k=v]", item)
		}
		m := map[string]string{}
		for kv := range strings.SplitSeq(kvs, ";") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, badInput("--namespace-labels %q: want NAMESPACE:k=v[;k=v]", item)
			}
			m[k] = v
		}
		set, err := labels.FromMap(m)
		if err != nil {
			return nil, badInput("--namespace-labels %q: %v", item, err)
		}
		out[ns] = set
	}
	return out, nil
}
