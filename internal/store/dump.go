package store

// Dump and Load copy a whole deployment's database in a portable,
// dialect-neutral form, for `dissent backup` and `dissent restore`.
//
// The tables are found in the catalog (sqlite_master, information_schema),
// not in a list, so that tables added by later migrations are included;
// goose's version table is not dumped: Load re-creates the schema by running
// the migrations. A table's dump is JSON lines: a header
// {"table":NAME,"columns":[...]} and then one JSON array per row, whose
// values are typed so that either backend reads them back exactly:
//
//	null          NULL
//	123           an integer (int64)
//	"text"        a valid UTF-8 string
//	{"s":BASE64}  a string that is not valid UTF-8
//	{"b":BASE64}  bytes (BLOB, BYTEA)
//	{"f":1.5}     a floating-point number
//	true, false   a boolean
//	{"t":RFC3339} a time (PostgreSQL timestamps)
//
// Tables come in an order in which they can be inserted (a table after the
// tables its foreign keys reference), and the rows of a table that
// references itself (units, people) parents first.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pressly/goose/v3"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// logV2Schema is the first schema with the version-2 audit log.
const logV2Schema = 10

// gooseTable is goose's table of applied migrations, which is not dumped.
const gooseTable = goose.DefaultTablename

// Snapshot describes a dump: what it holds and the state of the audit log
// in it, all read in the one transaction the dump was read in.
type Snapshot struct {
	Dialect    Dialect
	Schema     int64        // the goose version of the schema
	Tables     []TableCount // in dump (and load) order
	LogSize    int64
	LogRoot    [32]byte // the RFC 6962 root of the log's LogSize leaves
	Checkpoint []byte   // the newest stored signed checkpoint; nil if none
	KEKs       []string // ids of the key-encryption keys the data keys are wrapped under
}

// TableCount is a table and its number of rows.
type TableCount struct {
	Name string
	Rows int64
}

// DumpWriter receives a dump, table by table. The rows of a table are
// written to the writer Table returns until the next call of Table; each
// Write holds whole lines.
type DumpWriter interface {
	Table(name string) (io.Writer, error)
}

// DumpReader gives Load a dump, table by table, in the order Dump wrote
// it. Next returns io.EOF after the last table.
type DumpReader interface {
	Next() (name string, r io.Reader, err error)
}

var dumpTableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func quoteIdent(name string) string { return `"` + name + `"` }

type dumpColumn struct {
	name  string
	class string // int, text, blob, real, bool, time or other
	pk    int    // position in the primary key, from 1; 0 if not in it
}

type dumpFK struct {
	from, fromCol, to, toCol string
}

func dumpClass(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "int"):
		return "int"
	case strings.Contains(t, "char"), strings.Contains(t, "text"), strings.Contains(t, "clob"):
		return "text"
	case strings.Contains(t, "blob"), strings.Contains(t, "bytea"):
		return "blob"
	case strings.Contains(t, "bool"):
		return "bool"
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"), strings.Contains(t, "numeric"):
		return "real"
	case strings.Contains(t, "timestamp"), t == "date":
		return "time"
	}
	return "other"
}

