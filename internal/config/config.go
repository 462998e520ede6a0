// Package config holds the configuration of a Dissent deployment, its
// defaults (SQLite and generated keys in the data directory) and their
// validation. It reads neither flags nor the environment: cmd/dissent does,
// and fills a Config.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// DefaultDataDir is where a deployment lives unless --data says otherwise.
const DefaultDataDir = "./dissent-data"

// DefaultAddr is where serve listens unless --addr says otherwise: loopback
// only, so that a first run exposes nothing to the network.
const DefaultAddr = "127.0.0.1:8080"

// Backend names a storage backend.
type Backend string

// The backends.
const (
	BackendSQLite   Backend = "sqlite"
	BackendPostgres Backend = "postgres"
)

// Config is a deployment's configuration.
type Config struct {
	DataDir     string    // database (for SQLite) and keys
	DatabaseURL string    // empty: the SQLite file in DataDir
	Addr        string    // host:port to listen on
	PublicURL   string    // the URL people reach the service at; links are built from it
	Now         time.Time // if set, the clock starts here (DISSENT_NOW)
}

// Default returns the embedded default: SQLite in ./dissent-data, listening
// on loopback.
func Default() Config {
	return Config{DataDir: DefaultDataDir, Addr: DefaultAddr}
}

// Backend reports which storage backend the configuration selects.
func (c Config) Backend() Backend {
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return BackendPostgres
	}
	return BackendSQLite
}

// SQLitePath is the database file of the embedded backend.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://"); ok {
		return p
	}
	if c.DatabaseURL != "" && !strings.Contains(c.DatabaseURL, "://") {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "dissent.db")
}

// RedactedDatabaseURL is the database URL with any password masked, fit for
// logs and errors.
func (c Config) RedactedDatabaseURL() string {
	if c.DatabaseURL == "" {
		return c.SQLitePath()
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "[unparseable database URL]"
	}
	return u.Redacted()
}

// BaseURL is the public URL, or one made from the listen address.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" || host == "127.0.0.1" || host == "::1" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Validate checks the configuration, naming the setting at fault.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data: a data directory is required"))
	}
	if c.DatabaseURL != "" && strings.Contains(c.DatabaseURL, "://") {
		u, err := url.Parse(c.DatabaseURL)
		switch {
		case err != nil:
			errs = append(errs, errors.New("--db: not a URL"))
		case u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "sqlite":
			errs = append(errs, fmt.Errorf("--db: unknown scheme %q; use postgres:// or a SQLite file path", u.Scheme))
		}
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr: want HOST:PORT, got %q", c.Addr))
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--public-url: want http(s)://HOST[:PORT], got %q", c.PublicURL))
		}
	}
	return errors.Join(errs...)
}
