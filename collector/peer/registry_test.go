package peer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRegisterReadDeregister(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cluster")
	a := Entry{Name: "node-a", Address: "127.0.0.1:4244"}
	b := Entry{Name: "node-b", Address: "127.0.0.1:4344", TLSServerName: "node-b"}
	for _, e := range []Entry{a, b} {
		if err := Register(dir, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, map[string]Entry{"node-a": a, "node-b": b}); diff != "" {
		t.Fatalf("Read (-got +want):\n%s", diff)
	}
	a.Address = "127.0.0.1:5000"
	if err := Register(dir, a); err != nil {
		t.Fatal(err)
	}
	if err := Deregister(dir, "node-b"); err != nil {
		t.Fatal(err)
	}
	if err := Deregister(dir, "node-b"); err != nil {
		t.Fatalf("deregister twice: %v", err)
	}
	got, _ = Read(dir)
	if diff := cmp.Diff(got, map[string]Entry{"node-a": a}); diff != "" {
		t.Fatalf("after update and deregister (-got +want):\n%s", diff)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("registry holds %d files, want 1 (no temporary files left)", len(files))
	}
}

func TestReadSkipsWhatIsNotAnEntry(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ok.json", `{"name":"ok","address":"127.0.0.1:1"}`)
	write("partial.json", `{"name":"partial","addr`)
	write("other.json", `{"name":"someone-else","address":"127.0.0.1:2"}`)
	write("noaddr.json", `{"name":"noaddr"}`)
	write("big.json", `{"name":"big","address":"`+strings.Repeat("x", maxEntrySize)+`"}`)
	write(".tmp-ok-123", `{"name":"ok","address":"127.0.0.1:3"}`)
	write("README", "not json")
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, map[string]Entry{"ok": {Name: "ok", Address: "127.0.0.1:1"}}); diff != "" {
		t.Fatalf("Read (-got +want):\n%s", diff)
	}
	if got, err := Read(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Fatalf("missing directory: %v, %v; want an empty registry", got, err)
	}
}

func TestRegisterRefusesNamesThatAreNotFileNames(t *testing.T) {
	for _, name := range []string{"", "../etc", "a/b", ".hidden", "-x", strings.Repeat("n", 254)} {
		if err := Register(t.TempDir(), Entry{Name: name, Address: "x"}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Register(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}
