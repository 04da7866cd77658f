package testutil

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/deploy/clickhouse"
)

// ClickHouse starts a real ClickHouse server (Debian's package) for the
// test, on free loopback ports with its data in a temporary directory, and
// stops it when the test ends. Under CI a missing server fails the test.
func ClickHouse(t testing.TB) *clickhouse.Server {
	t.Helper()
	if _, err := os.Stat(clickhouse.Binary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v", clickhouse.ErrNotInstalled)
		}
		t.Skip(clickhouse.ErrNotInstalled)
	}
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := clickhouse.Start(context.Background(), clickhouse.Options{Dir: filepath.Join(dir, "ch"), Log: log})
	if err != nil {
		log.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		log.Close()
	})
	return s
}
