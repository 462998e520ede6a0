package store_test

import (
	"context"
	"flag"
	"os"
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

var writeDumpV4 = flag.Bool("write-dump-v4", false, "rewrite testdata/dump-v4 (only while the newest schema is version 4)")

// TestLoadOldDump loads a dump made at schema version 4 (testdata/dump-v4)
// on each backend: every later migration must carry its rows.
func TestLoadOldDump(t *testing.T) {
	if *writeDumpV4 {
		db := openSQLiteDB(t)
		storetest.Populate(t, db)
		var d storetest.MemoryDump
		snap, err := db.Dump(context.Background(), &d)
		if err != nil || snap.Schema != 4 {
			t.Fatalf("Dump: schema %d, %v; want 4", snap.Schema, err)
		}
		if err := d.WriteDir("testdata/dump-v4"); err != nil {
			t.Fatal(err)
		}
	}
	storetest.LoadOld(t, openSQLiteDB, "testdata/dump-v4", 4)
	if os.Getenv(storetest.PostgresEnv) != "" {
		server := storetest.PostgresServer(t)
		storetest.LoadOld(t, func(t *testing.T) *store.DB { return openPostgres(t, server) }, "testdata/dump-v4", 4)
	}
}
