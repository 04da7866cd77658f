package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const (
	// readyTimeout bounds how long up waits for a workload's servers to
	// bind their ports.
	readyTimeout = 10 * time.Second
	// stopGrace is how long a process gets between SIGTERM and SIGKILL.
	stopGrace = 3 * time.Second
	// readyLine is what ServeMain writes on its ready pipe once listening.
	readyLine = "ready\n"
)

// serveArgs are the flags ServeMain parses; the process finds everything
// else (what to serve, the lab's names) in the state file.
func (m *Manager) serveArgs(lab string, w *Workload) []string {
	return append(slices.Clone(m.Serve.Args),
		"--state-dir", m.StateDir, "--lab", lab, "--workload", w.ID(), "--ready-fd", "3")
}

// startServers starts the `lab serve` process of a workload inside its
// network namespace, detached (own session, output to a log file) so that
// it outlives `lab up`, and waits until it listens. The pid is returned
// even with an error, so that the caller can record it and down can stop it.
func (m *Manager) startServers(ctx context.Context, lab string, w *Workload) (int, error) {
	logPath := m.logPath(lab, w)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	ready, readyW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("create ready pipe: %w", err)
	}
	defer ready.Close()

	cmd := exec.Command(m.Serve.Path, m.serveArgs(lab, w)...)
	cmd.Env = append(os.Environ(), m.Serve.Env...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{readyW} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}

	ns, err := netns.GetFromPath(NetNSPath(w.NetNS))
	if err != nil {
		readyW.Close()
		return 0, fmt.Errorf("open netns %s: %w", w.NetNS, err)
	}
	// The child is cloned from the thread that is in the workload's
	// namespace, so it starts there; no `ip netns exec` needed.
	err = inNetNS(ns, cmd.Start)
	ns.Close()
	readyW.Close()
	if err != nil {
		return 0, fmt.Errorf("start servers of %s: %w", w.ID(), err)
	}
	pid := cmd.Process.Pid
	// Never waited for here: down stops it, by pid, possibly from another
	// process. Release frees the pidfd Go holds for it.
	cmd.Process.Release()

	if err := ready.SetReadDeadline(time.Now().Add(readyTimeout)); err != nil {
		return pid, fmt.Errorf("wait for servers of %s: %w", w.ID(), err)
	}
	stop := context.AfterFunc(ctx, func() { ready.SetReadDeadline(time.Now()) })
	defer stop()
	line, err := bufio.NewReader(ready).ReadString('\n')
	if err == nil && line == readyLine {
		return pid, nil
	}
	why := "it exited"
	if errors.Is(err, os.ErrDeadlineExceeded) {
		why = "it did not listen within " + readyTimeout.String()
		if ctx.Err() != nil {
			why = "interrupted"
		}
	}
	return pid, fmt.Errorf("start servers of %s: %s; its log %s ends with: %s", w.ID(), why, logPath, logTail(logPath))
}

// logTail returns the last line(s) of a log, for error messages.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(unreadable)"
	}
	data = bytes.TrimSpace(data)
	if len(data) > 400 {
		data = data[len(data)-400:]
	}
	if len(data) == 0 {
		return "(empty)"
	}
	return string(data)
}

// isServeProcess tells whether pid still is the `lab serve` process of the
// given lab and workload, and not an unrelated process that reused the pid.
func isServeProcess(pid int, lab, id string) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	cmdline := "\x00" + string(data)
	return strings.Contains(cmdline, "\x00--lab\x00"+lab+"\x00") && strings.Contains(cmdline, "\x00--workload\x00"+id+"\x00")
}

// stopProcesses sends SIGTERM to every pid, then SIGKILL to those still
// running after stopGrace, and waits until all are gone.
func stopProcesses(ctx context.Context, pids []int) error {
	for _, pid := range pids {
		unix.Kill(pid, unix.SIGTERM)
	}
	left := waitGone(ctx, pids, stopGrace)
	for _, pid := range left {
		unix.Kill(pid, unix.SIGKILL)
	}
	if left = waitGone(ctx, left, stopGrace); len(left) > 0 {
		return fmt.Errorf("stop processes: %v still running", left)
	}
	return nil
}

// waitGone polls until the processes are gone or timeout, and returns those
// still alive. Processes that are our children (up and down in the same
// process, as in tests) are reaped, so that they do not linger as zombies.
func waitGone(ctx context.Context, pids []int, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		var alive []int
		for _, pid := range pids {
			var ws unix.WaitStatus
			if got, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); got == pid {
				continue
			}
			if processAlive(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return alive
		}
		pids = alive
		time.Sleep(20 * time.Millisecond)
	}
}

// processAlive is true for a process that exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may
	// itself hold spaces or parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	return data[i+2] != 'Z' && data[i+2] != 'X'
}
