package rows

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/loupe-dev/loupe/api/flow"
)

// ReadColumns is the column list a SELECT must read, in Scanner's order.
var ReadColumns = func() string {
	names := []string{"time_ns"}
	for _, f := range fields {
		names = append(names, f.name())
	}
	return strings.Join(names, ", ")
}()

// Row is what a Scanner reads from: clickhouse-go's driver.Rows.
type Row interface {
	Scan(dest ...any) error
}

// Scanner turns rows selected with ReadColumns into flows. It reuses its
// destinations; each Scan returns a new flow.
type Scanner struct {
	ns    uint64
	dests []dest
	ptrs  []any
}

// NewScanner makes a scanner.
func NewScanner() *Scanner {
	s := &Scanner{dests: make([]dest, len(fields))}
	s.ptrs = append(s.ptrs, &s.ns)
	for i, f := range fields {
		s.dests[i] = f.newDest()
		s.ptrs = append(s.ptrs, s.dests[i].ptr())
	}
	return s
}

// Scan reads the current row.
func (s *Scanner) Scan(r Row) (*flow.Flow, error) {
	if err := r.Scan(s.ptrs...); err != nil {
		return nil, err
	}
	f := &flow.Flow{Time: timestamppb.New(unixNano(s.ns))}
	for _, d := range s.dests {
		d.set(f)
	}
	return f, nil
}
