package schema

import "strings"

// Column is one column of a table, rendered per server generation.
type Column struct {
	Name string
	// Type is the ClickHouse type on every server.
	Type string
	// Modern replaces Type on servers with DateTime64 (and everything
	// newer); "" keeps Type.
	Modern string
	// ModernAlias makes the column an ALIAS of this expression on modern
	// servers: it is computed on read and not stored.
	ModernAlias string
	// LowCardinality wraps String, or the String of Array(String), where
	// the server has it without a setting.
	LowCardinality bool
	// Codec is the compression codec where the server has codecs; ""
	// leaves the server default (zstd in deploy/clickhouse's config).
	Codec string
	// Since is the migration that added the column to an existing table;
	// 0 means it was there from the table's creation. CREATE TABLE leaves
	// later columns out: their migration adds them, on new and old
	// databases alike.
	Since uint32
}

// TypeFor is the column's type on a server with features f.
func (c Column) TypeFor(f Features) string {
	t := c.Type
	if f.DateTime64 && c.Modern != "" {
		t = c.Modern
	}
	if c.LowCardinality && f.LowCardinality {
		if inner, ok := strings.CutPrefix(t, "Array("); ok {
			t = "Array(LowCardinality(" + strings.TrimSuffix(inner, ")") + "))"
		} else {
			t = "LowCardinality(" + t + ")"
		}
	}
	return t
}

// Stored reports whether the column is written on insert.
func (c Column) Stored(f Features) bool { return !(f.DateTime64 && c.ModernAlias != "") }

// DDL is the column's definition in CREATE TABLE.
func (c Column) DDL(f Features) string {
	var b strings.Builder
	b.WriteString("`" + c.Name + "` " + c.TypeFor(f))
	if !c.Stored(f) {
		b.WriteString(" ALIAS " + c.ModernAlias)
		return b.String()
	}
	if f.Codecs && c.Codec != "" {
		b.WriteString(" CODEC(" + c.Codec + ")")
	}
	return b.String()
}

// Columns is an ordered column list.
type Columns []Column

// Stored names the columns written on insert, in order.
func (cs Columns) Stored(f Features) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.Stored(f) {
			out = append(out, c.Name)
		}
	}
	return out
}

// Names lists every column name, aliases included.
func (cs Columns) Names() []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
