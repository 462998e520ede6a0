package store_test

import (
	"testing"

	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

func openSQLiteDB(t *testing.T) *store.DB { return openSQLite(t).(*store.DB) }

// TestSQLiteDump runs the dump and load checks on SQLite.
func TestSQLiteDump(t *testing.T) {
	storetest.RunDump(t, openSQLiteDB, nil)
}

// TestPostgresDump runs them on PostgreSQL, and through SQLite and back.
func TestPostgresDump(t *testing.T) {
	server := storetest.PostgresServer(t)
	storetest.RunDump(t, func(t *testing.T) *store.DB { return openPostgres(t, server) }, openSQLiteDB)
}
