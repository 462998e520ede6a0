package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
)

// TestSQLiteHasNoAuditTriggers: SQLite's rows are captured by the writer's
// hook, so an open drops the triggers an older version installed, and the
// rows those noted in row_changes are digested by the next function (read
// back by key) and row_changes emptied; a row noted there later, with no
// trigger in place, was noted behind the store's back and is not recorded.
func TestSQLiteHasNoAuditTriggers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	ring := seal.Generate("test")
	db, err := OpenSQLite(ctx, path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx dissent.Tx) error {
		_, err := tx.CreatePerson(ctx, dissent.Person{Email: "a@x.example", Name: "A", Created: time.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, from := logKinds(t, db, 0)
	db.Close()
	// An older version's trigger, and a row it noted behind the store's back.
	db = reopenAfter(t, path, ring,
		`CREATE TRIGGER rc_people_u AFTER UPDATE ON people BEGIN INSERT INTO row_changes (tbl, k) VALUES ('people', CAST(NEW.id AS TEXT)); END`,
		`UPDATE people SET name = 'Edited outside' WHERE email = 'a@x.example'`)
	var triggers int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'trigger'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if triggers != 0 {
		t.Fatalf("%d triggers after the open; want none", triggers)
	}
	if err := db.Update(ctx, func(tx dissent.Tx) error {
		return tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: "test.next"})
	}); err != nil {
		t.Fatal(err)
	}
	recs, _ := logKinds(t, db, from)
	if len(recs) != 1 || len(recs[0].Rows) != 1 || recs[0].Rows[0].Table != "people" || recs[0].Rows[0].Digest != digestNow(t, db, "people", recs[0].Rows[0].Key) {
		t.Fatalf("entries after the open: %+v; want test.next recording the people row noted outside", recs)
	}
	var left int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM row_changes`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("row_changes holds %d rows (%v); want it emptied", left, err)
	}
	_, from = logKinds(t, db, 0)
	db.Close()
	db = reopenAfter(t, path, ring,
		`UPDATE people SET name = 'Edited again' WHERE email = 'a@x.example'`,
		`INSERT INTO row_changes (tbl, k) SELECT 'people', CAST(id AS TEXT) FROM people`)
	if err := db.Update(ctx, func(tx dissent.Tx) error {
		return tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: "test.after"})
	}); err != nil {
		t.Fatal(err)
	}
	if recs, _ = logKinds(t, db, from); len(recs) != 1 || len(recs[0].Rows) != 0 {
		t.Fatalf("entries after a row noted behind the store's back: %+v; want test.after recording no row", recs)
	}
}

// probeDB is a store with a recorded table "probe" whose column a takes
// any storage class, made before the writer's first batch reads the catalog.
func probeDB(t *testing.T) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe.db")
	raw, err := openRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(context.Background(), `CREATE TABLE probe (id INTEGER PRIMARY KEY, a, b BLOB, k TEXT UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := OpenSQLite(context.Background(), path, seal.New(seal.Generate("test")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeProbe runs fn in the writer and returns the row digests its
// function's entry records.
func writeProbe(t *testing.T, db *DB, fn func(ctx context.Context, tx *txn) error) ([]dissent.RowDigest, error) {
	t.Helper()
	ctx := context.Background()
	_, from := logKinds(t, db, 0)
	err := db.Update(ctx, func(tx dissent.Tx) error {
		if err := fn(ctx, tx.(*txn)); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: "test.probe"})
	})
	if err != nil {
		return nil, err
	}
	recs, _ := logKinds(t, db, from)
	var rows []dissent.RowDigest
	for _, r := range recs {
		rows = append(rows, r.Rows...)
	}
	return rows, nil
}

func digestNow(t *testing.T, db *DB, table, key string) string {
	t.Helper()
	var d string
	err := db.View(context.Background(), func(tx dissent.Tx) error {
		var err error
		d, err = tx.(*txn).DigestRow(context.Background(), table, key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHookDigestsAsReadBack: the values the writer's hook captures digest
// exactly as the row read back, for every storage class a column can hold
// (empty text and blob, NULL, negative and large integers, reals, text with
// quotes and non-ASCII), on insert, update and delete; a text holding a NUL,
// which the hook would read only up to it, is refused.
func TestHookDigestsAsReadBack(t *testing.T) {
	db := probeDB(t)
	vals := []any{nil, int64(0), int64(-7), int64(1) << 62, "", "x'y,z", "é", []byte{}, []byte{0, 1, 0xff}, 1.5, -0.25}
	for i, v := range vals {
		id := int64(i + 1)
		key := strconv.FormatInt(id, 10)
		rows, err := writeProbe(t, db, func(ctx context.Context, tx *txn) error {
			return tx.exec(ctx, "probe", `INSERT INTO probe (id, a, b) VALUES ($1, $2, $3)`, id, v, []byte("b"))
		})
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want := digestNow(t, db, "probe", key)
		if len(rows) != 1 || rows[0].Key != key || rows[0].Digest != want || want == "" {
			t.Errorf("%#v: recorded %+v; want probe %d digested %s", v, rows, id, want)
		}
	}
	rows, err := writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		if err := tx.exec(ctx, "probe", `UPDATE probe SET a = 'changed' WHERE id = 1`); err != nil {
			return err
		}
		return tx.exec(ctx, "probe", `DELETE FROM probe WHERE id = 2`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []dissent.RowDigest{{Table: "probe", Key: "1", Digest: digestNow(t, db, "probe", "1")}, {Table: "probe", Key: "2", Digest: ""}}; !slices.Equal(rows, want) {
		t.Errorf("update and delete recorded %+v; want %+v", rows, want)
	}
	_, err = writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		return tx.exec(ctx, "probe", `INSERT INTO probe (id, a) VALUES (99, $1)`, "nul\x00inside")
	})
	if err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("a text holding a NUL: %v; want it refused", err)
	}
}

// TestHookForgetsUndoneWrites: the rows of a statement that failed (and
// that the function went on from), of a batch of one that failed, and of a
// caller whose function failed in a batch (rolled back to its savepoint),
// and of a write on the writer's connection outside a batch are not
// recorded; an update that changes a row's key records the old key
// as gone.
func TestHookForgetsUndoneWrites(t *testing.T) {
	ctx := context.Background()
	db := probeDB(t)
	rows, err := writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		if err := tx.exec(ctx, "probe", `INSERT INTO probe (id, k) VALUES (1, 'one')`); err != nil {
			return err
		}
		// Row 2 is written, then row 1 conflicts: SQLite undoes the statement.
		if err := tx.exec(ctx, "probe", `INSERT INTO probe (id, k) VALUES (2, 'two'), (1, 'again')`); err == nil {
			return errors.New("the conflicting insert succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Key != "1" {
		t.Fatalf("after a failed statement, recorded %+v; want probe 1 alone", rows)
	}
	if _, err := writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		if err := tx.exec(ctx, "probe", `INSERT INTO probe (id) VALUES (3)`); err != nil {
			return err
		}
		return errors.New("refused after writing")
	}); err == nil {
		t.Fatal("the failing function succeeded")
	}
	if rows, err = writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		return tx.exec(ctx, "probe", `INSERT INTO probe (id) VALUES (4)`)
	}); err != nil || len(rows) != 1 || rows[0].Key != "4" {
		t.Fatalf("after a failed batch of one, recorded %+v (%v); want probe 4 alone", rows, err)
	}
	// A batch whose middle caller fails.
	_, from := logKinds(t, db, 0)
	insert := func(id int64, fail bool) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			if err := tx.(*txn).exec(ctx, "probe", `INSERT INTO probe (id) VALUES ($1)`, id); err != nil {
				return err
			}
			if fail {
				return errors.New("refused after writing")
			}
			return tx.AppendEvent(ctx, dissent.Event{At: time.Now().UTC(), Kind: "test.insert"})
		}
	}
	runBatchOf(t, db, []int{1}, insert(5, false), insert(6, true), insert(7, false))
	recs, _ := logKinds(t, db, from)
	var keys []string
	for _, r := range recs {
		for _, d := range r.Rows {
			keys = append(keys, d.Key)
		}
	}
	if !slices.Equal(keys, []string{"5", "7"}) {
		t.Fatalf("the batch recorded rows %v; want 5 and 7", keys)
	}
	// A write on the writer's connection outside a batch (as a migration's
	// or a restore's) is no function's: not recorded.
	if _, err := db.write.ExecContext(ctx, `INSERT INTO probe (id) VALUES (9)`); err != nil {
		t.Fatal(err)
	}
	if rows, err = writeProbe(t, db, func(ctx context.Context, tx *txn) error { return nil }); err != nil || len(rows) != 0 {
		t.Fatalf("after a write outside the writer, recorded %+v (%v); want nothing", rows, err)
	}
	// A key that changes: the old key is gone, the new one holds the row.
	if rows, err = writeProbe(t, db, func(ctx context.Context, tx *txn) error {
		return tx.exec(ctx, "probe", `UPDATE probe SET id = 8 WHERE id = 7`)
	}); err != nil {
		t.Fatal(err)
	}
	if want := []dissent.RowDigest{{Table: "probe", Key: "7", Digest: ""}, {Table: "probe", Key: "8", Digest: digestNow(t, db, "probe", "8")}}; !slices.Equal(rows, want) {
		t.Fatalf("a changed key recorded %+v; want %+v", rows, want)
	}
}

