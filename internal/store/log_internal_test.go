package store

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
)

// The RFC 6962 test leaves and the roots of their first n leaves, from the
// Certificate Transparency reference test vectors.
var rfcLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

var rfcRoots = []string{
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

// TestLogKnownAnswers integrates the RFC 6962 test leaves through the
// store's own integration path and checks the roots against the known answers, and every
// inclusion proof against an independent verifier
// (github.com/transparency-dev/merkle).
func TestLogKnownAnswers(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "log.db"), seal.New(seal.Generate("test")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for n, leaf := range rfcLeaves {
		data, _ := hex.DecodeString(leaf)
		err := db.Update(ctx, func(tx dissent.Tx) error {
			// The leaf data stands in for an entry's commitment.
			if err := tx.(*txn).exec(ctx, "insert", `INSERT INTO log_entries (seq, commitment, sealed) VALUES ($1, $2, $3)`, n+1, data, []byte{0}); err != nil {
				return err
			}
			size, err := tx.IntegrateLog(ctx, 10)
			if err == nil && size != int64(n+1) {
				t.Errorf("size after integrating leaf %d = %d", n, size)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(ctx, func(tx dissent.Tx) error {
			r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return tx.(*txn).readHashes(ctx, idx) })
			size := int64(n + 1)
			root, err := tlog.TreeHash(size, r)
			if err != nil {
				return err
			}
			if got := hex.EncodeToString(root[:]); got != rfcRoots[n] {
				t.Errorf("root of %d leaves = %s; want %s", size, got, rfcRoots[n])
			}
			for i := int64(0); i < size; i++ {
				p, err := tlog.ProveRecord(size, i, r)
				if err != nil {
					return err
				}
				hashes := make([][]byte, len(p))
				for j := range p {
					hashes[j] = p[j][:]
				}
				leafData, _ := hex.DecodeString(rfcLeaves[i])
				if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(size), rfc6962.DefaultHasher.HashLeaf(leafData), hashes, root[:]); err != nil {
					t.Errorf("independent verifier rejects the proof of leaf %d in %d: %v", i, size, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
