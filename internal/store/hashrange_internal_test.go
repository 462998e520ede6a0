package store

import (
	"context"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// TestReadHashesRangeAndList reads stored hashes both ways readHashes has
// (a range query for a run of consecutive indexes, IN lists otherwise) and
// checks they agree, and that a missing hash inside a run is an error.
func TestReadHashesRangeAndList(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	const n = 300 // leaves; about 600 stored hashes
	seedLeaves(t, db, n)
	stored := tlog.StoredHashCount(n)
	run := func(lo, hi int64) []int64 {
		var idx []int64
		for x := lo; x < hi; x++ {
			idx = append(idx, x)
		}
		return idx
	}
	tests := []struct {
		name    string
		idx     []int64
		delete  int64 // a stored hash to delete first, or -1
		wantErr bool
	}{
		{"whole run", run(0, stored), -1, false},
		{"run from the middle", run(100, stored), -1, false},
		{"short run (IN list)", run(5, 20), -1, false},
		{"not consecutive (IN list)", append(run(0, 100), 300, 2, 2), -1, false},
		{"run with a hole", run(0, stored), 150, true},
		{"list with a hole", append(run(0, 100), 150, 3), 150, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx dissent.Tx) error {
				tt := tx.(*txn)
				if tc.delete >= 0 {
					if err := tt.exec(ctx, "delete", `DELETE FROM log_hashes WHERE idx = $1`, tc.delete); err != nil {
						return err
					}
				}
				got, err := tt.readHashes(ctx, tc.idx)
				if (err != nil) != tc.wantErr {
					t.Errorf("readHashes: error %v, want error %v", err, tc.wantErr)
				}
				if err == nil {
					// Each hash read one at a time (an IN list of one).
					for i, x := range tc.idx {
						one, err := tt.readHashes(ctx, []int64{x})
						if err != nil {
							return err
						}
						if got[i] != one[0] {
							t.Errorf("hash %d: %x read in the batch, %x alone", x, got[i][:], one[0][:])
						}
					}
				}
				return errRollback
			})
			if err != errRollback {
				t.Fatal(err)
			}
		})
	}
}

var errRollback = rollbackError{}

type rollbackError struct{}

func (rollbackError) Error() string { return "roll back the test's changes" }

// TestReadHashRangeConcat checks the one-row read of a run of stored hashes
// on SQLite: it returns what the row-by-row read returns, and declines (so
// that the row-by-row read names the fault) whatever that read would not
// accept — in particular two hashes whose lengths are off by one in
// opposite directions, which concatenated read the same as the true ones.
func TestReadHashRangeConcat(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	const n = 300
	seedLeaves(t, db, n)
	const lo, hi = 10, 250
	tests := []struct {
		name   string
		tamper string // statements run first
		ok     bool   // the one-row read accepts the range
		rowErr bool   // the row-by-row read refuses it
	}{
		{"untouched", ``, true, false},
		{"a hash missing", `DELETE FROM log_hashes WHERE idx = 100`, false, true},
		{"a hash moved out of the range", `UPDATE log_hashes SET idx = 100000 WHERE idx = 100`, false, true},
		{"lengths 31 and 33, same concatenation",
			`UPDATE log_hashes SET hash = CAST((SELECT substr(a.hash, 32, 1) || b.hash FROM log_hashes a, log_hashes b WHERE a.idx = 100 AND b.idx = 101) AS BLOB) WHERE idx = 101; ` +
				`UPDATE log_hashes SET hash = substr(hash, 1, 31) WHERE idx = 100`, false, true},
		{"index 100 written as a second 99 (the table rebuilt without its key)",
			`CREATE TABLE lh (idx INTEGER NOT NULL, hash BLOB NOT NULL); INSERT INTO lh SELECT idx, hash FROM log_hashes ORDER BY idx; ` +
				`DROP TABLE log_hashes; ALTER TABLE lh RENAME TO log_hashes; UPDATE log_hashes SET idx = 99 WHERE idx = 100`, false, true},
		{"a hash stored as text (both reads return its bytes)", `UPDATE log_hashes SET hash = CAST(hash AS TEXT) WHERE idx = 100`, true, false},
		{"a hash one byte short", `UPDATE log_hashes SET hash = substr(hash, 1, 31) WHERE idx = 100`, false, true},
		{"a hash one byte long", `UPDATE log_hashes SET hash = hash || x'00' WHERE idx = 100`, false, true},
		{"a hash NULL (the table rebuilt without the constraint)",
			`CREATE TABLE lh (idx INTEGER PRIMARY KEY, hash BLOB); INSERT INTO lh SELECT idx, hash FROM log_hashes ORDER BY idx; ` +
				`DROP TABLE log_hashes; ALTER TABLE lh RENAME TO log_hashes; UPDATE log_hashes SET hash = NULL WHERE idx = 100`, false, true},
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
				fast := make([]tlog.Hash, hi-lo)
				ok, err := tt.readHashRangeConcat(ctx, lo, fast)
				if err != nil {
					return err
				}
				if ok != tc.ok {
					t.Errorf("readHashRangeConcat accepted %v, want %v", ok, tc.ok)
				}
				slow := make([]tlog.Hash, hi-lo)
				rerr := tt.readHashRangeRows(ctx, lo, slow)
				if (rerr != nil) != tc.rowErr {
					t.Errorf("row by row: error %v, want error %v", rerr, tc.rowErr)
				}
				if ok && rerr == nil && !slices.Equal(fast, slow) {
					t.Errorf("the one-row read and the row-by-row read differ")
				}
				if ok && !tc.rowErr {
					// What readHashes returns for the run is what was read.
					idx := make([]int64, 0, hi-lo)
					for x := int64(lo); x < hi; x++ {
						idx = append(idx, x)
					}
					got, err := tt.readHashes(ctx, idx)
					if err != nil || !slices.Equal(got, slow) {
						t.Errorf("readHashes: %v, or it differs from the row-by-row read", err)
					}
				}
				return errRollback
			})
			if err != errRollback {
				t.Fatal(err)
			}
		})
	}
}

// seedLeaves appends and integrates n entries of made-up commitments.
func seedLeaves(t *testing.T, db *DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx dissent.Tx) error {
		for i := range n {
			if err := tx.(*txn).exec(ctx, "insert", `INSERT INTO log_entries (seq, commitment, sealed) VALUES ($1, $2, $3)`, i+1, []byte{byte(i), byte(i >> 8)}, []byte{0}); err != nil {
				return err
			}
		}
		_, err := tx.IntegrateLog(ctx, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
