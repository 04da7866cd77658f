package clickhouse_test

import (
	"context"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loupe-dev/loupe/internal/testutil"
)

func TestServerStartsStopsAndRestarts(t *testing.T) {
	s := testutil.ClickHouse(t)
	ctx := context.Background()
	version := func() string {
		t.Helper()
		conn, err := ch.Open(&ch.Options{Addr: []string{s.Addr()}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		v, err := conn.ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		return v.Version.String()
	}
	if v := version(); v == "" {
		t.Fatal("no version")
	}
	s.Stop()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	version()
}
