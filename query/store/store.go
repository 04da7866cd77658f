// Package store connects to ClickHouse: it parses the DSN, detects the
// server's generation, creates the database and brings the schema up to
// date before anything reads or writes.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loupe-dev/loupe/query/schema"
)

// Store is a migrated ClickHouse database.
type Store struct {
	conn     driver.Conn
	db       string
	features schema.Features
	log      *slog.Logger
}

// Config says where the store is and how its tables are shaped.
type Config struct {
	// DSN is clickhouse://host:port/database[?options].
	DSN     string
	Options schema.Options
	Log     *slog.Logger
}

// Open connects, creates the database if needed and applies the missing
// migrations.
func Open(ctx context.Context, c Config) (*Store, error) {
	opts, db, err := parseDSN(c.DSN)
	if err != nil {
		return nil, err
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The database may not exist yet: create it from the default one.
	boot := *opts
	boot.Auth.Database = "default"
	conn, err := ch.Open(&boot)
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", opts.Addr[0], err)
	}
	features, err := detect(conn)
	if err == nil {
		err = conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+db+"`")
	}
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", opts.Addr[0], err)
	}
	if conn, err = ch.Open(opts); err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", opts.Addr[0], err)
	}
	s := &Store{conn: conn, db: db, features: features, log: log}
	applied, err := schema.Migrate(ctx, conn, features, c.Options)
	if err != nil {
		conn.Close()
		return nil, err
	}
	log.Info("clickhouse ready", "addr", opts.Addr[0], "database", db, "version", features.Version,
		"modern", features.Modern(), "migrations_applied", applied)
	return s, nil
}

// parseDSN reads clickhouse://[user[:password]@]host:port/database.
func parseDSN(dsn string) (*ch.Options, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "clickhouse" || u.Host == "" {
		return nil, "", fmt.Errorf("clickhouse DSN %q: want clickhouse://host:port/database", dsn)
	}
	db := strings.Trim(u.Path, "/")
	if db == "" {
		db = "loupe"
	}
	if strings.ContainsAny(db, "`/ ") {
		return nil, "", fmt.Errorf("clickhouse DSN %q: database name %q has characters that are not allowed", dsn, db)
	}
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("clickhouse DSN %q: %w", dsn, err)
	}
	opts.Auth.Database = db
	if opts.DialTimeout == 0 || opts.DialTimeout > 5*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	return opts, db, nil
}

func detect(conn driver.Conn) (schema.Features, error) {
	v, err := conn.ServerVersion()
	if err != nil {
		return schema.Features{}, fmt.Errorf("server version: %w", err)
	}
	return schema.FeaturesOf(v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}

// Conn is the connection, for readers and writers built on the store.
func (s *Store) Conn() driver.Conn { return s.conn }

// Features are the server's.
func (s *Store) Features() schema.Features { return s.features }

// Database is the database's name.
func (s *Store) Database() string { return s.db }

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }
