package main

import (
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracedQueryAPI makes a span of every query API request, named by its
// kind (the route, not the URL: span names stay few).
func tracedQueryAPI(tp trace.TracerProvider, h http.Handler) http.Handler {
	tracer := tp.Tracer("github.com/loupe-dev/loupe/query/httpapi")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), "query "+r.Method+" "+routeOf(r.URL.Path), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path), attribute.String("url.query", r.URL.RawQuery)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
	})
}

// routeOf names a request in a span: the query API's paths (a fixed set
// of kinds) as they are, anything else "other", so that a scan of random
// URLs does not make as many span names.
func routeOf(path string) string {
	if path == "/api/v1/query" || strings.HasPrefix(path, "/api/v1/query/") && !strings.Contains(path[len("/api/v1/query/"):], "/") {
		return path
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// relayNodeName is the host.name of the relay's spans.
func relayNodeName() string {
	host, _ := os.Hostname()
	return host
}
