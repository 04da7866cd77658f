// Package loader loads the datapath's BPF objects into the kernel, pins their
// maps so that state survives agent restarts, and attaches the programs to
// endpoint interfaces.
package loader

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
)

// Load loads the programs and maps. Maps already pinned under cfg.PinDir by a
// previous agent are reused, so endpoints, ipcache and connection state carry
// over. A pinned map whose definition changed (for example a new ring buffer
// size) is replaced: the agent re-fills it from its own state.
func Load(cfg Config, log *slog.Logger) (*LoupeObjects, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	spec, err := LoadLoupe()
	if err != nil {
		return nil, fmt.Errorf("read bpf object: %w", err)
	}
	spec.Maps[LoupeMapEvents].MaxEntries = cfg.RingBufferSize
	if err := spec.Variables[LoupeVarMonitorAggregation].Set(uint8(cfg.Aggregation)); err != nil {
		return nil, fmt.Errorf("set monitor aggregation: %w", err)
	}
	if err := spec.Variables[LoupeVarReportIntervalNs].Set(uint64(cfg.ReportInterval.Nanoseconds())); err != nil {
		return nil, fmt.Errorf("set report interval: %w", err)
	}

	var wakeup uint64
	if cfg.BatchWakeups {
		wakeup = uint64(cfg.RingBufferSize / 8)
	}
	if err := spec.Variables[LoupeVarWakeupBytes].Set(wakeup); err != nil {
		return nil, fmt.Errorf("set wakeup threshold: %w", err)
	}

	if err := spec.Variables[LoupeVarProxyTag].Set(proxyTag(cfg.PinDir)); err != nil {
		return nil, fmt.Errorf("set proxy tag: %w", err)
	}

	opts := &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: cfg.PinDir}}
	var objs LoupeObjects
	err = spec.LoadAndAssign(&objs, opts)
	if errors.Is(err, ebpf.ErrMapIncompatible) {
		log.Warn("pinned maps differ from this build, replacing them", "dir", cfg.PinDir, "reason", err)
		if err := removeMapPins(cfg.PinDir, spec); err != nil {
			return nil, err
		}
		err = spec.LoadAndAssign(&objs, opts)
	}
	if err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("load bpf programs: %+v", verr)
		}
		return nil, fmt.Errorf("load bpf objects: %w", err)
	}
	return &objs, nil
}

func removeMapPins(dir string, spec *ebpf.CollectionSpec) error {
	for name, m := range spec.Maps {
		if m.Pinning != ebpf.PinByName {
			continue
		}
		err := os.Remove(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove pinned map: %w", err)
		}
	}
	return nil
}

// proxyTag tells this datapath's proxy marks from those of another loupe
// datapath on the host (tests run several): a hash of the pin directory,
// the same across restarts of one agent.
func proxyTag(pinDir string) uint8 {
	h := fnv.New32a()
	h.Write([]byte(pinDir))
	return uint8(h.Sum32()%255) + 1
}
