// Package sqlfilter translates the filters of a flow request into a
// ClickHouse WHERE clause over the flows table (query/schema), so that
// history answers a request exactly as the live filters
// (collector/filters) do over the same flows.
//
// Values never enter the SQL text: every value from the request is a ?
// placeholder with its argument in Args, which clickhouse-go binds with
// proper quoting. The SQL text holds only column names, functions and
// constants of this package.
//
// Validation is the live filters' own: Translate refuses what
// filters.Compile refuses, with the same errors. The semantics documented
// on each field in collector/filters are the contract; the comments here
// say how each is kept in SQL.
//
// One construct may be left to Go: a regular expression too large to trust
// to ClickHouse's RE2 (see regex.go). Its filter is then widened in SQL
// (an allow filter drops that field, a deny filter is left out) and
// Where.Residual, the compiled live filters, decides on each scanned flow.
package sqlfilter
