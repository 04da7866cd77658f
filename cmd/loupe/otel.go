package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/loupe-dev/loupe/collector/export/otlp"
)

// otlpFlag is the help of --otlp-endpoint, the same for agent and relay.
const otlpFlag = "OTLP gRPC endpoint for traces (and flows): host:port (plaintext on loopback, TLS elsewhere), http://host:port or https://host:port; default $" + otlp.EnvEndpoint + " (empty: no OpenTelemetry export)"

// selfTracing is loupe's own tracing: off (a no-op provider, nothing
// allocated per span) unless an OTLP endpoint is set.
type selfTracing struct {
	client  *otlp.Client
	tracer  *otlp.SelfTracer
	metrics *otlp.Metrics
}

// checkOTLPEndpoint validates the flag (or the environment's endpoint).
func checkOTLPEndpoint(flag string) error {
	if e := otlp.Endpoint(flag); e != "" {
		if _, err := otlp.ParseEndpoint(e); err != nil {
			if flag == "" {
				return badInput("$%s %q: %v", otlp.EnvEndpoint, e, err)
			}
			return badInput("--otlp-endpoint %q: %v", e, err)
		}
	}
	return nil
}

// startSelfTracing connects the exporters of the endpoint (if any) and
// makes service's provider, whose counters reg shows.
func startSelfTracing(flag, service, node string, reg prometheus.Registerer, cfg otlp.Config) (*selfTracing, error) {
	endpoint := otlp.Endpoint(flag)
	if endpoint == "" {
		return &selfTracing{}, nil
	}
	c, err := otlp.Dial(context.Background(), endpoint)
	if err != nil {
		return nil, badInput("--otlp-endpoint %q: %v", endpoint, err)
	}
	cfg.NodeName = node
	t, err := otlp.NewSelfTracer(cfg, c.Spans, service)
	if err != nil {
		_ = c.Close(context.Background())
		return nil, err
	}
	m := otlp.NewMetrics(t)
	reg.MustRegister(m)
	return &selfTracing{client: c, tracer: t, metrics: m}, nil
}

// provider is the tracer provider to hand to components.
func (s *selfTracing) provider() trace.TracerProvider {
	if s == nil || s.tracer == nil {
		return noop.NewTracerProvider()
	}
	return s.tracer
}

// stop flushes the spans and closes the connection; what cannot be sent
// within a few seconds is dropped.
func (s *selfTracing) stop() error {
	if s == nil || s.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.tracer.Shutdown(ctx)
	if cerr := s.client.Close(ctx); err == nil {
		err = cerr
	}
	return err
}
