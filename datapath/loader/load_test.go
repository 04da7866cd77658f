package loader

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/loupe-dev/loupe/internal/testutil"
)

func testLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestLoadPinsMapsAndReusesThem(t *testing.T) {
	dir := testutil.TempBPFFS(t)
	cfg := DefaultConfig()
	cfg.PinDir = filepath.Join(dir, "loupe")
	if err := os.MkdirAll(cfg.PinDir, 0o700); err != nil {
		t.Fatal(err)
	}
	objs, err := Load(cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	var key uint32 = 7
	want := LoupeEndpointInfo{Identity: 300, EndpointId: 3}
	if err := objs.Endpoints.Put(key, want); err != nil {
		t.Fatal(err)
	}
	objs.Close()

	for _, m := range []string{LoupeMapEndpoints, LoupeMapEvents, LoupeMapIpcache, LoupeMapLostEvents, LoupeMapFlowTable} {
		if _, err := os.Stat(filepath.Join(cfg.PinDir, m)); err != nil {
			t.Errorf("map %s not pinned: %v", m, err)
		}
	}

	// A second load (an agent restart) sees the first one's state.
	objs, err = Load(cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	var got LoupeEndpointInfo
	if err := objs.Endpoints.Lookup(key, &got); err != nil || got != want {
		t.Fatalf("endpoint after reload = %+v, %v; want %+v", got, err, want)
	}

	// A different ring buffer size replaces the pinned maps instead of failing.
	objs.Close()
	cfg.RingBufferSize = 8192
	objs, err = Load(cfg, testLog())
	if err != nil {
		t.Fatalf("load with a new ring size: %v", err)
	}
	objs.Close()
}

func TestConfigValidation(t *testing.T) {
	for _, size := range []uint32{0, 1000, 4097} {
		cfg := DefaultConfig()
		cfg.RingBufferSize = size
		if err := cfg.validate(); err == nil {
			t.Errorf("ring size %d accepted", size)
		}
	}
	if _, err := ParseAggregation("lots"); err == nil {
		t.Error("aggregation lots accepted")
	}
}
