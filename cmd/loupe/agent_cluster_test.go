package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/loupe-dev/loupe/internal/mtls"
)

func TestAgentClusterFlags(t *testing.T) {
	dir := t.TempDir()
	ca, err := mtls.LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.IssueServer(dir, "n"); err != nil {
		t.Fatal(err)
	}
	tls := mtls.Files{Cert: dir + "/n.crt", Key: dir + "/n.key", CA: dir + "/" + mtls.CACert}
	cases := []struct {
		name string
		o    agentOptions
		err  string // part of the usage error; empty: valid
		addr string // the registry address for tcp 127.0.0.1:4244
	}{
		{"loopback plaintext", agentOptions{nodeName: "n", listen: "127.0.0.1:4244", clusterDir: "/d"}, "", "127.0.0.1:4244"},
		{"no listener: the socket", agentOptions{nodeName: "n", socket: "/s.sock", clusterDir: "/d"}, "", "unix:///s.sock"},
		{"plaintext off loopback", agentOptions{nodeName: "n", listen: "10.0.0.1:4244"}, "--listen 10.0.0.1:4244: plaintext is only allowed on loopback", ""},
		{"every interface without an address to advertise", agentOptions{nodeName: "n", listen: ":4244", clusterDir: "/d", tls: tls}, "--advertise-address", ""},
		{"every interface in plaintext", agentOptions{nodeName: "n", listen: "0.0.0.0:4244", clusterDir: "/d"}, "plaintext is only allowed on loopback", ""},
		{"half the TLS flags", agentOptions{nodeName: "n", listen: "127.0.0.1:1", tls: mtls.Files{Cert: "c"}}, "go together", ""},
		{"a node name that is no file name", agentOptions{nodeName: "../x", listen: "127.0.0.1:1", clusterDir: "/d"}, "--node-name", ""},
		{"advertised", agentOptions{nodeName: "n", listen: "127.0.0.1:4244", clusterDir: "/d", advertise: "node-n:4244"}, "", "node-n:4244"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.validateCluster()
			var ue *usageError
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("got %v, want a usage error with %q", err, tc.err)
			}
			if tc.addr != "" {
				tcp := "127.0.0.1:4244"
				if tc.o.listen == "" {
					tcp = ""
				}
				if got := tc.o.registryEntry(tcp).Address; got != tc.addr {
					t.Fatalf("registry address %q, want %q", got, tc.addr)
				}
			}
		})
	}
}
