package file

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// rotatingFile appends to path and, when a write would take it past
// maxSize, moves it to path.1 (path.1.gz when compressed), the older ones
// one number up, keeping maxBackups of them.
type rotatingFile struct {
	path       string
	maxSize    int64
	maxBackups int
	compress   bool
	f          *os.File
	size       int64
}

func openRotating(fl FlowLog) (*rotatingFile, error) {
	if err := os.MkdirAll(filepath.Dir(fl.FilePath), 0o750); err != nil {
		return nil, fmt.Errorf("create directory of %s: %w", fl.FilePath, err)
	}
	w := &rotatingFile{path: fl.FilePath, maxSize: fl.MaxSize, maxBackups: fl.MaxBackups, compress: fl.Compress}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *rotatingFile) open() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open flow log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat flow log: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// write appends one line, rotating first when it would not fit.
func (w *rotatingFile) write(line []byte) error {
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(line)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(line)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write flow log: %w", err)
	}
	return nil
}

func (w *rotatingFile) backup(n int) string {
	name := w.path + "." + strconv.Itoa(n)
	if w.compress {
		name += ".gz"
	}
	return name
}

func (w *rotatingFile) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close flow log: %w", err)
	}
	if w.maxBackups == 0 {
		if err := os.Remove(w.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate flow log: %w", err)
		}
		return w.open()
	}
	// Rotated names are fixed, so the oldest is overwritten by the rename
	// of the one before it.
	for n := w.maxBackups - 1; n >= 1; n-- {
		if err := os.Rename(w.backup(n), w.backup(n+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate flow log: %w", err)
		}
	}
	if w.compress {
		if err := gzipFile(w.path, w.backup(1)); err != nil {
			return err
		}
	} else if err := os.Rename(w.path, w.backup(1)); err != nil {
		return fmt.Errorf("rotate flow log: %w", err)
	}
	return w.open()
}

// gzipFile compresses src into dst (through a temporary name, so dst is
// whole or absent) and removes src. It runs on the exporter's goroutine:
// meanwhile flows wait in the queue, which counts what it cannot hold.
func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("compress flow log: %w", err)
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("compress flow log: %w", err)
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	err = errors.Join(err, zw.Close(), out.Close())
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compress flow log: %w", err)
	}
	return os.Remove(src)
}

func (w *rotatingFile) close() error { return w.f.Close() }
