package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver (--db postgres://…)

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/store"
)

// openStore opens the database cfg names: the SQLite file in the data
// directory, or PostgreSQL. The keys stay in the data directory with either
// backend.
func openStore(ctx context.Context, cfg config.Config, sealer dissent.Sealer) (*store.DB, error) {
	if cfg.Backend() != config.BackendPostgres {
		return openSQLite(ctx, cfg.SQLitePath(), sealer)
	}
	return store.OpenPostgres(ctx, cfg.DatabaseURL, sealer)
}

// openSQLite is store.OpenSQLite; the package's tests make a new file from
// a copy of a schema made once (storetest.FreshSQLite) instead of running
// every migration again.
var openSQLite = store.OpenSQLite

// errNotInitializedIn is errNotInitialized, naming where the deployment was
// looked for.
func errNotInitializedIn(cfg config.Config) error {
	if cfg.Backend() == config.BackendPostgres {
		return fmt.Errorf("%w (the database %s holds none)", errNotInitialized, cfg.RedactedDatabaseURL())
	}
	return fmt.Errorf("%w (%s)", errNotInitialized, filepath.Clean(cfg.DataDir))
}

// initialized reports whether cfg names an existing deployment: for SQLite,
// the database file exists; for PostgreSQL, the database has an
// administrator (init made one). It needs no keys.
func initialized(ctx context.Context, cfg config.Config) (bool, error) {
	if cfg.Backend() != config.BackendPostgres {
		_, err := os.Stat(cfg.SQLitePath())
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	db, err := store.OpenPostgres(ctx, cfg.DatabaseURL, noKeys{})
	if err != nil {
		return false, err
	}
	defer db.Close()
	return hasAdmin(ctx, db)
}

// hasAdmin reports whether the directory in db holds an administrator. It
// asks a Service that has only the store: the command line reads through the
// Service like every other caller, never through the store's transactions.
func hasAdmin(ctx context.Context, db *store.DB) (bool, error) {
	n, err := dissent.NewService(dissent.ServiceConfig{Store: db}).CountAdmins(ctx)
	if err != nil {
		return false, fmt.Errorf("read deployment: %w", err)
	}
	return n > 0, nil
}

// noKeys is the sealer of a store opened only to read its directory before
// the keys are loaded: it seals, opens and tags nothing.
type noKeys struct{}

var errNoKeys = errors.New("no keys loaded")

func (noKeys) NewDataKey() (dissent.WrappedKey, error)                     { return dissent.WrappedKey{}, errNoKeys }
func (noKeys) Seal(dissent.WrappedKey, dissent.AD, []byte) ([]byte, error) { return nil, errNoKeys }
func (noKeys) Open(dissent.WrappedKey, dissent.AD, []byte) ([]byte, error) { return nil, errNoKeys }
func (noKeys) Rewrap(dissent.WrappedKey) (dissent.WrappedKey, error) {
	return dissent.WrappedKey{}, errNoKeys
}
func (noKeys) ActiveKEK() string                              { return "" }
func (noKeys) Tag(dissent.MessageID, dissent.PersonID) []byte { return nil }
func (noKeys) Locator(dissent.PersonID, int) []byte           { return nil }
func (noKeys) Pseudonym([]byte, dissent.PersonID) []byte      { return nil }