// TestHookKeysAsKeyExpr: the hook renders a key as keyExpr renders it in
// SQL, for each class of key column and each storage class a value takes.
func TestHookKeysAsKeyExpr(t *testing.T) {
	db := openTestDB(t)
	for _, class := range []string{"int", "text", "blob"} {
		rt := recordedTable{name: "k", pk: []dumpColumn{{name: "a", class: class, pk: 1}, {name: "b", class: "text", pk: 2}}}
		ct := &capturedTable{name: "k", key: []int{0, 1}, keyClass: []string{class, "text"}}
		for _, v := range []any{int64(-12), "id-1", "é", []byte{0, 0xab}, []byte("ab")} {
			got, err := ct.keyOf([]any{v, "x"})
			if err != nil {
				t.Fatal(err)
			}
			var want string
			if err := db.read.QueryRowContext(context.Background(), `SELECT `+rt.keyExpr(SQLite, "t")+` FROM (SELECT $1 AS a, 'x' AS b) AS t`, v).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s key %#v: hook %q, SQL %q", class, v, got, want)
			}
		}
	}
	ct := &capturedTable{name: "k", key: []int{0}, keyClass: []string{"int"}}
	for _, v := range []any{nil, 1.5} {
		if k, err := ct.keyOf([]any{v}); err == nil {
			t.Errorf("key %#v rendered as %q; want refused", v, k)
		}
	}
}

