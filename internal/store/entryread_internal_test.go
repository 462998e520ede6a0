package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// TestLogEntriesBySeq checks the read of a range of entries in the table's
// order on SQLite: it returns what the read through the index on leaf
// returns, and declines (so that that read names the fault) whenever the
// two could differ — in particular an entry whose leaf is moved away and
// replaced, at its place in the table, by a copy whose leaf is a blob that
// reads as the same number (the check of the leaf's type), and a second
// row with a leaf of the range outside the run (the count over the index).
func TestLogEntriesBySeq(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	seedEntries(t, db, 300)
	const lo, hi = 10, 250
	// rebuild recreates log_entries without its constraints (as one who
	// edits the file could), keeping its rows.
	const rebuild = `CREATE TABLE le (seq INTEGER PRIMARY KEY, leaf BIGINT, message_id TEXT, commitment BLOB, sealed BLOB, actor_sealed BLOB);
		INSERT INTO le SELECT * FROM log_entries ORDER BY seq; DROP TABLE log_entries; ALTER TABLE le RENAME TO log_entries; `
	tests := []struct {
		name   string
		tamper string // statements run first
		ok     bool   // the read in the table's order accepts the range
		rowErr bool   // the read through the index refuses it
	}{
		{"untouched", ``, true, false},
		{"an entry missing", `DELETE FROM log_entries WHERE leaf = 100`, false, true},
		{"an entry not integrated", `UPDATE log_entries SET leaf = NULL WHERE leaf = 100`, false, true},
		{"two leaves swapped", `UPDATE log_entries SET leaf = -1 WHERE leaf = 100; UPDATE log_entries SET leaf = 100 WHERE leaf = 101; UPDATE log_entries SET leaf = 101 WHERE leaf = -1`, false, false},
		{"an entry moved to the end of the table", `UPDATE log_entries SET seq = 1000000 WHERE leaf = 100`, false, true},
		{"an entry moved away, a copy with the leaf as a blob in its place",
			`INSERT INTO log_entries (seq, leaf, message_id, commitment, sealed) SELECT 1000000, NULL, message_id, commitment, sealed FROM log_entries WHERE leaf = 100; ` +
				`UPDATE log_entries SET leaf = CAST('100' AS BLOB) WHERE leaf = 100; UPDATE log_entries SET leaf = 100 WHERE seq = 1000000`, false, true},
		{"a leaf of the range twice, the second outside the run",
			rebuild + `INSERT INTO log_entries (seq, leaf, message_id, commitment, sealed) SELECT 1000000, leaf, message_id, commitment, sealed FROM log_entries WHERE leaf = 100`, false, true},
		{"a leaf stored as a real", `UPDATE log_entries SET leaf = 100.5 WHERE leaf = 100`, false, true},
		{"a sealed value altered", `UPDATE log_entries SET sealed = sealed || x'00' WHERE leaf = 100`, false, true},
		{"a commitment stored as text (both reads return its bytes)", `UPDATE log_entries SET commitment = CAST(commitment AS TEXT) WHERE leaf = 100`, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx dissent.Tx) error {
				tt := tx.(*txn)
				if tc.tamper != "" {
					if _, err := tt.q.ExecContext(ctx, tc.tamper); err != nil {
						return err
					}
				}
				fast, ok := tt.logEntriesBySeq(ctx, lo, hi)
				if ok != tc.ok {
					t.Errorf("logEntriesBySeq accepted %v, want %v", ok, tc.ok)
				}
				slow, rerr := tt.logEntriesRows(ctx, lo, hi)
				if (rerr != nil) != tc.rowErr {
					t.Errorf("through the index: error %v, want error %v", rerr, tc.rowErr)
				}
				if ok && rerr == nil && !reflect.DeepEqual(fast, slow) {
					t.Errorf("the two reads differ")
				}
				// LogEntries returns what the read through the index does.
				got, err := tt.LogEntries(ctx, lo, hi)
				if (err != nil) != (rerr != nil) || (err != nil && err.Error() != rerr.Error()) || !reflect.DeepEqual(got, slow) {
					t.Errorf("LogEntries: %v, or it differs from the read through the index (%v)", err, rerr)
				}
				return errRollback
			})
			if err != errRollback {
				t.Fatal(err)
			}
		})
	}
}

// seedEntries appends n events, some of a message and some not, and
// integrates them.
func seedEntries(t *testing.T, db *DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx dissent.Tx) error {
		for i := range n {
			e := dissent.Event{At: time.Now().UTC(), Kind: "test.entry", Detail: "detail"}
			if i%3 == 0 {
				e.MessageID = "m-test"
			}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx dissent.Tx) error {
		_, err := tx.IntegrateLog(ctx, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err == nil && size != int64(n) {
			t.Fatalf("log size %d, want %d", size, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
