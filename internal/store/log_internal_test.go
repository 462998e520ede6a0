package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mathrand "math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

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
	db := openTestDB(t)
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

// rowDigest writes the common rows' JSON by hand; its digest must be the
// definition's (rowDigestReflect) for every value, or `dissent verify`
// would call every row of an existing deployment edited.
func TestRowDigestFastPath(t *testing.T) {
	rnd := mathrand.New(mathrand.NewPCG(17, 2))
	pick := func() any {
		switch rnd.IntN(9) {
		case 0:
			return nil
		case 1:
			return rnd.Int64() - rnd.Int64()
		case 2:
			return int64(rnd.IntN(3)) - 1
		case 3:
			return rnd.IntN(2) == 0
		case 4:
			b := make([]byte, rnd.IntN(70))
			for i := range b {
				b[i] = byte(rnd.IntN(256))
			}
			return b
		case 5:
			return "dissent <&> \u2028 \"quoted\" \\ é"
		case 6:
			return string([]byte{0xff, 'a', 0x80})
		case 7:
			return int32(rnd.Int32())
		default:
			return ""
		}
	}
	fast := 0
	for i := range 3000 {
		vals := make([]any, rnd.IntN(12))
		for j := range vals {
			vals[j] = pick()
		}
		if i%50 == 0 && len(vals) > 0 { // the general path too
			vals[rnd.IntN(len(vals))] = 1.5
		}
		want, err := rowDigestReflect("signatures", vals)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rowDigest("signatures", vals)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("row %#v: digest %s, the definition gives %s", vals, got, want)
		}
		if _, ok := appendRowJSON(nil, vals); ok {
			fast++
		}
	}
	if fast < 2500 {
		t.Fatalf("only %d of 3000 rows took the fast path", fast)
	}
	// A different table or value gives a different digest.
	a, _ := rowDigest("signatures", []any{int64(1), "x"})
	b, _ := rowDigest("messages", []any{int64(1), "x"})
	c, _ := rowDigest("signatures", []any{int64(1), []byte("y")})
	if a == b || a == c {
		t.Fatal("digests do not depend on the table and the values")
	}
}

func FuzzRowDigest(f *testing.F) {
	f.Add(int64(7), []byte("abc"), "text", true, false)
	f.Add(int64(-1), []byte{}, "\xff\xfe", false, true)
	f.Fuzz(func(t *testing.T, n int64, b []byte, s string, flag, null bool) {
		vals := []any{n, b, s, flag}
		if null {
			vals = append(vals, nil)
		}
		want, err := rowDigestReflect("t", vals)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := rowDigest("t", vals); got != want {
			t.Fatalf("%#v: %s, want %s", vals, got, want)
		}
	})
}

// openTestDB opens a new SQLite store in the test's directory, closed when
// the test ends.
func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"), seal.New(seal.Generate("test")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestBatchNumbersEntriesAfterARollback: the writer's batch remembers the
// next entry's number; a caller whose function wrote an entry (RecordWrites)
// and then failed is rolled back to its savepoint, and the next caller's
// entry takes the number it freed, so the log has no gap.
func TestBatchNumbersEntriesAfterARollback(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	event := func(kind string) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			return tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: kind})
		}
	}
	failing := func(tx dissent.Tx) error {
		if err := event("test.undone")(tx); err != nil {
			return err
		}
		if err := tx.RecordWrites(ctx); err != nil {
			return err
		}
		return errors.New("refused after writing an entry")
	}
	runBatchOf(t, db, []int{1, 3}, event("test.a"), failing, event("test.b"), failing, event("test.c"))
	var kinds []string
	var seqs []int64
	err := db.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		entries, err := tx.LogEntries(ctx, 0, size)
		for _, e := range entries {
			r, ok := dissent.ParseCanonicalEntry(e.Payload)
			if !ok {
				return fmt.Errorf("entry %d is not canonical", e.Seq)
			}
			kinds, seqs = append(kinds, r.Kind), append(seqs, e.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kinds, []string{"test.a", "test.b", "test.c"}) || !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Fatalf("entries %v numbered %v; want test.a, test.b, test.c numbered 1, 2, 3", kinds, seqs)
	}
}

