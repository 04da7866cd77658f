package testutil

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/ringbuf"
)

// DrainRingBuffer reads a ring buffer in the background until the test ends,
// as the collector does, so that the datapath's reservations succeed. It
// also wakes on a timer: the datapath batches its wakeups.
func DrainRingBuffer(tb testing.TB, m *ebpf.Map) {
	tb.Helper()
	rd, err := ringbuf.NewReader(m)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rec ringbuf.Record
		rd.SetDeadline(time.Now().Add(50 * time.Millisecond))
		for {
			err := rd.ReadInto(&rec)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				rd.SetDeadline(time.Now().Add(50 * time.Millisecond))
				continue
			}
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() { rd.Close(); <-done })
}

// EmptyTCProgram is a tc program that only returns: the cost of the
// BPF_PROG_TEST_RUN harness itself, the baseline of datapath benchmarks.
func EmptyTCProgram(tb testing.TB) *ebpf.Program {
	tb.Helper()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, -1), asm.Return()},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}
