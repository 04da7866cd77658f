// Package clickhouse runs a ClickHouse server from Debian's package on
// loopback, with a project-owned configuration and data directory. `make
// run` and the tests use it; production points loupe at its own cluster.
package clickhouse

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed config.xml
var configTemplate string

//go:embed users.xml
var usersXML string

// Binary is Debian's server binary.
const Binary = "/usr/sbin/clickhouse-server"

// Options say where the server keeps its data and which loopback ports it
// takes. Zero ports are picked free.
type Options struct {
	Dir      string
	TCPPort  int
	HTTPPort int
	// Log receives the server's stdout and stderr; nil discards them.
	Log *os.File
}

// Server is one running clickhouse-server process.
type Server struct {
	opts Options
	cmd  *exec.Cmd
	done chan struct{}
}

// ErrNotInstalled says the Debian package is missing: run `make deps`.
var ErrNotInstalled = errors.New("clickhouse-server is not installed: run 'make deps'")

// Start writes the configuration, starts the server and waits until it
// answers on its HTTP port.
func Start(ctx context.Context, o Options) (*Server, error) {
	if _, err := os.Stat(Binary); err != nil {
		return nil, ErrNotInstalled
	}
	var err error
	if o.TCPPort == 0 {
		if o.TCPPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if o.HTTPPort == 0 {
		if o.HTTPPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := writeConfig(o); err != nil {
		return nil, err
	}
	s := &Server{opts: o}
	return s, s.start(ctx)
}

// WriteConfig renders config.xml and users.xml into o.Dir.
func writeConfig(o Options) error {
	for _, d := range []string{"data", "tmp", "log", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, d), 0o750); err != nil {
			return fmt.Errorf("clickhouse dir: %w", err)
		}
	}
	cfg := strings.NewReplacer("@DIR@", o.Dir, "@TCP_PORT@", strconv.Itoa(o.TCPPort),
		"@HTTP_PORT@", strconv.Itoa(o.HTTPPort)).Replace(configTemplate)
	if err := os.WriteFile(filepath.Join(o.Dir, "config.xml"), []byte(cfg), 0o640); err != nil {
		return fmt.Errorf("clickhouse config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.Dir, "users.xml"), []byte(usersXML), 0o640); err != nil {
		return fmt.Errorf("clickhouse users: %w", err)
	}
	return nil
}

func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(Binary, "--config-file="+filepath.Join(s.opts.Dir, "config.xml"))
	cmd.Dir = s.opts.Dir
	if s.opts.Log != nil {
		cmd.Stdout, cmd.Stderr = s.opts.Log, s.opts.Log
	}
	// The server dies with whoever started it, even on SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start clickhouse: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	return s.waitReady(ctx)
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		select {
		case <-s.done:
			return fmt.Errorf("clickhouse exited at start: see %s", filepath.Join(s.opts.Dir, "log", "error.log"))
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("clickhouse did not answer on 127.0.0.1:%d: %w", s.opts.TCPPort, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
	}
}

// Addr is the native protocol address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.TCPPort)) }

// HTTPAddr is the HTTP interface address.
func (s *Server) HTTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.HTTPPort))
}

// DSN is the URL loupe's --clickhouse flag takes, for database db.
func (s *Server) DSN(db string) string { return "clickhouse://" + s.Addr() + "/" + db }

// Dir is the data directory.
func (s *Server) Dir() string { return s.opts.Dir }

// Stop ends the server: SIGTERM, then SIGKILL after 15 s. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart starts a stopped server again on the same ports and data.
func (s *Server) Restart(ctx context.Context) error {
	s.Stop()
	return s.start(ctx)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
