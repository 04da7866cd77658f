package testutil

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TempBPFFS mounts a private bpffs on a temporary directory and unmounts it
// when the test ends, so pins never leak into /sys/fs/bpf.
func TempBPFFS(tb testing.TB) string {
	tb.Helper()
	RequireRoot(tb)
	dir := tb.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		tb.Fatalf("mount bpffs on %s: %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			tb.Errorf("unmount bpffs %s: %v", dir, err)
		}
	})
	return dir
}
