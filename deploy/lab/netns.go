package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netnsDir is where named network namespaces live, as `ip netns` expects.
const netnsDir = "/run/netns"

// NetNSPath is the bind mount that keeps a named namespace alive.
func NetNSPath(name string) string { return filepath.Join(netnsDir, name) }

// createNetNS creates a named network namespace the way `ip netns add` does,
// so that `ip netns exec` and the agent see the same thing.
func createNetNS(name string) error {
	if err := sharedNetNSDir(); err != nil {
		return err
	}
	path := NetNSPath(name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("create netns %s: %w", name, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// The thread that unshares is never unlocked: it leaves the
		// process with the goroutine, taking its namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount: %w", err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return fmt.Errorf("create netns %s: %w", name, err)
	}
	return nil
}

// sharedNetNSDir makes /run/netns a shared mount point, as iproute2 does, so
// that namespace mounts and unmounts propagate to mount namespaces created by
// `ip netns exec`; otherwise a running exec would keep a deleted netns alive.
func sharedNetNSDir() error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", netnsDir, err)
	}
	err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		// Not a mount point yet: bind it onto itself first.
		if err := unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind mount %s: %w", netnsDir, err)
		}
		err = unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	}
	if err != nil {
		return fmt.Errorf("share mount %s: %w", netnsDir, err)
	}
	return nil
}

// deleteNetNS unmounts and removes a named namespace; a missing one is fine.
// The namespace itself goes away once no process is left in it.
func deleteNetNS(name string) error {
	path := NetNSPath(name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount netns %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove netns %s: %w", name, err)
	}
	return nil
}

// listNetNS returns the names under /run/netns.
func listNetNS() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list netns: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// netNSExists reports whether the named namespace is mounted.
func netNSExists(name string) bool {
	var st, parent unix.Stat_t
	if unix.Stat(NetNSPath(name), &st) != nil || unix.Stat(netnsDir, &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev // an nsfs mount, not the empty placeholder file
}

// inNetNS runs fn on an OS thread switched into ns and waits for it. Sockets
// fn creates stay in ns for their whole life, wherever they are used later.
// If the thread cannot be switched back it is left locked, so it dies with
// its goroutine instead of serving other goroutines in the wrong namespace.
func inNetNS(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("get netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// netNSInode identifies a named namespace the way /proc/PID/ns/net does.
func netNSInode(name string) (uint64, bool) {
	var st unix.Stat_t
	if !netNSExists(name) || unix.Stat(NetNSPath(name), &st) != nil {
		return 0, false
	}
	return st.Ino, true
}

// pidsInNetNS lists the processes whose network namespace is inode: servers,
// and whatever `lab exec` left running. Removing a lab stops them all, as
// removing a container does, since any of them would keep the netns alive.
func pidsInNetNS(inode uint64) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := fmt.Sprintf("net:[%d]", inode)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		link, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns/net"))
		if err == nil && strings.TrimSpace(link) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// RunInNetNS runs fn on a thread inside the named network namespace, and
// returns the thread to the host namespace afterwards. Tests and tools use it
// to open sockets as a workload would.
func RunInNetNS(name string, fn func() error) error {
	ns, err := netns.GetFromPath(NetNSPath(name))
	if err != nil {
		return fmt.Errorf("open netns %s: %w", name, err)
	}
	defer ns.Close()
	return inNetNS(ns, fn)
}
