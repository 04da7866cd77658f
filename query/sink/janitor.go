package sink

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/loupe-dev/loupe/query/schema"
)

// janitor drops expired partitions now and every JanitorInterval, on
// servers without TTL.
func (s *Sink) janitor() {
	t := time.NewTicker(s.cfg.JanitorInterval)
	defer t.Stop()
	for {
		if err := s.dropExpired(s.hard, time.Now()); err != nil {
			s.cfg.Log.Warn("retention: dropping expired partitions failed, retrying next time", "err", err)
		}
		select {
		case <-t.C:
		case <-s.stopping:
			return
		case <-s.hard.Done():
			return
		}
	}
}

// retainedTables are the tables that hold data, all partitioned by day
// (toYYYYMMDD); materialized views hold none.
func retainedTables() []string {
	tables := []string{schema.FlowsTable}
	for _, r := range schema.Rollups {
		tables = append(tables, r.Table)
	}
	return tables
}

// dropExpired drops the day partitions whose whole day is older than the
// retention at now.
func (s *Sink) dropExpired(ctx context.Context, now time.Time) error {
	cutoff := expiredBefore(now, s.cfg.RetentionDays)
	conn := s.cfg.Store.Conn()
	db := s.cfg.Store.Database()
	keep := map[string]bool{}
	for _, t := range retainedTables() {
		keep[t] = true
	}
	var parts []struct {
		Table     string `ch:"table"`
		Partition string `ch:"partition_id"`
	}
	q := "SELECT DISTINCT table, partition_id FROM system.parts WHERE database = ? AND active"
	if err := conn.Select(ctx, &parts, q, db); err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	for _, p := range parts {
		day, err := strconv.Atoi(p.Partition)
		if !keep[p.Table] || err != nil || day >= cutoff {
			continue
		}
		// The id is digits only, checked above: safe to splice.
		q := fmt.Sprintf("ALTER TABLE `%s`.`%s` DROP PARTITION ID '%d'", db, p.Table, day)
		if err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("drop partition %d of %s: %w", day, p.Table, err)
		}
		s.cfg.Log.Info("retention: dropped expired partition", "table", p.Table, "day", day)
	}
	return nil
}

// expiredBefore is the first day (YYYYMMDD) still retained: a day before
// it ended more than days ago.
func expiredBefore(now time.Time, days int) int {
	d := now.UTC().AddDate(0, 0, -days)
	return d.Year()*10000 + int(d.Month())*100 + d.Day()
}
