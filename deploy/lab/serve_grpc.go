package lab

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// grpcServer serves gRPC's health service over cleartext HTTP/2: a real
// gRPC peer with more than one method (Check, List, Watch), enough for L7
// rules that allow one and deny another.
type grpcServer struct {
	ln  net.Listener
	srv *grpc.Server
	log *slog.Logger
}

func listenGRPC(port uint16, w *Workload, log *slog.Logger) (*grpcServer, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, err
	}
	srv := grpc.NewServer(grpc.MaxConcurrentStreams(256))
	hs := health.NewServer()
	hs.SetServingStatus(w.Name, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	return &grpcServer{ln: ln, srv: srv, log: log}, nil
}

func (s *grpcServer) close() { s.ln.Close() }

func (s *grpcServer) serve(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.srv.Stop()
		case <-done:
		}
	}()
	defer close(done)
	if err := s.srv.Serve(s.ln); err != nil && ctx.Err() == nil {
		return fmt.Errorf("grpc server: %w", err)
	}
	return nil
}
