package e2e

import (
	"context"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loupe-dev/loupe/dashboards"
)

// checkSQLDashboard expands every SQL query of the ClickHouse dashboard as
// the ClickHouse data source would (dashboards_expand_test.go), for All
// and for one namespace and workload, and runs it against the schema the
// relay created and the flows it wrote. Each must run and return rows,
// unless it waits on L7 flows (then it must run).
func checkSQLDashboard(t *testing.T, m *metricsRun) {
	// The rollups are per minute: the flows must have been written, and
	// the window reaches a minute either side of the run.
	waitStored(t, m.chs.Addr(), m.db, 500)
	conn, err := ch.Open(&ch.Options{Addr: []string{m.chs.Addr()}, Auth: ch.Auth{Database: m.db}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	from, to := m.start.Add(-time.Minute), time.Now().Add(time.Minute)
	boards := loadDashboards(t, dashboards.ClickHouseType)
	if len(boards) == 0 {
		t.Fatal("no ClickHouse dashboard")
	}
	for _, d := range boards {
		for _, q := range dashboards.Queries(d) {
			for _, sel := range []selection{{}, {namespace: "shop", workload: "frontend"}} {
				where := d.UID + ": " + q.Where + " (" + sel.String() + ")"
				sql, err := expandSQL(q.Text, sel, from, to)
				if err != nil {
					t.Errorf("%s: expand: %v", where, err)
					continue
				}
				n, err := countRows(conn, sql)
				switch {
				case err != nil:
					t.Errorf("%s: %v\n%s", where, err, sql)
				case n == 0 && !waitsOnL7(m, d.UID, q.Panel):
					t.Errorf("%s: no rows\n%s", where, sql)
				default:
					t.Logf("%s: %d rows", where, n)
				}
			}
		}
	}
}

// countRows runs sql and counts what it returns, bounded by a timeout.
func countRows(conn ch.Conn, sql string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
