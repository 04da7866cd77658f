// Package testutil holds fixtures for tests that run on the real kernel:
// privileges, temporary bpffs mounts, network namespaces.
package testutil

import (
	"os"
	"testing"
)

// InCI reports whether the tests run under CI, where privileged tests must
// run: a missing privilege there is a failure, never a skip.
func InCI() bool { return os.Getenv("CI") != "" }

// RequireRoot skips a test that needs root, except under CI where it fails.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if InCI() {
		tb.Fatal("this test needs root (BPF, namespaces) and CI is set: run make test as root")
	}
	tb.Skip("needs root; run as root (make test) to include it")
}
