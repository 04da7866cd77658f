package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"
)

// uiWebDir is ui/web of this checkout: the browser tests' Node scripts and
// their node_modules (make ui-deps).
func uiWebDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "ui", "web")
}

// requireBrowser fails in CI (skips elsewhere) when Chromium or the
// scripts' dependencies are missing.
func requireBrowser(t testing.TB) {
	t.Helper()
	missing := ""
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = "/usr/bin/chromium (apt-get install chromium; make deps)"
	} else if _, err := os.Stat(filepath.Join(uiWebDir(), "node_modules", "playwright-core")); err != nil {
		missing = "ui/web/node_modules (make ui-deps)"
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("browser test needs %s", missing)
	}
	t.Skipf("browser test needs %s", missing)
}

// runBrowser runs a Node script of ui/web/test against url; screenshots go
// to ui/web/test-output/<test name>. The script's output is the test's log.
func runBrowser(t testing.TB, script, url string, extra ...string) {
	t.Helper()
	out := filepath.Join(uiWebDir(), "test-output", filepath.Base(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join("test", script), "--url", url, "--out", out}, extra...)...)
	cmd.Dir = uiWebDir()
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1", "LOUPE_BROWSER_TMP="+t.TempDir())
	// The script's own group: a timeout ends Chromium with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	log := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	err := cmd.Run()
	t.Logf("%s:\n%s", script, log)
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
}

// uiProc is a running `loupe ui`.
type uiProc struct {
	url string
	log *testutil.SyncBuffer
}

// startUI runs loupe ui on a free loopback port with args until the test
// ends, and waits until it serves the app.
func startUI(t testing.TB, args ...string) *uiProc {
	t.Helper()
	addr := freeLoopbackAddr(t)
	u := &uiProc{url: "http://" + addr + "/", log: &testutil.SyncBuffer{}}
	cmd := exec.Command(loupeBin, append([]string{"ui", "--listen", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = u.log, u.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("loupe ui exited: %s", u.log)
		default:
		}
		if resp, err := http.Get(u.url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return u
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("loupe ui did not come up: %s", u.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
