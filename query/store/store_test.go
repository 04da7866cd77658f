package store_test

import (
	"context"
	"testing"

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
