package store

// The SQLite writer learns which rows a caller's function wrote from
// SQLite's pre-update hook rather than from triggers: the hook hands over
// each written row's new values as the statement writes it, so the row is
// digested without a second write (a trigger's INSERT into row_changes), a
// read (the DELETE … RETURNING that emptied it) or a read back by key.
//
// What the hook sees is exactly what the connection writes: every INSERT,
// UPDATE and DELETE of a recorded table, also those made by a foreign key's
// action or a trigger. A statement that fails, or a caller whose function
// fails (its savepoint rolled back), or a batch whose transaction rolls
// back, takes its captured rows with it, as the transaction takes the rows.
//
// row_changes, where PostgreSQL's triggers note rows, is read on SQLite
// once: at the first open after an older version, whose triggers noted
// there the rows its migrations wrote, the first function digests them
// (read back by key) along with its own. Otherwise a row noted there was
// noted behind the store's back, and is not recorded: the log would bless
// the write.

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// capturedRow is a row written in the running transaction, as the hook saw
// it: its digested values (in the table's digest order), or gone when it was
// deleted (or its key changed), or neither when only its key is known
// (noted in row_changes: read back).
type capturedRow struct {
	table string
	key   string
	vals  []any
	gone  bool
}

// rowCapture collects the rows the SQLite writer's connection writes.
type rowCapture struct {
	mu      sync.Mutex
	conn    any                       // the driver connection the hook is registered on
	tables  map[string]*capturedTable // the recorded tables, by name
	rows    []capturedRow             // written since the last take
	taken   int                       // how many takes so far
	err     error                     // the first row the hook could not capture
	errAt   int                       // how many rows were captured before it
	pending bool                      // row_changes may hold rows noted outside the writer
	writes  uint64                    // rows of any table the hook saw written, ever (wroteSince)
	written map[string]uint64         // the same by table of the main database (writesOf)
	scratch [2][]any                  // the hook's buffers for a row's old and new values
}

// capturedTable is where a recorded table's digested and key columns sit
// among all its columns, as the hook hands them over.
type capturedTable struct {
	name     string
	ncols    int
	digest   []int    // positions of the digested columns
	key      []int    // positions of the key columns, in key order
	keyClass []string // their dump classes
	keyEnd   int      // the columns up to the last key column: all a deleted row's key needs
	volatile bool     // some columns are not digested (an update of only those is no change)
}

func newCapturedTable(rt recordedTable) *capturedTable {
	ct := &capturedTable{name: rt.name, ncols: len(rt.all), volatile: len(rt.cols) < len(rt.all)}
	pos := make(map[string]int, len(rt.all))
	for i, c := range rt.all {
		pos[c.name] = i
	}
	for _, c := range rt.cols {
		ct.digest = append(ct.digest, pos[c.name])
	}
	for _, c := range rt.pk {
		ct.key = append(ct.key, pos[c.name])
		ct.keyClass = append(ct.keyClass, c.class)
		ct.keyEnd = max(ct.keyEnd, pos[c.name]+1)
	}
	return ct
}

// watch registers the hook on the connection c holds, once per driver
// connection, with the catalog of recorded tables read first.
func (rc *rowCapture) watch(ctx context.Context, c *sql.Conn) error {
	rc.mu.Lock()
	known := rc.tables != nil
	rc.mu.Unlock()
	if !known {
		tables, err := capturedTables(ctx, c)
		if err != nil {
			return err
		}
		rc.mu.Lock()
		rc.tables = tables
		rc.mu.Unlock()
	}
	return c.Raw(func(dc any) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.conn == dc {
			return nil
		}
		if err := registerHook(dc, rc.hook); err != nil {
			return err
		}
		rc.conn = dc
		return nil
	})
}

// unwatch removes the hook from the connection c holds.
func (rc *rowCapture) unwatch(c *sql.Conn) error {
	return c.Raw(func(dc any) error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.conn != dc {
			return nil
		}
		rc.conn = nil
		return registerHook(dc, nil)
	})
}

func capturedTables(ctx context.Context, q querier) (map[string]*capturedTable, error) {
	rts, err := recordedTables(ctx, q, SQLite)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*capturedTable, len(rts))
	for _, rt := range rts {
		out[rt.name] = newCapturedTable(rt)
	}
	return out, nil
}

// hook is SQLite's pre-update hook: it runs inside the statement, on the
// goroutine that steps it, before each row is written.
func (rc *rowCapture) hook(w rowWrite) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.writes++ // of any database: a temporary table's row is a write too
	if w.database != "main" {
		return
	}
	if rc.written == nil {
		rc.written = map[string]uint64{}
	}
	rc.written[w.table]++
	ct, ok := rc.tables[w.table]
	if !ok || rc.err != nil {
		return
	}
	if err := rc.capture(ct, w); err != nil {
		rc.err, rc.errAt = fmt.Errorf("capture a written row of %s: %w", ct.name, err), len(rc.rows)
	}
}

