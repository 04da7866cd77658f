// Package file writes flows to files as JSON lines, like Hubble's exporter:
// one observer GetFlowsResponse per line (what `loupe observe -o json`
// prints), each file with its own allow/deny filters in the project's
// filter language, a field mask, and rotation by size with numbered
// backups, optionally gzip-compressed.
//
// The collector's reader hands flows to Exporter.Observe, which only queues
// them (bounded; drops are counted and written into every file as a
// lost_events line). One goroutine owns the queue and the files. A new
// configuration (Exporter.Apply; Watcher reloads the YAML file when it
// changes or on demand) takes effect between two flows, without a restart;
// a configuration that does not parse is refused whole, naming file and
// line, and the running one stays.
package file