// openRaw opens an SQLite file without the store: what someone else's
// program (an older version, an operator) would write with.
func openRaw(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
}

// TestCaptureMarks: rolling back to a mark forgets what was captured after
// it, also when a take (a RecordWrites in the middle of the function) came
// in between, and keeps what came before; a failure of the hook's after the
// mark goes with it, one before it stays.
func TestCaptureMarks(t *testing.T) {
	row := func(k string) capturedRow { return capturedRow{table: "t", key: k} }
	rc := &rowCapture{}
	rc.rows = append(rc.rows, row("before"))
	m := rc.mark()
	rc.rows = append(rc.rows, row("after"))
	rc.rollbackTo(m)
	if len(rc.rows) != 1 || rc.rows[0].key != "before" {
		t.Fatalf("rolled back to the mark: %+v; want [before]", rc.rows)
	}
	m = rc.mark()
	if got, _, err := rc.take(); err != nil || len(got) != 1 {
		t.Fatalf("take: %+v, %v", got, err)
	}
	rc.rows = append(rc.rows, row("after a take"))
	rc.rollbackTo(m)
	if len(rc.rows) != 0 {
		t.Fatalf("rolled back across a take: %+v; want nothing", rc.rows)
	}
	rc.err, rc.errAt = errors.New("early"), 0
	rc.rows = append(rc.rows, row("x"))
	m = rc.mark()
	rc.rollbackTo(m)
	if _, _, err := rc.take(); err == nil {
		t.Fatal("a failure before the mark was forgotten")
	}
	rc.err = nil
	m = rc.mark()
	rc.err, rc.errAt = errors.New("late"), len(rc.rows)
	rc.rollbackTo(m)
	if _, _, err := rc.take(); err != nil {
		t.Fatalf("a failure after the mark stayed: %v", err)
	}
}

// reopenAfter runs stmts on the closed store's file with another program
// (as an operator or an older version would), then opens the store again.
func reopenAfter(t *testing.T, path string, ring *seal.Keyring, stmts ...string) *DB {
	t.Helper()
	raw, err := openRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := raw.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	db, err := OpenSQLite(context.Background(), path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
