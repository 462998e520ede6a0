package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/store"
)

// FreshSQLite writes at path (its directory is made if need be) an empty
// SQLite database at the current schema, as store.OpenSQLite leaves a new
// file: migrated, its row triggers installed, no row. Opening it with
// store.OpenSQLite then finds nothing to do. The sealer is the one
// store.OpenSQLite requires; making the schema seals nothing.
//
// The schema is made once per test binary, by store.OpenSQLite itself on a
// new file, and copied: making it runs every migration and installs every
// trigger, a second and a half under the race detector, which every test
// that opened a new database paid. The migrations hold only SQL (no random
// or sealed value, no time), so a copy is what a new file would be; the
// tests of migrating old databases open their files with store.OpenSQLite.
func FreshSQLite(t testing.TB, path string, sealer dissent.Sealer) {
	t.Helper()
	if err := WriteFreshSQLite(path, sealer); err != nil {
		t.Fatal(err)
	}
}

// WriteFreshSQLite is FreshSQLite for code that has no test at hand (a
// test hook set in TestMain).
func WriteFreshSQLite(path string, sealer dissent.Sealer) error {
	files, err := sqliteSchema(sealer)
	if err != nil {
		return fmt.Errorf("make the SQLite schema: %w", err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for suffix, b := range files {
		if err := os.WriteFile(filepath.Join(dir, base+suffix), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// OpenSQLite is store.OpenSQLite, which makes a file that does not exist
// from FreshSQLite's copy of the schema: for tests of code that opens its
// store by a hook.
func OpenSQLite(ctx context.Context, path string, sealer dissent.Sealer) (*store.DB, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := WriteFreshSQLite(path, sealer); err != nil {
			return nil, err
		}
	}
	return store.OpenSQLite(ctx, path, sealer)
}

var schema struct {
	sync.Mutex
	files map[string][]byte // by suffix of the database's name: "", "-wal"
}

// sqliteSchema returns the files of a new database made by
// store.OpenSQLite and closed, made on the first call.
func sqliteSchema(sealer dissent.Sealer) (map[string][]byte, error) {
	schema.Lock()
	defer schema.Unlock()
	if schema.files != nil {
		return schema.files, nil
	}
	tmp, err := os.MkdirTemp("", "dissent-schema-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "dissent.db")
	db, err := store.OpenSQLite(context.Background(), path, sealer)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		switch {
		case err == nil:
			files[suffix] = b
		case suffix != "" && os.IsNotExist(err):
		default:
			return nil, err
		}
	}
	if len(files[""]) == 0 {
		return nil, fmt.Errorf("%s is empty after open and close", path)
	}
	schema.files = files
	return files, nil
}
