package lab

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/loupe-dev/loupe/deploy/lab/kafkabroker"
)

// kafkaServer is a one-broker Kafka (franz-go's kfake) on the workload's
// port: a real peer of the Kafka protocol for L7 rules on topics.
type kafkaServer struct {
	ln  net.Listener
	log *slog.Logger
}

func listenKafka(port uint16, log *slog.Logger) (*kafkaServer, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, err
	}
	return &kafkaServer{ln: ln, log: log}, nil
}

func (s *kafkaServer) close() { s.ln.Close() }

func (s *kafkaServer) serve(ctx context.Context) error {
	if err := kafkabroker.Serve(ctx, s.ln); err != nil && ctx.Err() == nil {
		return fmt.Errorf("kafka broker: %w", err)
	}
	return nil
}
