package store

// Row digests: the audit log records the state of every row of every table
// that is shown to someone or grants access, so that `dissent verify` can
// tell a row the service wrote from one written behind its back.
//
// The tables are found in the catalog (a table added by a later migration
// is recorded without anyone remembering to add it). On SQLite, the
// writer's connection hands each row it writes to a pre-update hook
// (capture.go); on PostgreSQL, triggers, installed by the store when it
// opens the database, note each written row's key in row_changes. When a
// caller's function ends (finish), the store digests those rows and records
// the digests in the function's last entry.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// unrecorded are the tables the log does not record: the log itself, the
// bookkeeping of jobs, mail and caches, and the sessions (written on every
// request; a session names its person only sealed under a key derived from
// the cookie's token, which the database never holds, so an edited row
// grants nobody anything).
var unrecorded = map[string]bool{
	"log_entries": true, "log_hashes": true, "checkpoints": true, "log_keys": true, "row_changes": true,
	gooseTable: true, "leases": true, "outbox": true, "meta_version": true, "meta_changes": true,
	"sessions": true, "reminders": true, "exposure_scans": true, "notification_prefs": true,
}

// volatileColumns change without an act worth recording (when a credential
// was last used, when a feed was last polled); they are not digested.
var volatileColumns = map[string]map[string]bool{
	"tokens":   {"last_used": true},
	"passkeys": {"last_used": true},
	"feeds":    {"polled_at": true, "last_error": true},
	// Marking a notice read is the reader's own bookkeeping, not an act.
	"notifications": {"read_at": true},
}

// keySep joins the columns of a composite key.
const keySep = "\x1f"

type recordedTable struct {
	name  string
	all   []dumpColumn // every column, in table order
	cols  []dumpColumn // digested columns, in table order
	pk    []dumpColumn // key columns, in key order
	byKey string       // the SELECT of one row's digested columns by key
}

// recordedTables reads the catalog.
func recordedTables(ctx context.Context, q querier, d Dialect) ([]recordedTable, error) {
	names, err := dumpTables(ctx, q, d)
	if err != nil {
		return nil, err
	}
	var out []recordedTable
	for _, n := range names {
		if unrecorded[n] {
			continue
		}
		cols, err := dumpColumnsOf(ctx, q, d, n)
		if err != nil {
			return nil, err
		}
		rt := recordedTable{name: n, all: cols}
		for _, c := range cols {
			if c.pk > 0 {
				rt.pk = append(rt.pk, c)
			}
			if !volatileColumns[n][c.name] {
				rt.cols = append(rt.cols, c)
			}
		}
		if len(rt.pk) == 0 {
			return nil, fmt.Errorf("table %s has no primary key, so the audit log cannot record its rows", n)
		}
		slices.SortFunc(rt.pk, func(a, b dumpColumn) int { return cmp.Compare(a.pk, b.pk) })
		where := make([]string, len(rt.pk))
		for i, c := range rt.pk {
			where[i] = quoteIdent(c.name) + " = $" + strconv.Itoa(i+1)
		}
		rt.byKey = `SELECT ` + rt.selectCols() + ` FROM ` + quoteIdent(rt.name) + ` WHERE ` + strings.Join(where, " AND ")
		out = append(out, rt)
	}
	return out, nil
}

// keyExpr is the SQL that renders a row's key as row_changes holds it.
func (rt recordedTable) keyExpr(d Dialect, row string) string {
	parts := make([]string, len(rt.pk))
	for i, c := range rt.pk {
		col := row + "." + quoteIdent(c.name)
		switch {
		case c.class == "blob" && d == Postgres:
			parts[i] = "encode(" + col + ", 'hex')"
		case c.class == "blob":
			parts[i] = "lower(hex(" + col + "))"
		case d == Postgres:
			parts[i] = col + "::text"
		default:
			parts[i] = "CAST(" + col + " AS TEXT)"
		}
	}
	sep := " || char(31) || "
	if d == Postgres {
		sep = " || chr(31) || "
	}
	return strings.Join(parts, sep)
}

// valuesExpr is the SQL (PostgreSQL's) that renders a row's digested
// values as the JSON array notedValues reads: numbers, texts, booleans and
// nulls as themselves, a blob as the hex of its bytes (whatever the
// server's bytea_output). A table with a column of another class gets NULL:
// its rows are read back.
func (rt recordedTable) valuesExpr(row string) string {
	parts := make([]string, len(rt.cols))
	for i, c := range rt.cols {
		col := row + "." + quoteIdent(c.name)
		switch c.class {
		case "int", "text", "bool":
			parts[i] = col
		case "blob":
			parts[i] = "encode(" + col + ", 'hex')"
		default:
			return "NULL"
		}
	}
	return "jsonb_build_array(" + strings.Join(parts, ", ") + ")::text"
}

