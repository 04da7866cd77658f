package main

import (
	"context"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/loupe-dev/loupe/internal/mtls"
	"github.com/loupe-dev/loupe/query/history"
	"github.com/loupe-dev/loupe/query/httpapi"
	"github.com/loupe-dev/loupe/query/schema"
	"github.com/loupe-dev/loupe/query/sink"
	"github.com/loupe-dev/loupe/query/store"
)

// flowStore is the relay's ClickHouse side: the sink every flow goes to,
// the history that answers before the live buffers, and the HTTP API of
// incident queries. It is opened before the relay starts and closed after
// it stops.
type flowStore struct {
	store   *store.Store
	sink    *sink.Sink
	history *history.History
	http    *httpServer
	cancel  context.CancelFunc
}

// storeOptions are the relay's ClickHouse flags.
type storeOptions struct {
	dsn           string
	retentionDays int
	queueSize     int
	batchSize     int
	flushInterval time.Duration
	httpListen    string
	// inserted observes each insert's duration (the metrics' histogram).
	inserted func(time.Duration)
	// tracer traces inserts and query API requests (relay_otel.go).
	tracer trace.TracerProvider
}

// openFlowStore connects to ClickHouse (migrating the schema), starts the
// sink and serves the query API on o.httpListen.
func openFlowStore(ctx context.Context, o storeOptions, log *slog.Logger) (_ *flowStore, err error) {
	st, err := store.Open(ctx, store.Config{DSN: o.dsn, Options: schema.Options{RetentionDays: o.retentionDays}, Log: log})
	if err != nil {
		return nil, err
	}
	fs := &flowStore{store: st, history: history.New(st, log)}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	if o.httpListen != "" {
		if err := requireLoopback("--http-listen", o.httpListen); err != nil {
			return nil, err
		}
		if fs.http, err = serveHTTP("query API", "--http-listen", o.httpListen, tracedQueryAPI(o.tracer, httpapi.New(st, log)), log); err != nil {
			return nil, err
		}
	}
	fs.sink = sink.New(sink.Config{Store: st, RetentionDays: o.retentionDays, QueueSize: o.queueSize,
		BatchSize: o.batchSize, FlushInterval: o.flushInterval, Log: log, Inserted: o.inserted,
		Tracer: o.tracer.Tracer("github.com/loupe-dev/loupe/query/sink")})
	sctx, cancel := context.WithCancel(context.Background())
	fs.cancel = cancel
	fs.sink.Start(sctx)
	return fs, nil
}

// requireLoopback refuses a listen address off loopback: the query API has
// no authentication of its own.
func requireLoopback(flag, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return badInput("%s %q: want host:port (%s)", flag, addr, defaultQueryServer)
	}
	if !mtls.IsLocal(addr) {
		return badInput("%s %q: the query API serves loopback only; put a proxy with authentication in front of it", flag, addr)
	}
	return nil
}

// Close stops the API, writes what the sink still holds and disconnects.
func (fs *flowStore) Close() error {
	_ = fs.http.stop()
	fs.sink.Stop()
	fs.cancel()
	return fs.store.Close()
}
