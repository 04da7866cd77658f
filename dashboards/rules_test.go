package dashboards

import (
	"os"
	"os/exec"
	"testing"
)

const promtool = "/usr/bin/promtool"

// TestAlertRules: the shipped rules pass `promtool check rules`, and
// `promtool test rules` shows each alert firing on its fault and quiet
// without it. promtool comes with Debian's prometheus package (make deps).
func TestAlertRules(t *testing.T) {
	if _, err := os.Stat(promtool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool is not installed (make deps installs Debian's prometheus): %v", err)
		}
		t.Skipf("promtool is not installed: %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", "prometheus/loupe-rules.yaml"},
		{"test", "rules", "prometheus/loupe-rules.test.yaml"},
	} {
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