// TestBatchWritesActivationsApart: the activations the callers of one
// writer's batch queue (ActivateApart) are written at its end, in one entry
// of their own that records the people's rows and nothing else; a caller
// whose function fails activates nobody; a person activated twice in the
// batch is recorded once.
func TestBatchWritesActivationsApart(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	var ids []dissent.PersonID
	err := db.Update(ctx, func(tx dissent.Tx) error {
		for _, e := range []string{"a@x.example", "b@x.example", "c@x.example"} {
			id, err := tx.CreatePerson(ctx, dissent.Person{Email: e, Name: e, Created: time.Now()})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, from := logKinds(t, db, 0)
	act := func(id dissent.PersonID, kind string, fail bool) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			if err := tx.ActivateApart(ctx, id); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: kind}); err != nil {
				return err
			}
			if fail {
				return errors.New("refused after activating")
			}
			return nil
		}
	}
	runBatchOf(t, db, []int{1}, act(ids[0], "test.a", false), act(ids[1], "test.b", true), act(ids[2], "test.c", false), act(ids[0], "test.d", false))
	recs, _ := logKinds(t, db, from)
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	if !slices.Equal(kinds, []string{"test.a", "test.c", "test.d", "state.changed"}) {
		t.Fatalf("entries %v; want the callers' test.a, test.c, test.d, then the activations'", kinds)
	}
	for _, r := range recs[:3] {
		if len(r.Rows) != 0 {
			t.Errorf("%s records rows %v; want none (the activations are apart)", r.Kind, r.Rows)
		}
	}
	var keys []string
	for _, d := range recs[3].Rows {
		keys = append(keys, d.Table+" "+d.Key)
	}
	want := []string{"people " + strconv.Itoa(int(ids[0])), "people " + strconv.Itoa(int(ids[2]))}
	if !slices.Equal(keys, want) {
		t.Fatalf("the activations' entry records %v; want %v", keys, want)
	}
	err = db.View(ctx, func(tx dissent.Tx) error {
		for i, id := range ids {
			p, err := tx.Person(ctx, id)
			if err != nil {
				return err
			}
			if p.Activated != (i != 1) {
				return fmt.Errorf("person %d activated %v", i, p.Activated)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// logKinds returns the records of the log's integrated entries from index
// from on, and the index after them.
func logKinds(t *testing.T, db *DB, from int64) ([]dissent.EntryRecord, int64) {
	t.Helper()
	var out []dissent.EntryRecord
	next := from
	err := db.View(context.Background(), func(tx dissent.Tx) error {
		size, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		entries, err := tx.LogEntries(context.Background(), from, size)
		for _, e := range entries {
			r, err := decodeRecord(e.Payload)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		next = from + int64(len(entries))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, next
}

// runBatchOf runs fns as one batch of the writer and checks that the
// callers at the indexes failing failed and the others succeeded.
func runBatchOf(t *testing.T, db *DB, failing []int, fns ...func(dissent.Tx) error) {
	t.Helper()
	batch := make([]*writeReq, len(fns))
	for i, fn := range fns {
		batch[i] = &writeReq{ctx: context.Background(), fn: fn, done: make(chan error, 1)}
	}
	db.runBatch(batch)
	for i, r := range batch {
		if err := <-r.done; (err != nil) != slices.Contains(failing, i) {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
}

// TestBatchRunsAgainOnlyAfterAWrite: the writer runs a batch's callers
// without savepoints. A function refused before it writes costs nothing
// more; one that fails after writing stops the batch, which runs again from
// its start with a savepoint per caller (the functions before it twice, its
// writes undone, the others' kept, nobody told twice), and the batches after
// that one keep their savepoints for a while.
func TestBatchRunsAgainOnlyAfterAWrite(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	runs := map[string]int{}
	event := func(kind string, failBefore, failAfter bool) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			runs[kind]++
			if failBefore {
				return errors.New("refused before writing")
			}
			if err := tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: kind}); err != nil {
				return err
			}
			if err := tx.RecordWrites(ctx); err != nil { // the entry is written now
				return err
			}
			if failAfter {
				return errors.New("refused after writing")
			}
			return nil
		}
	}
	reruns := func() int64 { return db.Stats().BatchReruns }
	_, from := logKinds(t, db, 0)
	runBatchOf(t, db, []int{1}, event("test.a", false, false), event("test.refused", true, false), event("test.b", false, false))
	if got := reruns(); got != 0 {
		t.Fatalf("a refusal before any write made %d reruns; want 0", got)
	}
	runBatchOf(t, db, []int{1}, event("test.c", false, false), event("test.undone", false, true), event("test.d", false, false))
	if got := reruns(); got != 1 {
		t.Fatalf("a failure after a write made %d reruns; want 1", got)
	}
	want := map[string]int{"test.a": 1, "test.refused": 1, "test.b": 1, "test.c": 2, "test.undone": 2, "test.d": 1}
	if !maps.Equal(runs, want) {
		t.Fatalf("functions ran %v times; want %v", runs, want)
	}
	if db.savepointRuns != savepointBatches {
		t.Fatalf("after a rerun, %d batches to run with savepoints; want %d", db.savepointRuns, savepointBatches)
	}
	// The next batch has its savepoints already: no rerun.
	runBatchOf(t, db, []int{0}, event("test.undone2", false, true), event("test.e", false, false))
	if got := reruns(); got != 1 || runs["test.undone2"] != 1 || runs["test.e"] != 1 {
		t.Fatalf("with savepoints: %d reruns, functions ran %v; want 1 rerun in all, each once", got, runs)
	}
	recs, _ := logKinds(t, db, from)
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	if !slices.Equal(kinds, []string{"test.a", "test.b", "test.c", "test.d", "test.e"}) {
		t.Fatalf("the log holds %v; want test.a to test.e, nothing undone", kinds)
	}
}

// TestEventsOfEntriesWithoutClass: entries written before classes were
// kept (class 0) are read by every class's reader and kept by their kind,
// so that a history or an access log over an older log loses nothing and
// gains nothing.
func TestEventsOfEntriesWithoutClass(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	kinds := []string{"message.submitted", "read.text", "signature.added", "read.names", "message.acknowledged"}
	if err := db.Update(ctx, func(tx dissent.Tx) error {
		for i, k := range kinds {
			if err := tx.AppendEvent(ctx, dissent.Event{At: at.Add(time.Duration(i) * time.Minute), Kind: k, MessageID: "m-old"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The first three as an older deployment wrote them; the rest as now.
	if _, err := db.write.ExecContext(ctx, `UPDATE log_entries SET class = 0 WHERE message_id = 'm-old' AND seq < (SELECT MIN(seq) + 3 FROM log_entries WHERE message_id = 'm-old')`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		classes []dissent.EventClass
		want    []string
	}{
		{nil, kinds},
		{[]dissent.EventClass{dissent.ClassStep}, []string{"message.submitted", "message.acknowledged"}},
		{[]dissent.EventClass{dissent.ClassRead}, []string{"read.text", "read.names"}},
		{[]dissent.EventClass{dissent.ClassAct}, []string{"signature.added"}},
	} {
		var got []string
		err := db.View(ctx, func(tx dissent.Tx) error {
			es, err := tx.Events(ctx, "m-old", c.classes...)
			for _, e := range es {
				got = append(got, e.Kind)
			}
			return err
		})
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Events(%v) = %v, %v; want %v", c.classes, got, err, c.want)
		}
	}
}