func (rc *rowCapture) capture(ct *capturedTable, w rowWrite) error {
	d := w.data
	if n := d.Count(); n != ct.ncols {
		return fmt.Errorf("the row has %d columns, the catalog %d", n, ct.ncols)
	}
	if w.op != sqliteInsert && w.op != sqliteUpdate && w.op != sqliteDelete {
		return fmt.Errorf("unknown operation %d", w.op)
	}
	var old, cur []any
	if w.op != sqliteInsert {
		// The old row's key; all of it only to compare the digested
		// columns of a table with volatile ones (the driver reads the
		// columns up to len(old)).
		n := ct.keyEnd
		if w.op == sqliteUpdate && ct.volatile {
			n = ct.ncols
		}
		old = rc.buffer(0, ct.ncols)[:n]
		if err := d.Old(old...); err != nil {
			return err
		}
	}
	if w.op != sqliteDelete {
		cur = rc.buffer(1, ct.ncols)
		if err := d.New(cur...); err != nil {
			return err
		}
	}
	if old != nil {
		oldKey, err := ct.keyOf(old)
		if err != nil {
			return err
		}
		if cur == nil {
			rc.rows = append(rc.rows, capturedRow{table: ct.name, key: oldKey, gone: true})
			return nil
		}
		newKey, err := ct.keyOf(cur)
		if err != nil {
			return err
		}
		if oldKey != newKey {
			rc.rows = append(rc.rows, capturedRow{table: ct.name, key: oldKey, gone: true})
		} else if ct.volatile && ct.sameDigested(old, cur) {
			return nil // only columns the log does not record changed
		}
		rc.rows = append(rc.rows, capturedRow{table: ct.name, key: newKey, vals: ct.digested(cur)})
		return nil
	}
	key, err := ct.keyOf(cur)
	if err != nil {
		return err
	}
	rc.rows = append(rc.rows, capturedRow{table: ct.name, key: key, vals: ct.digested(cur)})
	return nil
}

// buffer returns the hook's i-th scratch row of n values, emptied.
func (rc *rowCapture) buffer(i, n int) []any {
	b := rc.scratch[i]
	if cap(b) < n {
		b = make([]any, n)
		rc.scratch[i] = b
	}
	b = b[:n]
	clear(b)
	return b
}

// digested copies the digested columns out of a full row.
func (ct *capturedTable) digested(row []any) []any {
	out := make([]any, len(ct.digest))
	for i, p := range ct.digest {
		out[i] = row[p]
	}
	return out
}

func (ct *capturedTable) sameDigested(a, b []any) bool {
	for _, p := range ct.digest {
		x, y := a[p], b[p]
		switch xv := x.(type) {
		case []byte:
			yv, ok := y.([]byte)
			if !ok || !bytes.Equal(xv, yv) {
				return false
			}
		default:
			if x != y {
				return false
			}
		}
	}
	return true
}

// keyOf renders a row's key as keyExpr renders it in SQL on SQLite: a blob
// column's value in lower-case hex, any other as CAST(… AS TEXT), the
// columns joined by keySep.
func (ct *capturedTable) keyOf(row []any) (string, error) {
	var b strings.Builder
	for i, p := range ct.key {
		if i > 0 {
			b.WriteString(keySep)
		}
		var text []byte
		switch v := row[p].(type) {
		case int64:
			text = strconv.AppendInt(nil, v, 10)
		case string:
			text = []byte(v)
		case []byte:
			text = v
		default:
			return "", fmt.Errorf("key column %d holds %T, which has no key text", p, v)
		}
		if ct.keyClass[i] == "blob" {
			b.WriteString(hex.EncodeToString(text))
		} else {
			b.Write(text)
		}
	}
	return b.String(), nil
}

// captureMark is where a statement or a caller's function began: what it
// is rolled back to when it fails.
type captureMark struct {
	taken   int // how many takes came before
	n       int
	pending bool
	writes  uint64 // the hook's count of written rows, of any table
}

func (rc *rowCapture) mark() captureMark {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return captureMark{rc.taken, len(rc.rows), rc.pending, rc.writes}
}

// writesOf returns how many rows of each of two tables the hook has seen
// written, ever.
func (rc *rowCapture) writesOf(tables [2]string) [2]uint64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return [2]uint64{rc.written[tables[0]], rc.written[tables[1]]}
}

// wroteSince reports whether the hook saw a row of any table written since
// m, even by a statement that then failed (SQLite undid it, but this does
// not tell). A function that failed without writing left the transaction
// as it found it.
func (rc *rowCapture) wroteSince(m captureMark) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.writes != m.writes
}

