package store_test

import (
	"context"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// testKeys is the keyring of every test store, so that a dump of one loads
// into another as a restore with its keyring would.
var testKeys = seal.Generate("test")

func openSQLite(t *testing.T) dissent.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dissent.db")
	storetest.FreshSQLite(t, path, seal.New(testKeys)) // the schema, made once per test binary
	db, err := store.OpenSQLite(context.Background(), path, seal.New(testKeys))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, openSQLite)
}
