package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/relay/peers"
)

func TestRelayFlags(t *testing.T) {
	certs := t.TempDir()
	ca, err := mtls.LoadOrCreateCA(certs)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.IssueClient(certs, mtls.RelayName); err != nil {
		t.Fatal(err)
	}
	tls := mtls.Files{Cert: certs + "/relay.crt", Key: certs + "/relay.key", CA: certs + "/" + mtls.CACert}
	base := relayOptions{listen: defaultRelayServer, sortWindow: 1000, sortDelay: 100 * time.Millisecond}
	with := func(f func(*relayOptions)) relayOptions {
		o := base
		f(&o)
		return o
	}
	cases := []struct {
		name              string
		o                 relayOptions
		err               string // part of the usage error
		static, discovery []peers.Peer
	}{
		{"loopback and socket peers, plaintext", with(func(o *relayOptions) {
			o.peers = []string{"a=127.0.0.1:4244", "b=unix:///run/b.sock"}
			o.peerService = []string{"[::1]:4244"}
		}), "",
			[]peers.Peer{{Name: "a", Address: "127.0.0.1:4244"}, {Name: "b", Address: "unix:///run/b.sock"}},
			[]peers.Peer{{Address: "[::1]:4244"}}},
		{"with TLS every TCP peer is verified by name", with(func(o *relayOptions) {
			o.tls = tls
			o.peers = []string{"a=10.0.0.1:4244", "b=unix:///run/b.sock"}
			o.peerService = []string{"10.0.0.2:4244", "c=10.0.0.3:4244"}
		}), "",
			[]peers.Peer{{Name: "a", Address: "10.0.0.1:4244", TLSServerName: "a"}, {Name: "b", Address: "unix:///run/b.sock"}},
			[]peers.Peer{{Address: "10.0.0.2:4244", TLSServerName: "10.0.0.2"}, {Name: "c", Address: "10.0.0.3:4244", TLSServerName: "c"}}},
		{"plaintext to another machine", with(func(o *relayOptions) { o.peers = []string{"a=10.0.0.1:4244"} }), "--peers \"a=10.0.0.1:4244\": plaintext", nil, nil},
		{"peer service off loopback", with(func(o *relayOptions) { o.peerService = []string{"10.0.0.1:4244"} }), "--peer-service", nil, nil},
		{"a peer without a name", with(func(o *relayOptions) { o.peers = []string{"127.0.0.1:4244"} }), "want NAME=ADDRESS", nil, nil},
		{"a peer twice", with(func(o *relayOptions) { o.peers = []string{"a=127.0.0.1:1", "a=127.0.0.1:2"} }), "given twice", nil, nil},
		{"no nodes", base, "no nodes", nil, nil},
		{"listen off loopback", with(func(o *relayOptions) { o.listen = ":4245"; o.peers = []string{"a=127.0.0.1:1"} }), "--listen :4245", nil, nil},
		{"empty window", with(func(o *relayOptions) { o.sortWindow = 0; o.peers = []string{"a=127.0.0.1:1"} }), "--sort-window 0", nil, nil},
		{"half the TLS flags", with(func(o *relayOptions) { o.tls.Cert = "x"; o.peers = []string{"a=127.0.0.1:1"} }), "go together", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.o.config()
			if tc.err != "" {
				var ue *usageError
				if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want a usage error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(cfg.Peers.Static, tc.static); diff != "" {
				t.Errorf("static peers (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(cfg.Peers.Services, tc.discovery); diff != "" {
				t.Errorf("peer services (-got +want):\n%s", diff)
			}
		})
	}
}
