package decoder

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodeRejectsMalformed(t *testing.T) {
	full := make([]byte, TraceEventSize)
	full[0], full[1] = TypeTrace, EventVersion
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"one byte", []byte{TypeTrace}, ErrShort},
		{"unknown type", append([]byte{99, EventVersion}, full[2:]...), ErrUnknownType},
		{"future version", append([]byte{TypeTrace, 9}, full[2:]...), ErrVersion},
		{"truncated", full[:TraceEventSize-1], ErrShort},
	}
	for _, c := range cases {
		var e TraceEvent
		if err := Decode(c.in, &e); !errors.Is(err, c.want) {
			t.Errorf("%s: Decode = %v, want %v", c.name, err, c.want)
		}
	}
	var e TraceEvent
	if err := Decode(full, &e); err != nil {
		t.Errorf("well-formed record: %v", err)
	}
}

// FuzzDecode: any input is decoded or refused with an error, never a panic,
// and a decoded record re-reads identically.
func FuzzDecode(f *testing.F) {
	good := make([]byte, TraceEventSize)
	good[0], good[1] = TypeTrace, EventVersion
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{TypeTrace, EventVersion, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e TraceEvent
		if err := Decode(b, &e); err != nil {
			return
		}
		if len(b) < TraceEventSize {
			t.Fatalf("decoded a %d-byte record", len(b))
		}
		if !bytes.Equal(e.SrcAddr[:], b[56:72]) || !bytes.Equal(e.DstAddr[:], b[72:88]) {
			t.Fatal("addresses not copied")
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	rec := make([]byte, TraceEventSize)
	rec[0], rec[1] = TypeTrace, EventVersion
	var e TraceEvent
	b.ReportAllocs()
	for b.Loop() {
		if err := Decode(rec, &e); err != nil {
			b.Fatal(err)
		}
	}
}
