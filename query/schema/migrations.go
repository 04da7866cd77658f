package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// MigrationsTable records which migrations a database has had.
const MigrationsTable = "loupe_migrations"

// Migration is one step of the schema's history. Steps are never edited
// once released: a change is a new step. Every statement is idempotent, so
// that a step interrupted half way can run again.
type Migration struct {
	Version    uint32
	Name       string
	Statements func(Features, Options) []string
}

// Migrations are the schema's history, in order.
var Migrations = []Migration{
	{1, "flows table", func(f Features, o Options) []string { return []string{CreateFlows(f, o)} }},
	{2, "service map rollup", EdgesRollup.statements},
	{3, "drops rollup", DropsRollup.statements},
	{4, "l7 rollup", L7Rollup.statements},
	{5, "hourly service map rollup", EdgesHourlyRollup.statements},
	{6, "span ids and proxy drop reason", spanIDAndProxyDrops},
}

// spanIDAndProxyDrops adds the proxy's span id of L7 requests and the
// drop reason PROXY_UNAVAILABLE. Adding enum values only changes metadata,
// also for a key column. 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate
// takes "column exists" as done, so the step can run again.
func spanIDAndProxyDrops(f Features, _ Options) []string {
	span := FlowColumns[len(FlowColumns)-1]
	return []string{
		"ALTER TABLE " + FlowsTable + " ADD COLUMN " + span.DDL(f) + " AFTER parent_span_id",
		"ALTER TABLE " + FlowsTable + " MODIFY COLUMN drop_reason " + dropReasonEnum,
		"ALTER TABLE " + DropsRollup.Table + " MODIFY COLUMN drop_reason " + dropReasonEnum,
	}
}

// columnExists reports ClickHouse's DUPLICATE_COLUMN: an ADD COLUMN of an
// interrupted step that did run.
func columnExists(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == 15
}

func (r Rollup) statements(f Features, o Options) []string {
	return []string{r.CreateTable(f, o), r.CreateView()}
}

// Execer runs one statement; clickhouse-go's driver.Conn satisfies it.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) error
}

// Querier reads the applied versions and records new ones; clickhouse-go's
// driver.Conn satisfies it.
type Querier interface {
	Execer
	Select(ctx context.Context, dest any, query string, args ...any) error
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
}

// record writes a migration's row. Inserts go as data blocks: 18.16 does
// not take inline VALUES over the native protocol.
func record(ctx context.Context, db Querier, m Migration) error {
	b, err := db.PrepareBatch(ctx, "INSERT INTO "+MigrationsTable+" (version, name, applied_at)")
	if err != nil {
		return err
	}
	if err := b.Append(m.Version, m.Name, time.Now().UTC().Truncate(time.Second)); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// Migrate brings the connected database up to date and returns the
// versions it applied: none when it already was.
func Migrate(ctx context.Context, db Querier, f Features, o Options) ([]uint32, error) {
	create := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (version UInt32, name String, applied_at DateTime('UTC')) "+
		"ENGINE = MergeTree() ORDER BY version", MigrationsTable)
	if err := db.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create %s: %w", MigrationsTable, err)
	}
	var done []struct {
		Version uint32 `ch:"version"`
	}
	if err := db.Select(ctx, &done, "SELECT version FROM "+MigrationsTable); err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	have := make(map[uint32]bool, len(done))
	for _, d := range done {
		have[d.Version] = true
	}
	var applied []uint32
	for _, m := range Migrations {
		if have[m.Version] {
			continue
		}
		for _, stmt := range m.Statements(f, o) {
			if err := db.Exec(ctx, stmt); err != nil && !columnExists(err) {
				return applied, fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if err := record(ctx, db, m); err != nil {
			return applied, fmt.Errorf("record migration %d: %w", m.Version, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}
