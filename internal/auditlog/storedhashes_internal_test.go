package auditlog

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestAppendStoredHashes checks that appendStoredHashes appends, leaf after
// leaf, exactly what tlog.StoredHashes returns.
func TestAppendStoredHashes(t *testing.T) {
	var mem, want []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = want[x]
		}
		return out, nil
	})
	for n := range int64(1100) {
		data := sha256.Sum256([]byte(strconv.FormatInt(n, 10)))
		hs, err := tlog.StoredHashes(n, data[:], r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hs...)
		mem = appendStoredHashes(mem, n, data[:])
		if !slices.Equal(mem, want) {
			t.Fatalf("leaf %d: the stored hashes differ from tlog.StoredHashes'", n)
		}
	}
}
