package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loupe-dev/loupe/internal/testutil"
	"github.com/loupe-dev/loupe/query/schema"
	"github.com/loupe-dev/loupe/query/store"
)

func TestOpenMigratesOnceAndDetectsTheServer(t *testing.T) {
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("loupe_test")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Features().Version == "" {
		t.Fatal("no server version")
	}
	var tables []struct {
		Name string `ch:"name"`
	}
	if err := s.Conn().Select(ctx, &tables, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", "loupe_test"); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	want := []string{"drops_1m", "drops_1m_mv", "edges_1h", "edges_1h_mv", "edges_1m", "edges_1m_mv", "flows", "l7_1m", "l7_1m_mv", "loupe_migrations"}
	if len(names) != len(want) {
		t.Fatalf("tables %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("tables %v, want %v", names, want)
		}
	}

	// A second open applies nothing.
	s2, err := store.Open(ctx, store.Config{DSN: srv.DSN("loupe_test")})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var n []struct {
		C uint64 `ch:"c"`
	}
	if err := s2.Conn().Select(ctx, &n, "SELECT count() AS c FROM loupe_migrations"); err != nil {
		t.Fatal(err)
	}
	if want := uint64(len(schema.Migrations)); n[0].C != want {
		t.Fatalf("%d migration records after two opens, want %d", n[0].C, want)
	}
}

func TestOpenRefusesABadDSN(t *testing.T) {
	for _, dsn := range []string{"", "http://x:1/db", "clickhouse:///db", "clickhouse://127.0.0.1:1/a`b"} {
		if _, err := store.Open(context.Background(), store.Config{DSN: dsn}); err == nil {
			t.Errorf("%q: no error", dsn)
		}
	}
}

// TestOpenUpgradesAVersion5Database opens a database made by the schema of
// migration 5 (testdata/v5-18.16.sql, as released) and checks that the
// later steps bring it to the current columns.
func TestOpenUpgradesAVersion5Database(t *testing.T) {
	srv := testutil.ClickHouse(t)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{DSN: srv.DSN("loupe_v5")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn := s.Conn()
	for _, tb := range []string{"drops_1m_mv", "edges_1m_mv", "edges_1h_mv", "l7_1m_mv", "drops_1m", "edges_1m", "edges_1h", "l7_1m", "flows"} {
		if err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+tb); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Exec(ctx, "ALTER TABLE loupe_migrations DELETE WHERE version > 5"); err != nil {
		t.Fatal(err)
	}
	ddl, err := os.ReadFile("testdata/v5-18.16.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(ddl), ";\n") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			if err := conn.Exec(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	// Mutations are asynchronous: wait for the version records to go.
	waitCount(t, conn, "SELECT count() AS c FROM loupe_migrations WHERE version > 5", 0)

	s2, err := store.Open(ctx, store.Config{DSN: srv.DSN("loupe_v5")})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	waitCount(t, conn, "SELECT count() AS c FROM system.columns WHERE database = 'loupe_v5' AND table = 'flows' AND name = 'span_id'", 1)
	var typ []struct {
		T string `ch:"type"`
	}
	if err := conn.Select(ctx, &typ, "SELECT type FROM system.columns WHERE database = 'loupe_v5' AND table = 'drops_1m' AND name = 'drop_reason'"); err != nil {
		t.Fatal(err)
	}
	if len(typ) != 1 || !strings.Contains(typ[0].T, "'PROXY_UNAVAILABLE' = 190") {
		t.Fatalf("drops_1m.drop_reason is %v, want PROXY_UNAVAILABLE in it", typ)
	}
}

func waitCount(t *testing.T, conn interface {
	Select(ctx context.Context, dest any, query string, args ...any) error
}, query string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n []struct {
			C uint64 `ch:"c"`
		}
		if err := conn.Select(context.Background(), &n, query); err != nil {
			t.Fatal(err)
		}
		if n[0].C == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d", query, n[0].C, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