// catalog lists the tables of the database (without goose's).
func dumpTables(ctx context.Context, q querier, d Dialect) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`
	if d == Postgres {
		query = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if n == gooseTable {
			continue
		}
		if !dumpTableName.MatchString(n) {
			return nil, fmt.Errorf("table %q: only lowercase names of letters, digits and _ are dumped", n)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func dumpColumnsOf(ctx context.Context, q querier, d Dialect, table string) ([]dumpColumn, error) {
	query := `SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid`
	if d == Postgres {
		// The primary key's position, from 1 (0: not in it). indkey is an
		// int2vector, whose subscripts start at 0: without the
		// correction the first key column read as outside the key, and
		// the dump of a table with a one-column key followed the heap's
		// order rather than the key's.
		query = `SELECT c.column_name, c.data_type,
				COALESCE((SELECT k.ord
					FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = c.column_name,
						unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
					WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass AND i.indisprimary
						AND k.attnum = a.attnum), 0)
			FROM information_schema.columns c
			WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position`
	}
	rows, err := q.QueryContext(ctx, query, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []dumpColumn
	for rows.Next() {
		var c dumpColumn
		var typ string
		if err := rows.Scan(&c.name, &typ, &c.pk); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		c.class = dumpClass(typ)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("table %s has no columns", table)
	}
	return out, nil
}

func dumpForeignKeys(ctx context.Context, q querier, d Dialect, tables []string) ([]dumpFK, error) {
	var out []dumpFK
	scan := func(rows *sql.Rows, from string) error {
		defer rows.Close()
		for rows.Next() {
			var fk dumpFK
			var to sql.NullString
			if from == "" {
				if err := rows.Scan(&fk.from, &fk.fromCol, &fk.to, &to); err != nil {
					return err
				}
			} else {
				fk.from = from
				if err := rows.Scan(&fk.to, &fk.fromCol, &to); err != nil {
					return err
				}
			}
			fk.toCol = to.String
			out = append(out, fk)
		}
		return rows.Err()
	}
	if d == Postgres {
		rows, err := q.QueryContext(ctx, `SELECT cl.relname, a.attname, rcl.relname, ra.attname
			FROM pg_constraint c
			JOIN pg_class cl ON cl.oid = c.conrelid
			JOIN pg_namespace n ON n.oid = cl.relnamespace
			JOIN pg_class rcl ON rcl.oid = c.confrelid
			CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, rcol)
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
			JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.rcol
			WHERE c.contype = 'f' AND n.nspname = current_schema()`)
		if err != nil {
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		if err := scan(rows, ""); err != nil {
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		return out, nil
	}
	for _, t := range tables {
		rows, err := q.QueryContext(ctx, `SELECT "table", "from", "to" FROM pragma_foreign_key_list($1)`, t)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", t, err)
		}
		if err := scan(rows, t); err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", t, err)
		}
	}
	return out, nil
}

// insertOrder sorts tables so that each comes after the tables it
// references; ties by name.
func dumpOrder(tables []string, fks []dumpFK) ([]string, error) {
	deps := map[string]map[string]bool{}
	for _, fk := range fks {
		if fk.from == fk.to {
			continue
		}
		if deps[fk.from] == nil {
			deps[fk.from] = map[string]bool{}
		}
		deps[fk.from][fk.to] = true
	}
	done := map[string]bool{}
	var out []string
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t] {
				continue
			}
			ready := true
			for dep := range deps[t] {
				if !done[dep] && slices.Contains(tables, dep) {
					ready = false
				}
			}
			if ready {
				done[t], progress = true, true
				out = append(out, t)
			}
		}
		if !progress {
			return nil, errors.New("the tables' foreign keys form a cycle; no order inserts them")
		}
	}
	return out, nil
}

// Dump writes every table of the database to w from one read transaction
// (a WAL snapshot on SQLite; REPEATABLE READ on PostgreSQL), so that the
// copy is consistent while the service keeps writing, and returns what it
// wrote. It MUST read everything it returns in that one transaction.
func (db *DB) Dump(ctx context.Context, w DumpWriter) (Snapshot, error) {
	snap := Snapshot{Dialect: db.dialect}
	tx, err := db.read.BeginTx(ctx, db.viewOptions())
	if err != nil {
		return snap, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback()
	// The first statement fixes the snapshot.
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM `+gooseTable).Scan(&snap.Schema); err != nil {
		return snap, fmt.Errorf("read schema version: %w", err)
	}
	tables, err := dumpTables(ctx, tx, db.dialect)
	if err != nil {
		return snap, err
	}
	fks, err := dumpForeignKeys(ctx, tx, db.dialect, tables)
	if err != nil {
		return snap, err
	}
	if tables, err = dumpOrder(tables, fks); err != nil {
		return snap, err
	}
	for _, t := range tables {
		var self []dumpFK
		for _, fk := range fks {
			if fk.from == t && fk.to == t {
				self = append(self, fk)
			}
		}
		out, err := w.Table(t)
		if err != nil {
			return snap, err
		}
		n, err := dumpTable(ctx, tx, db.dialect, t, self, out)
		if err != nil {
			return snap, fmt.Errorf("dump %s: %w", t, err)
		}
		snap.Tables = append(snap.Tables, TableCount{Name: t, Rows: n})
	}
	t := db.txn(tx)
	if snap.LogSize, err = t.LogSize(ctx); err != nil {
		return snap, err
	}
	if snap.LogSize > 0 {
		root, err := tlog.TreeHash(snap.LogSize, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return t.readHashes(ctx, idx) }))
		if err != nil {
			return snap, fmt.Errorf("log root: %w", err)
		}
		snap.LogRoot = root
	}
	_, notes, err := t.Checkpoints(ctx)
	if err != nil {
		return snap, err
	}
	if len(notes) > 0 {
		snap.Checkpoint = notes[len(notes)-1]
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT kek_id FROM message_keys ORDER BY kek_id`)
	if err != nil {
		return snap, fmt.Errorf("list key-encryption keys in use: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return snap, fmt.Errorf("list key-encryption keys in use: %w", err)
		}
		snap.KEKs = append(snap.KEKs, id)
	}
	return snap, rows.Err()
}

type dumpHeader struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

func dumpTable(ctx context.Context, q querier, d Dialect, table string, self []dumpFK, w io.Writer) (int64, error) {
	cols, err := dumpColumnsOf(ctx, q, d, table)
	if err != nil {
		return 0, err
	}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	var pk []dumpColumn
	for i, c := range cols {
		names[i], quoted[i] = c.name, quoteIdent(c.name)
		if c.pk > 0 {
			pk = append(pk, c)
		}
	}
	slices.SortFunc(pk, func(a, b dumpColumn) int { return cmp.Compare(a.pk, b.pk) })
	query := `SELECT ` + strings.Join(quoted, ", ") + ` FROM ` + quoteIdent(table)
	if len(pk) > 0 {
		var order []string
		for _, c := range pk {
			order = append(order, quoteIdent(c.name))
		}
		query += ` ORDER BY ` + strings.Join(order, ", ")
	}
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(dumpHeader{Table: table, Columns: names}); err != nil {
		return 0, err
	}
	if _, err := w.Write(line.Bytes()); err != nil {
		return 0, err
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var held [][]any // rows of a self-referencing table, to be ordered
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			if row[i], err = encodeDumpValue(v); err != nil {
				return n, fmt.Errorf("dumpColumn %s: %w", names[i], err)
			}
		}
		if len(self) > 0 {
			held = append(held, row)
			continue
		}
		if err := writeDumpRow(w, enc, &line, row); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if len(self) > 0 {
		ordered, err := parentsFirst(held, names, self)
		if err != nil {
			return n, err
		}
		for _, row := range ordered {
			if err := writeDumpRow(w, enc, &line, row); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func writeDumpRow(w io.Writer, enc *json.Encoder, line *bytes.Buffer, row []any) error {
	line.Reset()
	if err := enc.Encode(row); err != nil {
		return err
	}
	_, err := w.Write(line.Bytes())
	return err
}

// parentsFirst orders the rows of a table that references itself so that
// a row comes after the rows it references.
func parentsFirst(rows [][]any, names []string, self []dumpFK) ([][]any, error) {
	key := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	type link struct{ from, to int }
	var links []link
	for _, fk := range self {
		l := link{slices.Index(names, fk.fromCol), slices.Index(names, fk.toCol)}
		if l.from < 0 || l.to < 0 {
			return nil, fmt.Errorf("self reference %s → %s: dumpColumn not found", fk.fromCol, fk.toCol)
		}
		links = append(links, l)
	}
	emitted := map[int]map[string]bool{} // by referenced dumpColumn: values emitted
	present := map[int]map[string]bool{}
	for _, l := range links {
		emitted[l.to], present[l.to] = map[string]bool{}, map[string]bool{}
		for _, r := range rows {
			present[l.to][key(r[l.to])] = true
		}
	}
	out := make([][]any, 0, len(rows))
	left := rows
	for len(left) > 0 {
		var next [][]any
		for _, r := range left {
			ready := true
			for _, l := range links {
				v := r[l.from]
				if v == nil {
					continue
				}
				if k := key(v); present[l.to][k] && !emitted[l.to][k] {
					ready = false
				}
			}
			if !ready {
				next = append(next, r)
				continue
			}
			out = append(out, r)
			for _, l := range links {
				emitted[l.to][key(r[l.to])] = true
			}
		}
		if len(next) == len(left) {
			return nil, errors.New("rows reference each other in a cycle")
		}
		left = next
	}
	return out, nil
}

func encodeDumpValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, int64, bool:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case string:
		if utf8.ValidString(x) {
			return x, nil
		}
		return map[string]string{"s": base64.StdEncoding.EncodeToString([]byte(x))}, nil
	case []byte:
		return map[string]string{"b": base64.StdEncoding.EncodeToString(x)}, nil
	case float64:
		return map[string]float64{"f": x}, nil
	case float32:
		return map[string]float64{"f": float64(x)}, nil
	case time.Time:
		return map[string]string{"t": x.Format(time.RFC3339Nano)}, nil
	}
	return nil, fmt.Errorf("values of type %T are not dumped", v)
}

// decodeValue turns a dumped value into one to bind for a dumpColumn of class.
// SQLite keeps what was dumped (its columns hold any type, as they did when
// the row was first written); PostgreSQL gets the dumpColumn's type.
func decodeDumpValue(raw json.RawMessage, class string, d Dialect) (any, error) {
	raw = bytes.TrimSpace(raw)
	var v any
	switch {
	case len(raw) == 0:
		return nil, errors.New("empty value")
	case string(raw) == "null":
		return nil, nil
	case string(raw) == "true", string(raw) == "false":
		v = string(raw) == "true"
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		v = s
	case raw[0] == '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
			return nil, fmt.Errorf("malformed typed value %.40s", raw)
		}
		for tag, inner := range m {
			switch tag {
			case "s", "b", "t":
				var s string
				if err := json.Unmarshal(inner, &s); err != nil {
					return nil, fmt.Errorf("malformed typed value %.40s", raw)
				}
				switch tag {
				case "t":
					t, err := time.Parse(time.RFC3339Nano, s)
					if err != nil {
						return nil, err
					}
					v = t
				default:
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						return nil, fmt.Errorf("malformed base64 in %.40s", raw)
					}
					v = b
					if tag == "s" {
						v = string(b)
					}
				}
			case "f":
				var f float64
				if err := json.Unmarshal(inner, &f); err != nil {
					return nil, fmt.Errorf("malformed typed value %.40s", raw)
				}
				v = f
			default:
				return nil, fmt.Errorf("unknown value type %q", tag)
			}
		}
	default:
		i, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed value %.40s", raw)
		}
		v = i
	}
	if d != Postgres {
		return v, nil
	}
	switch x := v.(type) {
	case string:
		if class == "blob" {
			return []byte(x), nil
		}
	case bool:
		if class == "int" {
			return map[bool]int64{false: 0, true: 1}[x], nil
		}
	case int64:
		if class == "bool" {
			return x != 0, nil
		}
	}
	return v, nil
}

// Empty reports whether the database holds no rows in any table but
// goose's, and names the first table that does hold some.
func (db *DB) Empty(ctx context.Context) (bool, string, error) {
	tables, err := dumpTables(ctx, db.read, db.dialect)
	if err != nil {
		return false, "", err
	}
	for _, t := range tables {
		var one int
		err := db.read.QueryRowContext(ctx, `SELECT 1 FROM `+quoteIdent(t)+` LIMIT 1`).Scan(&one)
		if err == nil {
			return false, t, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, "", fmt.Errorf("read %s: %w", t, err)
		}
	}
	return true, "", nil
}

func (db *DB) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	gd := goose.DialectSQLite3
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
	}
	opts, err := migrateOptions(db.dialect)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(gd, db.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// ErrNotEmpty is returned by Load for a database that already holds data.
var ErrNotEmpty = errors.New("the target database is not empty")

// Load fills a new, empty database with a dump of schema version schema:
// it moves the schema to that version (the migrations are undone on the
// empty tables when the dump is older than this program's schema), inserts
// every table in one transaction, and migrates to the newest schema, so
// that the data passes through the same migrations as the original would
// have. It returns the rows it inserted per table. It refuses a database
// that holds any row, and a dump of a schema newer than this program knows.
// Nobody else may use the database while it runs.
func (db *DB) Load(ctx context.Context, schema int64, r DumpReader) (map[string]int64, error) {
	if schema < logV2Schema {
		return nil, ErrLogV1
	}
	if ok, t, err := db.Empty(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w (table %s holds rows)", ErrNotEmpty, t)
	}
	p, err := db.migrationProvider()
	if err != nil {
		return nil, err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if schema > current {
		return nil, fmt.Errorf("the dump has schema version %d; this program knows versions up to %d (restore with a newer dissent)", schema, current)
	}
	if schema < current {
		if _, err := p.DownTo(ctx, schema); err != nil {
			return nil, fmt.Errorf("move the empty schema back to version %d: %w", schema, err)
		}
	}
	counts, err := db.load(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := refuseOldPseudonyms(ctx, db.write, p); err != nil {
		return counts, err
	}
	if _, err := p.Up(ctx); err != nil {
		return counts, fmt.Errorf("migrate the restored database: %w", err)
	}
	// The first requests after a restore should not plan their queries
	// without statistics, nor wait for autovacuum's first pass.
	if err := db.Vacuum(ctx); err != nil {
		return counts, err
	}
	return counts, nil
}

// Vacuum brings PostgreSQL's planner statistics and visibility map up to
// date at once (VACUUM (ANALYZE)), as autovacuum would some time after a
// bulk load, but while nothing else runs: after a restore, and before a
// benchmark that has just seeded its data. SQLite keeps neither (the
// store's queries are planned by their indexes alone), so there it does
// nothing.
func (db *DB) Vacuum(ctx context.Context) error {
	if db.dialect != Postgres {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

func (db *DB) load(ctx context.Context, r DumpReader) (map[string]int64, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	defer tx.Rollback()
	tables, err := dumpTables(ctx, tx, db.dialect)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for {
		name, in, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(tables, name) {
			return nil, fmt.Errorf("the dump holds table %s, which the schema lacks", name)
		}
		if _, seen := counts[name]; seen {
			return nil, fmt.Errorf("the dump holds table %s twice", name)
		}
		n, err := db.loadTable(ctx, tx, name, in)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		counts[name] = n
	}
	if db.dialect == Postgres {
		if err := resetSequences(ctx, tx, tables); err != nil {
			return nil, err
		}
	}
	// The rows come with their digests in the loaded log; what the audit
	// triggers noted while loading is not a change.
	if _, err := tx.ExecContext(ctx, `DELETE FROM row_changes`); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit load: %w", err)
	}
	return counts, nil
}

// loadBatchRows bounds the rows of one INSERT and its parameters (the SQLite
// driver binds many parameters slowly).
const (
	loadBatchRows = 64
	loadMaxParams = 900
)

func (db *DB) loadTable(ctx context.Context, tx *sql.Tx, table string, in io.Reader) (int64, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(in, 1<<16))
	var h dumpHeader
	if err := dec.Decode(&h); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if h.Table != table || len(h.Columns) == 0 {
		return 0, fmt.Errorf("header names table %q with %d columns", h.Table, len(h.Columns))
	}
	cols, err := dumpColumnsOf(ctx, tx, db.dialect, table)
	if err != nil {
		return 0, err
	}
	classes := make([]string, len(h.Columns))
	quoted := make([]string, len(h.Columns))
	for i, name := range h.Columns {
		j := slices.IndexFunc(cols, func(c dumpColumn) bool { return c.name == name })
		if j < 0 {
			return 0, fmt.Errorf("the dump has dumpColumn %s, which the schema lacks", name)
		}
		if slices.Contains(h.Columns[:i], name) {
			return 0, fmt.Errorf("dumpColumn %s appears twice", name)
		}
		classes[i], quoted[i] = cols[j].class, quoteIdent(name)
	}
	if db.dialect == Postgres {
		// Rows go in as they were: triggers that assign values (orgs.seq)
		// must not rewrite them. Foreign keys stay checked.
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(table)+` DISABLE TRIGGER USER`); err != nil {
			return 0, fmt.Errorf("disable triggers: %w", err)
		}
	}
	per := max(1, min(loadBatchRows, loadMaxParams/len(h.Columns)))
	prefix := `INSERT INTO ` + quoteIdent(table) + ` (` + strings.Join(quoted, ", ") + `) VALUES `
	var args []any
	rowsIn := 0
	flush := func() error {
		if rowsIn == 0 {
			return nil
		}
		var sb strings.Builder
		sb.WriteString(prefix)
		for r := range rowsIn {
			if r > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for c := range h.Columns {
				if c > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("$" + strconv.Itoa(r*len(h.Columns)+c+1))
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
		args, rowsIn = args[:0], 0
		return nil
	}
	var n int64
	for {
		var row []json.RawMessage
		err := dec.Decode(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		if len(row) != len(h.Columns) {
			return n, fmt.Errorf("row %d has %d values; the header names %d columns", n+1, len(row), len(h.Columns))
		}
		for i, raw := range row {
			v, err := decodeDumpValue(raw, classes[i], db.dialect)
			if err != nil {
				return n, fmt.Errorf("row %d, dumpColumn %s: %w", n+1, h.Columns[i], err)
			}
			args = append(args, v)
		}
		rowsIn++
		n++
		if rowsIn == per {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := flush(); err != nil {
		return n, err
	}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(table)+` ENABLE TRIGGER USER`); err != nil {
			return n, fmt.Errorf("enable triggers: %w", err)
		}
	}
	return n, nil
}

// resetSequences moves every sequence that feeds a dumpColumn (identities,
// orgs.seq) past the largest value loaded, so that new rows do not collide.
func resetSequences(ctx context.Context, tx *sql.Tx, tables []string) error {
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT column_name, pg_get_serial_sequence(quote_ident(current_schema()) || '.' || quote_ident($1), column_name)
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, t)
		if err != nil {
			return fmt.Errorf("sequences of %s: %w", t, err)
		}
		type seq struct{ col, name string }
		var seqs []seq
		for rows.Next() {
			var col string
			var name sql.NullString
			if err := rows.Scan(&col, &name); err != nil {
				rows.Close()
				return fmt.Errorf("sequences of %s: %w", t, err)
			}
			if name.Valid {
				seqs = append(seqs, seq{col, name.String})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sequences of %s: %w", t, err)
		}
		for _, s := range seqs {
			if _, err := tx.ExecContext(ctx, `SELECT setval($1, COALESCE((SELECT MAX(`+quoteIdent(s.col)+`) FROM `+quoteIdent(t)+`), 0) + 1, false)`, s.name); err != nil {
				return fmt.Errorf("reset sequence %s: %w", s.name, err)
			}
		}
	}
	return nil
}

// Unload removes every table the migrations made, and goose's own, by
// undoing the migrations: it undoes a restore that failed its checks, in a
// database that was empty before. Nobody else may use the database.
func (db *DB) Unload(ctx context.Context) error {
	p, err := db.migrationProvider()
	if err != nil {
		return err
	}
	if err := dropRowTriggers(ctx, db.write, db.dialect); err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("undo the migrations: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, `DROP TABLE IF EXISTS `+gooseTable); err != nil {
		return fmt.Errorf("drop %s: %w", gooseTable, err)
	}
	return nil
}

// PostgresHasTables reports whether the PostgreSQL database at url holds
// any table in its current schema, without migrating it (a restore refuses
// a database that is not new).
func PostgresHasTables(ctx context.Context, url string) (bool, error) {
	p, err := sql.Open(PostgresDriver, url)
	if err != nil {
		return false, fmt.Errorf("open database %s: %w", redactURL(url), err)
	}
	defer p.Close()
	var n int
	if err := p.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
		return false, fmt.Errorf("connect to database %s: %w", redactURL(url), err)
	}
	return n > 0, nil
}

// OpenReadOnly opens an existing database only to read it (Dump, View),
// without migrating it: a backup taken by a newer binary must not change the
// schema under the running service. dsn is the SQLite file's path or the
// PostgreSQL URL. Update fails.
func OpenReadOnly(ctx context.Context, d Dialect, dsn string) (*DB, error) {
	var open func() (*sql.DB, error)
	switch d {
	case SQLite:
		q := url.Values{}
		for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)"} {
			q.Add("_pragma", p)
		}
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		open = func() (*sql.DB, error) { return sql.Open("sqlite", "file:"+dsn+"?"+q.Encode()) }
	case Postgres:
		open = func() (*sql.DB, error) { return sql.Open(PostgresDriver, dsn) }
	default:
		return nil, fmt.Errorf("open database: unknown dialect %q", d)
	}
	r, err := open()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w, err := open()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	r.SetMaxOpenConns(4)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		if d == Postgres {
			return nil, fmt.Errorf("connect to database %s: %w", redactURL(dsn), err)
		}
		return nil, fmt.Errorf("open database %s: %w", dsn, err)
	}
	db := &DB{dialect: d, sealer: readOnlySealer{}, write: w, read: r, reqs: make(chan *writeReq), quit: make(chan struct{})}
	db.closeOne.Do(func() { close(db.quit) }) // Update fails at once: nothing writes through this DB
	return db, nil
}

// readOnlySealer is the sealer of a read-only store: a dump copies sealed values
// as they are and opens none.
type readOnlySealer struct{}

var errReadOnlyStore = errors.New("store opened read-only, without keys")

func (readOnlySealer) NewDataKey() (dissent.WrappedKey, error) {
	return dissent.WrappedKey{}, errReadOnlyStore
}
func (readOnlySealer) Seal(dissent.WrappedKey, dissent.AD, []byte) ([]byte, error) {
	return nil, errReadOnlyStore
}
func (readOnlySealer) Open(dissent.WrappedKey, dissent.AD, []byte) ([]byte, error) {
	return nil, errReadOnlyStore
}
func (readOnlySealer) Rewrap(dissent.WrappedKey) (dissent.WrappedKey, error) {
	return dissent.WrappedKey{}, errReadOnlyStore
}
func (readOnlySealer) ActiveKEK() string                              { return "" }
func (readOnlySealer) Tag(dissent.MessageID, dissent.PersonID) []byte { return nil }
func (readOnlySealer) Locator(dissent.PersonID, int) []byte           { return nil }
func (readOnlySealer) Pseudonym([]byte, dissent.PersonID) []byte      { return nil }
