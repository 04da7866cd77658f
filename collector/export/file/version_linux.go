package file

import (
	"os"
	"syscall"
)

func version(path string) (fileVersion, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileVersion{}, err
	}
	v := fileVersion{mod: st.ModTime(), size: st.Size()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		v.inode = sys.Ino
	}
	return v, nil
}
