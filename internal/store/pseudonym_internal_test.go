package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/dissent-channel/dissent/internal/seal"
)

// TestOldPseudonymsRefused: a database at the schema before per-message
// pseudonyms is refused, unchanged, when it holds a message, and migrated
// when it holds none.
func TestOldPseudonymsRefused(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		messages bool
	}{{"with a message", true}, {"without messages", false}} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			sub, err := fs.Sub(migrations, "migrations/sqlite")
			if err != nil {
				t.Fatal(err)
			}
			p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, pseudonymSchema-1); err != nil {
				t.Fatal(err)
			}
			before, err := p.GetDBVersion(ctx)
			if err != nil || before == 0 || before >= pseudonymSchema {
				t.Fatalf("schema before = %d, %v", before, err)
			}
			if tt.messages {
				if _, err := db.Exec(`INSERT INTO messages (id, org_id, drafter_tag, drafter_sealed, state, version, signature_count, created, updated, reply_days)
					VALUES ('m1', 'state', x'01', x'02', 'draft', 1, 1, 0, 0, 30)`); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := OpenSQLite(ctx, path, seal.New(seal.Generate("test")))
			if tt.messages {
				if !errors.Is(err, ErrOldPseudonyms) {
					t.Errorf("OpenSQLite of an old database with a message = %v; want %v", err, ErrOldPseudonyms)
				}
				if err == nil {
					s.Close()
				}
				db, _ := sql.Open("sqlite", "file:"+path)
				defer db.Close()
				var v int64
				if err := db.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&v); err != nil || v != before {
					t.Errorf("after the refusal the schema is %d, %v; want %d, unchanged", v, err, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenSQLite of an old database without messages: %v", err)
			}
			s.Close()
		})
	}
}