// rollbackTo forgets the rows captured since m (their writes were undone),
// and a failure of the hook's since then; row_changes is to be read again if
// it was then.
func (rc *rowCapture) rollbackTo(m captureMark) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := m.n
	if m.taken != rc.taken {
		n = 0 // what was captured before m was taken since (and rolled back with it)
	}
	if n < len(rc.rows) {
		clear(rc.rows[n:])
		rc.rows = rc.rows[:n]
	}
	if rc.err != nil && rc.errAt >= n {
		rc.err = nil
	}
	rc.pending = rc.pending || m.pending
}

// take returns the rows captured since the last take, and whether
// row_changes may hold rows to add to them.
func (rc *rowCapture) take() ([]capturedRow, bool, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.err != nil {
		return nil, false, rc.err
	}
	rows := rc.rows
	rc.rows = nil
	rc.taken++
	return rows, rc.pending, nil
}

// begin starts a batch of the writer: rows captured since the last batch
// were written outside it (a migration, a restore's load) by no function,
// and are not recorded. It returns where the batch began.
func (rc *rowCapture) begin() captureMark {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	clear(rc.rows)
	rc.rows, rc.err = rc.rows[:0], nil
	return captureMark{rc.taken, 0, rc.pending, rc.writes}
}

// readPending marks row_changes as read (in a transaction that commits).
func (rc *rowCapture) readPending() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.pending = false
}

// errNUL is the argument the writer binds instead of a text holding a NUL
// character: the hook reads text only up to its first NUL, so such a text
// would be recorded other than it is stored. No input may hold one (the
// service refuses control characters); this makes sure.
type errNUL int

func (e errNUL) Value() (driver.Value, error) {
	return nil, fmt.Errorf("text argument %d holds a NUL character, which the store does not write", int(e))
}

// refuseNUL replaces each text argument holding a NUL with errNUL, so that
// the statement fails, naming it.
func refuseNUL(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok && strings.IndexByte(s, 0) >= 0 {
			out := append([]any(nil), args...)
			out[i] = errNUL(i + 1)
			args = out
		}
	}
	return args
}

// SQLite's codes of the operations its pre-update hook reports.
const (
	sqliteDelete = 9
	sqliteInsert = 18
	sqliteUpdate = 23
)

// rowWrite is one row write as SQLite's pre-update hook reports it.
type rowWrite struct {
	op              int64
	database, table string
	data            preUpdateData
}

// preUpdateData reads the row being written: its number of columns, and its
// values before and after (as database/sql's Scan into *any would).
type preUpdateData interface {
	Count() int
	Old(dest ...any) error
	New(dest ...any) error
}

// registerHook registers fn as the pre-update hook of the driver connection
// dc (nil fn: none). The store links no SQL driver (STYLE.md: only
// cmd/dissent does), so it finds the hook by its shape rather than its type:
// modernc.org/sqlite's connection has RegisterPreUpdateHook(func(D)), where
// D has the fields Op, DatabaseName and TableName and *D the methods Count,
// Old and New. A driver without it is refused.
func registerHook(dc any, fn func(rowWrite)) error {
	m := reflect.ValueOf(dc).MethodByName("RegisterPreUpdateHook")
	refuse := fmt.Errorf("the SQLite driver's connection (%T) offers no pre-update hook the store can use", dc)
	if !m.IsValid() || m.Type().NumIn() != 1 || m.Type().NumOut() != 0 {
		return refuse
	}
	ft := m.Type().In(0)
	if ft.Kind() != reflect.Func || ft.NumIn() != 1 || ft.NumOut() != 0 || ft.In(0).Kind() != reflect.Struct {
		return refuse
	}
	dt := ft.In(0)
	if !reflect.PointerTo(dt).Implements(reflect.TypeFor[preUpdateData]()) {
		return refuse
	}
	fields := make([]int, 3)
	for i, f := range []struct {
		name string
		kind reflect.Kind
	}{{"Op", reflect.Int32}, {"DatabaseName", reflect.String}, {"TableName", reflect.String}} {
		sf, ok := dt.FieldByName(f.name)
		if !ok || !sf.IsExported() || sf.Type.Kind() != f.kind || len(sf.Index) != 1 {
			return refuse
		}
		fields[i] = sf.Index[0]
	}
	if fn == nil {
		m.Call([]reflect.Value{reflect.Zero(ft)})
		return nil
	}
	hook := reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		p := reflect.New(dt)
		p.Elem().Set(args[0])
		v := p.Elem()
		fn(rowWrite{op: v.Field(fields[0]).Int(), database: v.Field(fields[1]).String(), table: v.Field(fields[2]).String(),
			data: p.Interface().(preUpdateData)})
		return nil
	})
	m.Call([]reflect.Value{hook})
	return nil
}
