package enforce

import (
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/api/labels"
	"github.com/loupe-dev/loupe/datapath/endpoint"
	"github.com/loupe-dev/loupe/datapath/identity"
	"github.com/loupe-dev/loupe/datapath/loader"
	"github.com/loupe-dev/loupe/datapath/maps"
	"github.com/loupe-dev/loupe/internal/testutil"
)

// twoEndpoints is a fixed node: shop/web and shop/db.
type twoEndpoints struct{ eps []endpoint.Endpoint }

func (t twoEndpoints) List() []endpoint.Endpoint { return t.eps }

const dbPolicy = `apiVersion: loupe.dev/v1
kind: LoupeNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: web}}]
      toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
    - fromCIDR: [192.0.2.0/24]
`

type fixture struct {
	objs  *loader.LoupeObjects
	state string
	ids   *identity.Allocator
	eps   twoEndpoints
}

func newFixture(t *testing.T) *fixture {
	dir := testutil.TempBPFFS(t)
	cfg := loader.DefaultConfig()
	cfg.PinDir = dir
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	objs, err := loader.Load(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	state := t.TempDir()
	ids, err := identity.NewAllocator(filepath.Join(state, "identities.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{objs: objs, state: state, ids: ids}
	for i, app := range []string{"web", "db"} {
		ls, _ := labels.FromMap(map[string]string{"app": app, labels.NamespaceKey: "shop"})
		id, err := ids.Acquire(ls)
		if err != nil {
			t.Fatal(err)
		}
		f.eps.eps = append(f.eps.eps, endpoint.Endpoint{ID: uint16(i + 1), Namespace: "shop", Workload: app, Identity: id,
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})}})
	}
	return f
}

func (f *fixture) enforcer(t *testing.T) *Enforcer {
	e, err := New(Config{
		StateDir: f.state, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Endpoints: f.eps, IDs: f.ids,
		Maps: maps.NewPolicyMaps(f.objs), IPCache: maps.NewIPCache(f.objs.Ipcache),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestApplyDeleteAndRestore(t *testing.T) {
	f := newFixture(t)
	e := f.enforcer(t)
	if err := e.Resolve(); err != nil {
		t.Fatal(err)
	}
	rev, keys, err := e.Apply("db.yaml", []byte(dbPolicy))
	if err != nil || len(keys) != 1 || keys[0] != "shop/db" {
		t.Fatalf("Apply = %d, %v, %v", rev, keys, err)
	}
	if _, active, _ := maps.NewPolicyMaps(f.objs).Active(); active != rev {
		t.Fatalf("datapath enforces revision %d, Apply said %d", active, rev)
	}
	if in, eg := e.EndpointState(2); in != "enforced" || eg != "off" {
		t.Fatalf("db enforcement = %s/%s, want enforced/off", in, eg)
	}
	if in, _ := e.EndpointState(1); in != "off" {
		t.Fatalf("web ingress = %s, want off", in)
	}
	// The CIDR rule put its prefix into the ipcache with a CIDR identity.
	var v loader.LoupeIpcacheValue
	k := maps.Key(netip.MustParsePrefix("192.0.2.0/24"))
	if err := f.objs.Ipcache.Lookup(&k, &v); err != nil || v.Identity < identity.MinLocal {
		t.Fatalf("ipcache 192.0.2.0/24 = %+v, %v", v, err)
	}

	// A file that does not parse changes nothing.
	if _, _, err := e.Apply("bad.yaml", []byte("kind: LoupeNetworkPolicy\nspec: {bogus: 1}\n")); err == nil {
		t.Fatal("a bad file was applied")
	}
	if got := e.Revision(); got != rev {
		t.Fatalf("revision %d after a refused file, was %d", got, rev)
	}

	// A restarted enforcer re-reads the set and continues the revision.
	e2 := f.enforcer(t)
	if err := e2.Resolve(); err != nil {
		t.Fatal(err)
	}
	if got := e2.Revision(); got != rev+1 {
		t.Fatalf("restarted enforcer at revision %d, want %d", got, rev+1)
	}
	if in, _ := e2.EndpointState(2); in != "enforced" {
		t.Fatal("restarted enforcer lost the policy")
	}

	if _, err := e2.Delete("shop", "db"); err != nil {
		t.Fatal(err)
	}
	if in, _ := e2.EndpointState(2); in != "off" {
		t.Fatal("db still enforced after the policy was deleted")
	}
	if err := f.objs.Ipcache.Lookup(&k, &v); err == nil {
		t.Fatal("the CIDR stayed in the ipcache after its policy was deleted")
	}
	if _, err := e2.Delete("shop", "db"); err == nil {
		t.Fatal("deleting a missing policy succeeded")
	}
}

func TestExplainAgainstTheEnforcedRevision(t *testing.T) {
	f := newFixture(t)
	e := f.enforcer(t)
	if _, _, err := e.Apply("db.yaml", []byte(dbPolicy)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		from, to string
		port     uint16
		want     string
	}{
		{"app=web", "app=db", 5432, "ALLOWED"},
		{"app=web", "app=db", 80, "DENIED"},
		{"world", "app=db", 5432, "DENIED"},
		{"app=db", "app=web", 80, "ALLOWED"},
	}
	for _, c := range cases {
		xs, err := e.Explain(c.from, c.to, 6, c.port)
		if err != nil || len(xs) != 1 {
			t.Fatalf("Explain(%s, %s, %d) = %v, %v", c.from, c.to, c.port, xs, err)
		}
		if got := xs[0].Verdict.Outcome.String(); got != c.want {
			t.Errorf("%s -> %s:%d = %s (%s), want %s", c.from, c.to, c.port, got, xs[0].Verdict.Reason, c.want)
		}
	}
	if _, err := e.Explain("app=nothing", "app=db", 6, 1); err == nil {
		t.Error("a selector matching nothing was explained")
	}
}

func TestDocumentAt(t *testing.T) {
	content := []byte("# comment\napiVersion: a\nkind: A\n---\napiVersion: b\nkind: B\n---\n\napiVersion: c\n")
	for _, c := range []struct {
		line int
		want string
	}{
		{2, "# comment\napiVersion: a\nkind: A\n"},
		{5, "apiVersion: b\nkind: B\n"},
		{9, "apiVersion: c\n"},
	} {
		if got := documentAt(content, c.line); got != c.want {
			t.Errorf("line %d: %q, want %q", c.line, got, c.want)
		}
	}
}