// notedValues reads the values a PostgreSQL trigger noted of a row of rt
// (valuesExpr) as a read back would scan them. ok is false where they
// cannot be used (not noted, or noted for another set of columns): the row
// is read back instead.
func notedValues(rt recordedTable, v string) (vals []any, ok bool, err error) {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, false, fmt.Errorf("the values noted of a row of %s: %w", rt.name, err)
	}
	if len(raw) != len(rt.cols) {
		return nil, false, nil
	}
	vals = make([]any, len(raw))
	for i, x := range raw {
		c := rt.cols[i]
		switch x := x.(type) {
		case nil:
		case json.Number:
			if c.class != "int" {
				return nil, false, nil
			}
			n, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return nil, false, fmt.Errorf("the values noted of a row of %s, column %s: %w", rt.name, c.name, err)
			}
			vals[i] = n
		case bool:
			if c.class != "bool" {
				return nil, false, nil
			}
			vals[i] = x
		case string:
			switch c.class {
			case "text":
				vals[i] = x
			case "blob":
				b, err := hex.DecodeString(x)
				if err != nil {
					return nil, false, fmt.Errorf("the values noted of a row of %s, column %s: %w", rt.name, c.name, err)
				}
				vals[i] = b
			default:
				return nil, false, nil
			}
		default:
			return nil, false, nil
		}
	}
	return vals, true, nil
}

// installRowTriggers (re)creates the triggers of every recorded table on
// PostgreSQL. (SQLite has none: the writer's hook captures its rows.)
func installRowTriggers(ctx context.Context, q querier, d Dialect) error {
	if d != Postgres {
		return fmt.Errorf("audit triggers are made on PostgreSQL only, not on %s", d)
	}
	tables, err := recordedTables(ctx, q, d)
	if err != nil {
		return err
	}
	for _, rt := range tables {
		var cols []string
		for _, c := range rt.cols {
			cols = append(cols, quoteIdent(c.name))
		}
		lit := "'" + rt.name + "'"
		fn := quoteIdent("rc_" + rt.name)
		oldKey, newKey := rt.keyExpr(d, "OLD"), rt.keyExpr(d, "NEW")
		// A deleted row, or the old key of an updated one, is noted gone
		// ('null'); a written row with its values (valuesExpr), so that
		// finish need not read it back.
		stmts := []string{
			`CREATE OR REPLACE FUNCTION ` + fn + `() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
	IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ` + oldKey + ` IS DISTINCT FROM ` + newKey + `) THEN
		INSERT INTO row_changes (tbl, k, v) VALUES (` + lit + `, ` + oldKey + `, 'null');
	END IF;
	IF TG_OP <> 'DELETE' THEN INSERT INTO row_changes (tbl, k, v) VALUES (` + lit + `, ` + newKey + `, ` + rt.valuesExpr("NEW") + `); END IF;
	RETURN NULL;
END $f$`,
			`CREATE OR REPLACE TRIGGER ` + quoteIdent("rc_"+rt.name+"_iud") + ` AFTER INSERT OR DELETE OR UPDATE OF ` + strings.Join(cols, ", ") +
				` ON ` + quoteIdent(rt.name) + ` FOR EACH ROW EXECUTE FUNCTION ` + fn + `()`,
		}
		for _, s := range stmts {
			if _, err := q.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("install the audit triggers of %s: %w", rt.name, err)
			}
		}
	}
	return nil
}

// tableInfo returns the recorded tables, read once per store.
func (t *txn) tableInfo(ctx context.Context) (map[string]recordedTable, error) {
	if t.tables != nil {
		if m := t.tables.Load(); m != nil {
			return *m, nil
		}
	}
	ts, err := recordedTables(ctx, t.q, t.d)
	if err != nil {
		return nil, err
	}
	m := make(map[string]recordedTable, len(ts))
	for _, rt := range ts {
		m[rt.name] = rt
	}
	if t.tables != nil {
		t.tables.Store(&m)
	}
	return m, nil
}

