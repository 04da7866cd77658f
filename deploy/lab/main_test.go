package lab

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// serveEnv makes the test binary act as `loupe lab serve`: Up starts the
// servers of test labs by running this binary again with it set.
const serveEnv = "LOUPE_LAB_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := ServeMain(ctx, os.Args[1:], os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "lab serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	before := openFDs()
	code := m.Run()
	if code == 0 {
		// Namespace handles, sockets and pipes opened by the lab must all be
		// closed, and every goroutine must have stopped.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
		for fd, target := range openFDs() {
			if _, ok := before[fd]; !ok && !runtimeFD(target) {
				fmt.Fprintf(os.Stderr, "file descriptor leak: fd %s -> %s\n", fd, target)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// openFDs maps the process's open file descriptors to what they point at.
func openFDs() map[string]string {
	entries, _ := os.ReadDir("/proc/self/fd")
	fds := make(map[string]string, len(entries))
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

// runtimeFD tells descriptors the Go runtime opens lazily (its poller).
func runtimeFD(target string) bool {
	return strings.HasPrefix(target, "anon_inode:[eventpoll]") || strings.HasPrefix(target, "anon_inode:[eventfd]")
}
