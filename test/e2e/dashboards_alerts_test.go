package e2e

import (
	"context"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	labpkg "github.com/loupe-dev/loupe/deploy/lab"
)

// alertRule is one rule of the shipped file.
type alertRule struct {
	Alert string `yaml:"alert"`
	Expr  string `yaml:"expr"`
}

func readAlertRules(t *testing.T) []alertRule {
	t.Helper()
	b, err := os.ReadFile(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", alertRulesFile, err)
	}
	var out []alertRule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// fault is something the test does to the run, and the alerts it must
// fire.
type fault struct {
	name   string
	cause  func(t *testing.T, m *metricsRun)
	alerts []string
}

// faults run in this order, each on the state the previous left.
var faults = []fault{
	{"a burst of denied connections on node a", func(t *testing.T, m *metricsRun) { m.denyBurst(t) }, []string{"LoupeDropsSpiking"}},
	{"ClickHouse stopped under the relay while node b floods its one-page ring", func(t *testing.T, m *metricsRun) {
		m.chs.Stop()
		m.labB.run("exec", "frontend", "--", "ping", "-f", "-q", "-c", "20000", "-s", "16", addrs(t, m.labB)["catalog"][0])
	}, []string{"LoupeLostEvents", "LoupeMetricsSeriesCapReached", "LoupeClickHouseInsertsFailing", "LoupeClickHouseQueueFull", "LoupeClickHouseRowsDropped"}},
	{"node b killed", func(t *testing.T, m *metricsRun) {
		if err := m.chs.Restart(context.Background()); err != nil {
			t.Fatalf("restart ClickHouse: %v", err)
		}
		m.b.kill()
	}, []string{"LoupeNodeUnavailable", "LoupeAgentDown"}},
	{"relay stopped", func(t *testing.T, m *metricsRun) { m.relay.stop() }, []string{"LoupeRelayDown"}},
}

// checkAlerts causes each fault and requires each of its alerts' shipped
// expression to return data and the alert (with for: shortened) to fire.
// Every shipped rule must belong to a fault.
func checkAlerts(t *testing.T, m *metricsRun) {
	rules := readAlertRules(t)
	covered := map[string]bool{}
	for _, f := range faults {
		for _, a := range f.alerts {
			covered[a] = true
		}
	}
	byName := map[string]alertRule{}
	for _, r := range rules {
		byName[r.Alert] = r
		if !covered[r.Alert] {
			t.Errorf("alert %s is not exercised by any fault of the test", r.Alert)
		}
	}
	for _, f := range faults {
		f.cause(t, m)
		pending := slices.Clone(f.alerts)
		deadline := time.Now().Add(90 * time.Second)
		for len(pending) > 0 && time.Now().Before(deadline) {
			firing, err := m.prom.firing()
			if err != nil {
				t.Fatal(err)
			}
			pending = slices.DeleteFunc(pending, func(name string) bool {
				res, err := m.prom.query(byName[name].Expr)
				return err == nil && len(res.Data.Result) > 0 && firing[name]
			})
			if len(pending) > 0 {
				time.Sleep(time.Second)
			}
		}
		for _, name := range pending {
			res, err := m.prom.query(byName[name].Expr)
			t.Errorf("%s: alert %s did not fire within 90s (its expression: %d series, %v)", f.name, name, len(res.Data.Result), err)
		}
		t.Logf("%s: %v fired", f.name, f.alerts)
	}
}

// denyBurst opens 1500 connections from the frontend straight to the
// database, which policy denies: each is a new connection, so each SYN
// is a drop event.
func (m *metricsRun) denyBurst(t *testing.T) {
	db := net.JoinHostPort(addrs(t, m.labA)["db"][0], "5432")
	err := labpkg.RunInNetNS(labpkg.NetNSName(m.labA.name, "shop", "frontend"), func() error {
		d := net.Dialer{Timeout: 2 * time.Millisecond}
		for range 1500 {
			if c, err := d.Dial("tcp", db); err == nil {
				c.Close()
				return nil // not denied: the alert will not fire, and says so
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
