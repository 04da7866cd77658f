// Package bpffs makes sure the agent's pin directory lives on a BPF
// filesystem, where pinned maps and links outlive the agent process.
package bpffs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultMount is where bpffs is conventionally mounted.
const DefaultMount = "/sys/fs/bpf"

// ErrNotBPFFS means a directory is not on a BPF filesystem.
var ErrNotBPFFS = errors.New("not on a bpf filesystem")

// Ensure creates dir on a BPF filesystem. When dir is beneath DefaultMount and
// nothing is mounted there yet, it mounts bpffs first, as Cilium does; any
// other location must already be on bpffs.
func Ensure(dir string) error {
	dir = filepath.Clean(dir)
	if strings.HasPrefix(dir+"/", DefaultMount+"/") {
		if err := mountDefault(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create pin directory: %w", err)
	}
	ok, err := isBPFFS(dir)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w: mount one with 'mount -t bpf bpf %s' or choose a directory under %s",
			dir, ErrNotBPFFS, filepath.Dir(dir), DefaultMount)
	}
	return nil
}

func mountDefault() error {
	if err := os.MkdirAll(DefaultMount, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", DefaultMount, err)
	}
	ok, err := isBPFFS(DefaultMount)
	if err != nil || ok {
		return err
	}
	if err := unix.Mount("bpf", DefaultMount, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount bpffs at %s: %w", DefaultMount, err)
	}
	return nil
}

func isBPFFS(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint32(st.Type) == unix.BPF_FS_MAGIC, nil
}
