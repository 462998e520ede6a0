package store

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
)

// TestReadHashesRangeAndList reads stored hashes both ways readHashes has
// (a range query for a run of consecutive indexes, IN lists otherwise) and
// checks they agree, and that a missing hash inside a run is an error.
func TestReadHashesRangeAndList(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "log.db"), seal.New(seal.Generate("test")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 300 // leaves; about 600 stored hashes
	err = db.Update(ctx, func(tx dissent.Tx) error {
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
