package file

import (
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// DefaultPollInterval is how often Watcher looks at the file.
const DefaultPollInterval = 2 * time.Second

// Watcher keeps an Exporter configured from a YAML file: it reloads when
// the file's modification time, size or inode change, and when Reload is
// called (the agent calls it on SIGHUP). A file that does not parse, or
// whose files cannot be opened, is refused: the error is logged with file
// and line, counted, and the running configuration stays.
type Watcher struct {
	path     string
	exp      *Exporter
	interval time.Duration
	log      *slog.Logger

	reload chan struct{}
	stop   chan struct{}
	done   chan struct{}

	// Owned by the goroutine after Start.
	seen fileVersion

	reloads, failures atomic.Uint64
	lastOK            atomic.Bool
}

// fileVersion tells a changed file from the one loaded.
type fileVersion struct {
	mod   time.Time
	size  int64
	inode uint64
}

// NewWatcher watches path for exp; interval <= 0 takes DefaultPollInterval.
func NewWatcher(path string, exp *Exporter, interval time.Duration, log *slog.Logger) *Watcher {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	return &Watcher{path: path, exp: exp, interval: interval, log: log,
		reload: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Load reads and applies the file once, before Start: an agent refuses to
// start on a configuration it cannot use.
func (w *Watcher) Load() error {
	v, err := w.load()
	if err != nil {
		return err
	}
	w.seen = v
	return nil
}

// Start polls the file until Stop.
func (w *Watcher) Start() { go w.run() }

// Stop ends the goroutine.
func (w *Watcher) Stop() {
	close(w.stop)
	<-w.done
}

// Reload asks for the file to be read again now, whether or not it changed.
func (w *Watcher) Reload() {
	select {
	case w.reload <- struct{}{}:
	default: // one is pending already
	}
}

// ReloadStats are the reloads done, those refused, and whether the last
// one was applied.
func (w *Watcher) ReloadStats() (reloads, failures uint64, lastOK bool) {
	return w.reloads.Load(), w.failures.Load(), w.lastOK.Load()
}

func (w *Watcher) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.reload:
			w.try(true)
		case <-t.C:
			w.try(false)
		}
	}
}

// try reloads when forced or when the file changed since it was loaded.
func (w *Watcher) try(force bool) {
	if !force {
		v, err := version(w.path)
		if err == nil && v == w.seen {
			return
		}
	}
	v, err := w.load()
	if err != nil {
		w.log.Error("export configuration refused: the running one stays", "file", w.path, "error", err)
		// Remember the bad version so it is not reported every poll.
		if bad, verr := version(w.path); verr == nil {
			w.seen = bad
		}
		return
	}
	w.seen = v
	w.log.Info("export configuration applied", "file", w.path)
}

// load reads, parses and applies the file, counting the outcome.
func (w *Watcher) load() (fileVersion, error) {
	w.reloads.Add(1)
	v, err := w.apply()
	if err != nil {
		w.failures.Add(1)
		w.lastOK.Store(false)
		return v, err
	}
	w.lastOK.Store(true)
	return v, nil
}

func (w *Watcher) apply() (fileVersion, error) {
	// The version is taken before reading: a write in between makes the
	// next poll read again.
	v, err := version(w.path)
	if err != nil {
		return v, fmt.Errorf("export configuration: %w", err)
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return v, fmt.Errorf("export configuration: %w", err)
	}
	cfg, err := ParseConfig(w.path, data)
	if err != nil {
		return v, err
	}
	if err := w.exp.Apply(cfg); err != nil {
		return v, fmt.Errorf("%s: %w", w.path, err)
	}
	return v, nil
}
