package mtls

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIsLocal(t *testing.T) {
	for addr, want := range map[string]bool{
		"unix:///var/run/loupe/loupe.sock": true,
		"unix:rel.sock":                    true,
		"127.0.0.1:4244":                   true,
		"127.9.9.9:1":                      true,
		"[::1]:4244":                       true,
		"localhost:4245":                   true,
		":4244":                            false,
		"0.0.0.0:4244":                     false,
		"[::]:4244":                        false,
		"10.0.0.1:4244":                    false,
		"node-a:4244":                      false,
		"127.0.0.1":                        false, // no port: not an address
	} {
		if got := IsLocal(addr); got != want {
			t.Errorf("IsLocal(%q) = %v, want %v", addr, got, want)
		}
	}
}

func issue(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.IssueServer(dir, "node-a"); err != nil {
		t.Fatal(err)
	}
	if err := ca.IssueClient(dir, RelayName); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKeysAreNotWorldReadable(t *testing.T) {
	dir := issue(t)
	for _, f := range []string{CAKey, "node-a.key", "relay.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, st.Mode().Perm())
		}
	}
}

func TestLoadOrCreateKeepsTheCA(t *testing.T) {
	dir := issue(t)
	before, _ := os.ReadFile(filepath.Join(dir, CACert))
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.IssueServer(dir, "node-b"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, CACert))
	if string(before) != string(after) {
		t.Fatal("the CA changed: certificates issued before no longer chain to it")
	}
	// node-b, issued by the reloaded CA, is accepted by a relay that trusts it.
	if err := handshake(t, dir, "node-b", "node-b", true); err != nil {
		t.Fatalf("node-b: %v", err)
	}
}

// handshake runs one TLS handshake between node's server config and the
// relay's client config (or a client without a certificate).
func handshake(t *testing.T, dir, node, serverName string, withClientCert bool) error {
	t.Helper()
	srvCfg, err := Files{Cert: filepath.Join(dir, node+".crt"), Key: filepath.Join(dir, node+".key"), CA: filepath.Join(dir, CACert)}.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	cliCfg, err := Files{Cert: filepath.Join(dir, "relay.crt"), Key: filepath.Join(dir, "relay.key"), CA: filepath.Join(dir, CACert)}.ClientConfig(serverName)
	if err != nil {
		t.Fatal(err)
	}
	if !withClientCert {
		cliCfg.Certificates = nil
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		srvErr <- c.(*tls.Conn).Handshake()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cliCfg}
	c, err := d.DialContext(ctx, "tcp", l.Addr().String())
	if err == nil {
		// TLS 1.3 clients learn of a refused certificate on their first read.
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c.Read(make([]byte, 1))
		var ne net.Error
		if errors.Is(err, io.EOF) || errors.As(err, &ne) && ne.Timeout() {
			err = nil // the server closed after a good handshake, or said nothing
		}
		c.Close()
	}
	return errors.Join(err, <-srvErr)
}

func TestMutualTLS(t *testing.T) {
	dir := issue(t)
	if err := handshake(t, dir, "node-a", "node-a", true); err != nil {
		t.Fatalf("relay to node-a by name: %v", err)
	}
	if err := handshake(t, dir, "node-a", "127.0.0.1", true); err != nil {
		t.Fatalf("relay to node-a by loopback address: %v", err)
	}
	if err := handshake(t, dir, "node-a", "node-b", true); err == nil {
		t.Fatal("node-a's certificate was accepted for node-b")
	}
	if err := handshake(t, dir, "node-a", "node-a", false); err == nil {
		t.Fatal("a client without a certificate was accepted")
	}
}

func TestIncompleteFiles(t *testing.T) {
	if _, err := (Files{Cert: "x"}).ServerConfig(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("got %v, want ErrIncomplete", err)
	}
}
