package incident_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/query/schema"
	"github.com/loupe-dev/loupe/query/store"
)

// The bench also measures the schema changes it proposes, without making
// them: edges_1h, the service map's rollup by the hour (a day then reads 24
// rows per edge instead of 1,440), created in the bench's database and
// filled from edges_1m (as a migration, a materialized view on flows would
// feed it like edges_1m); and the flows table sorted by verdict right after
// the time bucket, so that "what was dropped" reads the drops only, filled
// with a copy of the hours the query reads.

// proposedEdgesHourly is edges_1m with toStartOfHour for toStartOfMinute.
// Its time column keeps the name minute (it holds the start of the hour),
// so that the reader's SQL reads either table.
func proposedEdgesHourly() schema.Rollup {
	r := schema.EdgesRollup
	r.Table = "edges_1h"
	r.Select = append([]string{"toStartOfHour(time)"}, r.Select[1:]...)
	return r
}

// fillProposedHourly creates edges_1h and fills it from edges_1m, once.
func fillProposedHourly(b *testing.B, s *store.Store) {
	ctx := context.Background()
	r := proposedEdgesHourly()
	if err := s.Conn().Exec(ctx, r.CreateTable(s.Features(), schema.Options{})); err != nil {
		b.Fatalf("create %s: %v", r.Table, err)
	}
	var have []struct {
		N uint64 `ch:"n"`
	}
	if err := s.Conn().Select(ctx, &have, "SELECT count() AS n FROM "+r.Table); err != nil {
		b.Fatal(err)
	}
	if have[0].N > 0 {
		return
	}
	keys := r.Key.Names()[1:]
	q := fmt.Sprintf("INSERT INTO %s SELECT toStartOfHour(minute) AS hour_start, %s, sum(flows), sum(bytes_total), sum(packets_total) "+
		"FROM %s GROUP BY hour_start, %s", r.Table, strings.Join(keys, ", "), schema.EdgesRollup.Table, strings.Join(keys, ", "))
	if err := s.Conn().Exec(ctx, q); err != nil {
		b.Fatalf("fill %s: %v", r.Table, err)
	}
	if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE "+r.Table+" FINAL"); err != nil {
		b.Fatalf("optimize %s: %v", r.Table, err)
	}
}

// hourlyServiceMap is the service map's query on edges_1h: the reader's
// SQL with the table and its time column swapped.
func hourlyServiceMap(s *store.Store, since, until time.Time) func(context.Context) error {
	q := "SELECT src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, " +
		"sum(flows) AS n_flows, sum(bytes_total) AS n_bytes, sum(packets_total) AS n_packets, " +
		"sumIf(flows, verdict = 'FORWARDED') AS n_forwarded, sumIf(flows, verdict = 'DROPPED') AS n_dropped, " +
		"sumIf(flows, verdict = 'AUDIT') AS n_audit, sumIf(flows, verdict = 'REDIRECTED') AS n_redirected, " +
		"sumIf(flows, verdict = 'ERROR') AS n_error " +
		"FROM edges_1h WHERE minute >= toDateTime(?) AND minute < toDateTime(?) " +
		"GROUP BY src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port " +
		"ORDER BY n_flows DESC, n_bytes DESC, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port LIMIT ?"
	return func(ctx context.Context) error {
		r, err := s.Conn().Query(ctx, q, uint32(since.Unix()), uint32(until.Unix()), 1001)
		if err != nil {
			return err
		}
		defer r.Close()
		n := 0
		for r.Next() {
			n++
		}
		if n == 0 {
			return fmt.Errorf("no edges")
		}
		return r.Err()
	}
}

// fillProposedFlowsOrder copies [since, until) of flows into a table whose
// sort key has verdict after the time bucket, once, and returns its name.
func fillProposedFlowsOrder(b *testing.B, s *store.Store, since, until time.Time) string {
	ctx := context.Background()
	const table = "flows_by_verdict"
	ddl := schema.CreateFlows(s.Features(), schema.Options{})
	ddl = strings.Replace(ddl, "EXISTS "+schema.FlowsTable+" (", "EXISTS "+table+" (", 1)
	ddl = strings.Replace(ddl, "ORDER BY (toStartOfFifteenMinutes(time), ", "ORDER BY (toStartOfFifteenMinutes(time), verdict, ", 1)
	if !strings.Contains(ddl, table) || !strings.Contains(ddl, "verdict, dst_namespace") {
		b.Fatalf("the flows DDL changed: update the proposal's rewrite of it:\n%s", ddl)
	}
	if err := s.Conn().Exec(ctx, ddl); err != nil {
		b.Fatalf("create %s: %v", table, err)
	}
	var have []struct {
		N uint64 `ch:"n"`
	}
	if err := s.Conn().Select(ctx, &have, "SELECT count() AS n FROM "+table); err != nil {
		b.Fatal(err)
	}
	if have[0].N > 0 {
		return table
	}
	if err := s.Conn().Exec(ctx, "INSERT INTO "+table+" SELECT * FROM flows WHERE time >= toDateTime(?) AND time < toDateTime(?)",
		uint32(since.Unix()), uint32(until.Unix())); err != nil {
		b.Fatalf("fill %s: %v", table, err)
	}
	if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
		b.Fatalf("optimize %s: %v", table, err)
	}
	return table
}
