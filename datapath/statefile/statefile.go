// Package statefile writes the agent's state files so that a crash leaves
// either the old or the new content, never half of one.
package statefile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data atomically (write a temporary file, then
// rename it over the old one), creating the directory if needed.
func Write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