// collectRows turns the rows the caller's function wrote into digests: on
// SQLite, those the writer's hook captured (capture.go), with any noted in
// row_changes outside the writer; on PostgreSQL, those its triggers noted
// in row_changes. It empties what it read.
func (t *txn) collectRows(ctx context.Context) ([]dissent.RowDigest, error) {
	var changes []capturedRow
	pending := t.capture == nil
	if t.capture != nil {
		var err error
		if changes, pending, err = t.capture.take(); err != nil {
			return nil, err
		}
	}
	if pending {
		noted, err := t.takeNotedRows(ctx)
		if err != nil {
			return nil, err
		}
		changes = append(noted, changes...)
	}
	if len(changes) == 0 {
		return nil, nil
	}
	// Each row once, as its last change left it.
	last := make(map[[2]string]int, len(changes))
	for i, c := range changes {
		last[[2]string{c.table, c.key}] = i
	}
	info, err := t.tableInfo(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]dissent.RowDigest, 0, len(last))
	for i, c := range changes {
		if last[[2]string{c.table, c.key}] != i {
			continue
		}
		rt, ok := info[c.table]
		if !ok {
			return nil, fmt.Errorf("written row of unknown table %s", c.table)
		}
		d, err := t.digestChange(ctx, rt, c)
		if err != nil {
			return nil, err
		}
		out = append(out, dissent.RowDigest{Table: rt.name, Key: c.key, Digest: d})
	}
	slices.SortFunc(out, func(a, b dissent.RowDigest) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// takeNotedRows empties row_changes, returning the rows noted there: on
// PostgreSQL with the values its triggers noted (notedValues), on SQLite by
// key only (an older version's triggers noted them; they are read back).
// A row noted more than once is read back too: the order of its changes is
// not kept.
func (t *txn) takeNotedRows(ctx context.Context) ([]capturedRow, error) {
	q := `DELETE FROM row_changes RETURNING tbl, k, NULL`
	if t.d == Postgres {
		q = `DELETE FROM row_changes RETURNING tbl, k, v`
	}
	rows, err := t.q.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read written rows: %w", err)
	}
	var out []capturedRow
	var vs []sql.NullString
	for rows.Next() {
		var c capturedRow
		var v sql.NullString
		if err := rows.Scan(&c.table, &c.key, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read written rows: %w", err)
		}
		out, vs = append(out, c), append(vs, v)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read written rows: %w", err)
	}
	if t.capture != nil {
		t.capture.readPending()
	}
	if t.d != Postgres || len(out) == 0 {
		return out, nil
	}
	info, err := t.tableInfo(ctx)
	if err != nil {
		return nil, err
	}
	times := make(map[[2]string]int, len(out))
	for _, c := range out {
		times[[2]string{c.table, c.key}]++
	}
	for i := range out {
		c := &out[i]
		rt, known := info[c.table]
		if !vs[i].Valid || !known || times[[2]string{c.table, c.key}] > 1 {
			continue // read back (or refused, unknown, in collectRows)
		}
		if vs[i].String == "null" {
			c.gone = true
			continue
		}
		vals, ok, err := notedValues(rt, vs[i].String)
		if err != nil {
			return nil, err
		}
		if ok {
			c.vals = vals
		}
	}
	return out, nil
}

// digestChange digests a written row from the values the hook captured,
// or as gone, or, when only its key is known, by reading the row back.
func (t *txn) digestChange(ctx context.Context, rt recordedTable, c capturedRow) (string, error) {
	switch {
	case c.gone && !checkCapturedDigests:
		return "", nil
	case c.vals == nil && !c.gone:
		t.countStat(func(c *counters) { c.rowsReadBack.Add(1) })
		return t.digestRow(ctx, rt, c.key)
	}
	d := ""
	if !c.gone {
		var err error
		if d, err = rowDigest(rt.name, c.vals); err != nil {
			return "", err
		}
	}
	if checkCapturedDigests {
		read, err := t.digestRow(ctx, rt, c.key)
		if err != nil {
			return "", err
		}
		if read != d {
			return "", fmt.Errorf("the hook's values of %s %q digest to %q, the row read back to %q", rt.name, c.key, d, read)
		}
	}
	return d, nil
}

// checkCapturedDigests makes digestChange read back every row the hook
// captured and compare the two digests (set by the store's tests, so that
// every write of the conformance suite checks it).
var checkCapturedDigests bool

// selectCols is the column list of a recorded table's digest.
func (rt recordedTable) selectCols() string {
	q := make([]string, len(rt.cols))
	for i, c := range rt.cols {
		q[i] = quoteIdent(c.name)
	}
	return strings.Join(q, ", ")
}

