package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/dissent-channel/dissent/internal/seal"
)

// TestAuditTriggersInPlace: every recorded table has its three triggers,
// their text is the text wanted (so a later open leaves them alone), and a
// trigger dropped behind the store's back is made again at the next open.
func TestAuditTriggersInPlace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	ring := seal.Generate("test")
	db, err := OpenSQLite(ctx, path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := recordedTables(ctx, db.write, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, rt := range tables {
		for _, st := range sqliteTriggers(rt) {
			if strings.HasPrefix(st, "CREATE") {
				want = append(want, st)
			}
		}
	}
	slices.Sort(want)
	have, err := sqliteTriggerSQL(ctx, db.write)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3*len(tables) || !slices.Equal(want, have) {
		t.Fatalf("%d triggers in place for %d tables; want the %d wanted", len(have), len(tables), len(want))
	}
	if _, err := db.write.ExecContext(ctx, `DROP TRIGGER rc_signatures_i`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenSQLite(ctx, path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if have, _ := sqliteTriggerSQL(ctx, db.write); !slices.Equal(want, have) {
		t.Errorf("after a trigger was dropped, the next open has %d triggers; want %d", len(have), len(want))
	}
}
