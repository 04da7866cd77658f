package maps

import (
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	itestutil "github.com/loupe-dev/loupe/internal/testutil"
)

// TestUsageCountsEntries counts a real hash map's entries, leaves arrays
// out, and recounts only after the interval.
func TestUsageCountsEntries(t *testing.T) {
	itestutil.RequireRoot(t)
	hash, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer hash.Close()
	array, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer array.Close()
	for i := range uint32(10) {
		if err := hash.Put(i, i); err != nil {
			t.Fatal(err)
		}
	}
	u := NewUsage(map[string]*ebpf.Map{"h": hash, "a": array}, time.Hour)
	reg := prometheus.NewRegistry()
	reg.MustRegister(u)
	want := `# HELP loupe_bpf_map_capacity Maximum entries of a BPF map.
# TYPE loupe_bpf_map_capacity gauge
loupe_bpf_map_capacity{map="h"} 64
# HELP loupe_bpf_map_entries Entries in a BPF map, counted at most every 30 s.
# TYPE loupe_bpf_map_entries gauge
loupe_bpf_map_entries{map="h"} 10
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	// Within the interval the last count stands.
	if err := hash.Put(uint32(99), uint32(1)); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	u.minInterval = 0
	if got := testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		m := make(chan prometheus.Metric, 4)
		u.Collect(m)
		close(m)
		for x := range m {
			if strings.Contains(x.Desc().String(), "loupe_bpf_map_entries") {
				ch <- x
			}
		}
	})); got != 11 {
		t.Errorf("after the interval: %v entries, want 11", got)
	}
}