// digestRow digests the row with the given key, "" if there is none.
func (t *txn) digestRow(ctx context.Context, rt recordedTable, key string) (string, error) {
	parts := strings.Split(key, keySep)
	if len(parts) != len(rt.pk) {
		return "", fmt.Errorf("row key %q of %s has %d parts", key, rt.name, len(parts))
	}
	args := make([]any, len(parts))
	for i, c := range rt.pk {
		switch c.class {
		case "int":
			n, err := strconv.ParseInt(parts[i], 10, 64)
			if err != nil {
				return "", fmt.Errorf("row key %q of %s: %w", key, rt.name, err)
			}
			args[i] = n
		case "blob":
			b, err := hex.DecodeString(parts[i])
			if err != nil {
				return "", fmt.Errorf("row key %q of %s: %w", key, rt.name, err)
			}
			args[i] = b
		default:
			args[i] = parts[i]
		}
	}
	rows, err := t.q.QueryContext(ctx, rt.byKey, args...)
	if err != nil {
		return "", fmt.Errorf("read written row of %s: %w", rt.name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return "", rows.Err()
	}
	vals := make([]any, len(rt.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", fmt.Errorf("read written row of %s: %w", rt.name, err)
	}
	return rowDigest(rt.name, vals)
}

// DigestRow implements dissent.LogTx.
func (t *txn) DigestRow(ctx context.Context, table, key string) (string, error) {
	info, err := t.tableInfo(ctx)
	if err != nil {
		return "", err
	}
	rt, ok := info[table]
	if !ok {
		return "", fmt.Errorf("the log records a row of %s, which is not a recorded table", table)
	}
	return t.digestRow(ctx, rt, key)
}

// RowDigests implements dissent.LogTx: every row of every recorded table,
// table by table in name order.
func (t *txn) RowDigests(ctx context.Context, fn func(dissent.RowDigest) error) error {
	info, err := t.tableInfo(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(info))
	for n := range info {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rt := info[n]
		if err := t.digestTable(ctx, rt, fn); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) digestTable(ctx context.Context, rt recordedTable, fn func(dissent.RowDigest) error) error {
	keyCols := make([]string, len(rt.pk))
	for i, c := range rt.pk {
		keyCols[i] = quoteIdent(c.name)
	}
	rows, err := t.q.QueryContext(ctx, `SELECT `+rt.keyExpr(t.d, quoteIdent(rt.name))+`, `+rt.selectCols()+` FROM `+quoteIdent(rt.name))
	if err != nil {
		return fmt.Errorf("read %s: %w", rt.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(rt.cols))
	ptrs := make([]any, len(vals)+1)
	var key string
	ptrs[0] = &key
	for i := range vals {
		ptrs[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", rt.name, err)
		}
		d, err := rowDigest(rt.name, vals)
		if err != nil {
			return fmt.Errorf("read %s: %w", rt.name, err)
		}
		if err := fn(dissent.RowDigest{Table: rt.name, Key: key, Digest: d}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// dropRowTriggers removes the audit triggers (and, on PostgreSQL, their
// functions), so that the migrations can be undone: a database refuses to
// drop a column a trigger names.
func dropRowTriggers(ctx context.Context, q querier, d Dialect) error {
	list := `SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rc\_%' ESCAPE '\'`
	if d == Postgres {
		list = `SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
			WHERE NOT t.tgisinternal AND t.tgname LIKE 'rc\_%' AND c.relnamespace = current_schema()::regnamespace`
	}
	rows, err := q.QueryContext(ctx, list)
	if err != nil {
		return fmt.Errorf("list the audit triggers: %w", err)
	}
	var names [][2]string
	for rows.Next() {
		var n [2]string
		if err := rows.Scan(&n[0], &n[1]); err != nil {
			rows.Close()
			return fmt.Errorf("list the audit triggers: %w", err)
		}
		names = append(names, n)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("list the audit triggers: %w", err)
	}
	for _, n := range names {
		stmt := `DROP TRIGGER IF EXISTS ` + quoteIdent(n[0])
		if d == Postgres {
			stmt += ` ON ` + quoteIdent(n[1])
		}
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("drop the audit trigger %s: %w", n[0], err)
		}
		if d == Postgres {
			if _, err := q.ExecContext(ctx, `DROP FUNCTION IF EXISTS `+quoteIdent("rc_"+n[1])+`()`); err != nil {
				return fmt.Errorf("drop the audit function of %s: %w", n[1], err)
			}
		}
	}
	return nil
}
