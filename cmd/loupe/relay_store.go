package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/loupe-dev/loupe/relay"
)

// openStore opens the flow store behind --clickhouse: the Archive that
// receives every flow, the History that answers before the live buffers,
// and what closes them once the relay has stopped.
//
// STORE HOOK: the query/ packages implement the store; they set this
// variable (from an init in a cmd/loupe/query*.go file) so that relay/
// never imports query/. Until then --clickhouse is refused.
var openStore = func(ctx context.Context, dsn string, log *slog.Logger) (relay.Archive, relay.History, io.Closer, error) {
	return nil, nil, nil, errors.New("clickhouse support not built")
}
