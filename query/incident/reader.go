package incident

import (
	"context"
	"fmt"
	"time"
)

// DB runs a SELECT into a slice of structs; clickhouse-go's driver.Conn
// satisfies it.
type DB interface {
	Select(ctx context.Context, dest any, query string, args ...any) error
}

// Reader runs incident queries on a migrated store.
type Reader struct {
	db  DB
	now func() time.Time
}

// New makes a reader over db.
func New(db DB) *Reader { return &Reader{db: db, now: time.Now} }

// Run runs the query kind names; errors that are the caller's fault are
// ErrInvalid.
func (r *Reader) Run(ctx context.Context, kind string, p Params) (any, error) {
	k, err := LookupKind(kind)
	if err != nil {
		return nil, err
	}
	switch k.Name {
	case serviceMapKind.Name:
		return r.ServiceMap(ctx, p)
	case topTalkersKind.Name:
		return r.TopTalkers(ctx, p)
	case dropsKind.Name:
		return r.Drops(ctx, p)
	case dnsErrorsKind.Name:
		return r.DNSErrors(ctx, p)
	case httpKind.Name:
		return r.HTTP(ctx, p)
	}
	return nil, fmt.Errorf("kind %s has no query", k.Name)
}

// selectRows runs one query, naming it in the error.
func (r *Reader) selectRows(ctx context.Context, what string, dest any, q *sqlQuery) error {
	return r.selectSQL(ctx, what, dest, q.String(), q.Args())
}

func (r *Reader) selectSQL(ctx context.Context, what string, dest any, sql string, args []any) error {
	if err := r.db.Select(ctx, dest, sql, args...); err != nil {
		return fmt.Errorf("query %s: %w", what, err)
	}
	return nil
}
