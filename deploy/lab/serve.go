package lab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
)

// server is one bound listener of a workload. Binding happens before
// serve, so that a workload reports ready only once every port is open.
type server interface {
	// serve runs until ctx is done, then releases the listener.
	serve(ctx context.Context) error
	// close releases the listener of a server that never served.
	close()
}

// ServeMain is `loupe lab serve`: it runs the servers of one workload,
// inside whatever network namespace it was started in, until ctx is done.
// It is started by Up, not by people; its flags are an internal contract.
func ServeMain(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stateDir := fs.String("state-dir", DefaultStateDir, "lab state directory")
	labName := fs.String("lab", "", "lab name")
	id := fs.String("workload", "", "workload as namespace/name")
	readyFD := fs.Int("ready-fd", 0, "file descriptor to write \"ready\" on once listening (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("lab", *labName, "workload", *id)

	st, err := (&Manager{StateDir: *stateDir}).LoadState(*labName)
	if err != nil {
		return err
	}
	w := st.Workload(*id)
	if w == nil {
		return fmt.Errorf("%w: workload %q in lab %s", ErrNotFound, *id, *labName)
	}
	var servers []server
	closeAll := func() {
		for _, s := range servers {
			s.close()
		}
	}
	for _, s := range w.Serve {
		srv, err := listen(s, &st.Topology, w, log)
		if err != nil {
			closeAll()
			return fmt.Errorf("listen %s: %w", s, err)
		}
		servers = append(servers, srv)
		log.Info("listening", "server", s.String())
	}
	if *readyFD > 0 {
		f := os.NewFile(uintptr(*readyFD), "ready")
		_, err := io.WriteString(f, readyLine)
		f.Close()
		if err != nil {
			closeAll()
			return fmt.Errorf("signal ready: %w", err)
		}
	}

	// One server failing takes the others down: a half-serving workload
	// would be a confusing lab.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(servers))
	for _, s := range servers {
		wg.Go(func() {
			if err := s.serve(ctx); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

func listen(s Server, t *Topology, w *Workload, log *slog.Logger) (server, error) {
	switch s.Protocol {
	case HTTP:
		return listenHTTP(s.Port, t.Name, w, log)
	case TCP:
		return listenTCPEcho(s.Port, log)
	case UDP:
		return listenUDPEcho(s.Port)
	case DNS:
		return listenDNS(s.Port, t, log)
	case GRPC:
		return listenGRPC(s.Port, w, log)
	case Kafka:
		return listenKafka(s.Port, log)
	}
	return nil, fmt.Errorf("unknown protocol %q", s.Protocol)
}
