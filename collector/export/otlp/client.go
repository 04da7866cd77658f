package otlp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/loupe-dev/loupe/internal/mtls"
)

// EnvEndpoint is the standard variable that sets the endpoint when no flag does.
const EnvEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"

// Client holds the OTLP gRPC exporters of one endpoint. Spans is safe for
// concurrent use (flow spans and self spans share it).
type Client struct {
	Spans sdktrace.SpanExporter
	Logs  sdklog.Exporter
}

// Endpoint returns the endpoint to use: flag when set, else the standard
// environment variable, else "" (OTLP off).
func Endpoint(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(EnvEndpoint)
}

// ParseEndpoint checks an endpoint: "host:port", "http://host:port"
// (plaintext) or "https://host:port" (TLS with the system's roots). A bare
// host:port is plaintext on loopback and TLS elsewhere, the project's rule
// for every connection that leaves the machine. It returns the URL to dial.
func ParseEndpoint(endpoint string) (string, error) {
	if !strings.Contains(endpoint, "://") {
		if _, _, err := net.SplitHostPort(endpoint); err != nil {
			return "", fmt.Errorf("want host:port, http://host:port or https://host:port: %w", err)
		}
		if mtls.IsLocal(endpoint) {
			return "http://" + endpoint, nil
		}
		return "https://" + endpoint, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Port() == "" {
		return "", errors.New("no port: OTLP gRPC listens on 4317 by default, say it")
	}
	return u.String(), nil
}

// Dial makes the exporters for an endpoint that ParseEndpoint accepted.
// gRPC connects lazily: an endpoint that is down fails exports, counted,
// not Dial.
func Dial(ctx context.Context, endpoint string) (*Client, error) {
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	spans, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u))
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	logs, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpointURL(u))
	if err != nil {
		_ = spans.Shutdown(ctx)
		return nil, fmt.Errorf("otlp log exporter: %w", err)
	}
	return &Client{Spans: &serialSpans{exp: spans}, Logs: logs}, nil
}

// Close shuts the exporters down; their users must have stopped.
func (c *Client) Close(ctx context.Context) error {
	return errors.Join(c.Spans.Shutdown(ctx), c.Logs.Shutdown(ctx))
}

// serialSpans lets two queues share one span exporter: the SDK's
// exporters expect one caller at a time.
type serialSpans struct {
	mu  sync.Mutex
	exp sdktrace.SpanExporter
}

func (s *serialSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exp.ExportSpans(ctx, spans)
}

func (s *serialSpans) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exp.Shutdown(ctx)
}
