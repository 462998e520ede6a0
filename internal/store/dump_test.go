package store_test

import (
	"context"
	"errors"
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
	// A dump of schema 4 holds a version-1 audit log, which this release
	// refuses with a clear error rather than dropping the audit trail.
	d, err := storetest.ReadDumpDir("testdata/dump-v4")
	if err != nil {
		t.Fatal(err)
	}
	_, err = openSQLiteDB(t).Load(context.Background(), 4, d.Reader())
	if !errors.Is(err, store.ErrLogV1) {
		t.Fatalf("Load of a schema 4 dump = %v; want ErrLogV1", err)
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		server := storetest.PostgresServer(t)
		d, _ := storetest.ReadDumpDir("testdata/dump-v4")
		if _, err := openPostgres(t, server).Load(context.Background(), 4, d.Reader()); !errors.Is(err, store.ErrLogV1) {
			t.Fatalf("Load of a schema 4 dump on PostgreSQL = %v; want ErrLogV1", err)
		}
	}
}
