// Package store keeps Dissent's state in SQL: the only package that speaks
// SQL. One implementation serves SQLite (the embedded default) and
// PostgreSQL (postgres.go); both pass the conformance suite in storetest.
//
// Writes on SQLite go through one writer goroutine that groups the
// transactions of concurrent callers into one database transaction, each
// caller's work in a savepoint of its own, and commits them with one fsync
// (group commit). A caller's Update returns only after that commit.
//
// The package does not import a database driver: the program that links it
// does (cmd/dissent, and the tests).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/dissent-channel/dissent"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the SQL dialect of a backend.
type Dialect string

// The backends.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store.
type DB struct {
	dialect Dialect
	sealer  dissent.Sealer
	write   *sql.DB // SQLite: the writer's connection (wconn), and one for migrations and restores
	read    *sql.DB

	reqs     chan *writeReq
	quit     chan struct{}
	wg       sync.WaitGroup
	closeOne sync.Once

	// MaxBatch bounds how many callers share one transaction.
	maxBatch int
	// savepointRuns counts down the batches still to run with a
	// savepoint per caller (runBatch); the writer's alone.
	savepointRuns int

	metas metaCache // the submitted messages' metadata (inbox.go)

	tables  atomic.Pointer[map[string]recordedTable] // the tables the log records (rows.go)
	capture *rowCapture                              // SQLite: the rows the writer writes (capture.go)
	wconn   *sql.Conn                                // SQLite: the writer's connection, held while it runs
	stmts   *stmtCache                               // the SQLite writer's prepared statements (stmts.go)
	rstmts  *stmtCache                               // the SQLite readers' (stmts.go)

	counts        counters                                             // what Stats reports
	onIntegration atomic.Pointer[func(held time.Duration, size int64)] // PostgreSQL (postgres.go)
	onMessageLock atomic.Pointer[func(held time.Duration)]             // PostgreSQL (postgres.go)
}

// Stats counts what the store has done since it was opened: the tests and
// benchmarks of issue 17 read it before and after a page to see what the
// page cost (one read transaction, at most one write, the message loaded
// once, the management chain queried once).
type Stats struct {
	Views        int64 // read-only transactions (View)
	Updates      int64 // write transactions asked for (Update)
	MessageLoads int64 // one message read by id (Message, LockMessage)
	ChainQueries int64 // queries of a person's management chain
	RowsReadBack int64 // written rows read back for their digest: no values captured (rows.go)
	BatchReruns  int64 // SQLite writer's batches run again because a function failed after writing (runBatch)
}

type counters struct {
	views, updates, messageLoads, chainQueries, rowsReadBack, batchReruns atomic.Int64
	countsHits                                                            atomic.Int64 // messages LockMessageCounts took from the batch's cache
}

// Stats returns the counts so far.
func (db *DB) Stats() Stats {
	return Stats{Views: db.counts.views.Load(), Updates: db.counts.updates.Load(),
		MessageLoads: db.counts.messageLoads.Load(), ChainQueries: db.counts.chainQueries.Load(), RowsReadBack: db.counts.rowsReadBack.Load(),
		BatchReruns: db.counts.batchReruns.Load()}
}

type writeReq struct {
	ctx  context.Context
	fn   func(dissent.Tx) error
	done chan error
}

var _ dissent.Store = (*DB)(nil)

// OpenSQLite opens (creating if need be) the SQLite database at path, in WAL
// mode with foreign keys on, synchronous=FULL (a commit survives power
// loss), and a busy timeout, and migrates it to the newest schema.
//
// Protected values are sealed with sealer, which is required.
func OpenSQLite(ctx context.Context, path string, sealer dissent.Sealer) (*DB, error) {
	if sealer == nil {
		return nil, errors.New("open database: a sealer is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// The writer holds one connection for as long as it runs (wconn); a
	// second serves the migrations and a restore's load.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := checkSQLitePragmas(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		w.Close()
		return nil, fmt.Errorf("restrict database permissions: %w", err)
	}
	if err := migrate(ctx, w, SQLite); err != nil {
		w.Close()
		return nil, err
	}
	// The writer's rows are captured by SQLite's pre-update hook
	// (capture.go), not by triggers. An older version's triggers are
	// dropped, and what they noted (its migrations' writes, say) is read by
	// the first function. Without them, row_changes is not read: a row
	// noted there was noted behind the store's back, and recording it
	// would bless the write.
	var pending bool
	if err := w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rc\_%' ESCAPE '\')
		AND EXISTS (SELECT 1 FROM row_changes)`).Scan(&pending); err != nil {
		w.Close()
		return nil, fmt.Errorf("read row_changes: %w", err)
	}
	if err := dropRowTriggers(ctx, w, SQLite); err != nil {
		w.Close()
		return nil, err
	}
	// Readers: deferred transactions (a WAL snapshot, no write lock) on
	// connections that cannot write.
	rq := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)", "temp_store(MEMORY)"} {
		rq.Add("_pragma", p)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db := &DB{dialect: SQLite, sealer: sealer, write: w, read: r, reqs: make(chan *writeReq, 1024), quit: make(chan struct{}), maxBatch: 256, stmts: newStmtCache(), rstmts: newStmtCache(),
		capture: &rowCapture{pending: pending}}
	db.rstmts.kick = make(chan struct{}, 1)
	db.wg.Add(2)
	go db.writer()
	go func() {
		defer db.wg.Done()
		db.rstmts.prepareReads(db.read, db.quit)
	}()
	return db, nil
}

// sqlitePragmas are the settings the writer's connection must have in
// force, with the value SQLite reports for each. SQLite ignores a pragma it
// cannot apply (journal_mode stays "delete" on a file system without shared
// memory, "memory" for an in-memory database), so each is read back.
var sqlitePragmas = []struct{ name, want, why string }{
	{"journal_mode", "wal", "readers take snapshots while the writer commits; the file system must support SQLite's WAL mode (shared memory and locks), which network file systems often do not"},
	{"synchronous", "2", "synchronous=FULL: a commit survives power loss"},
	{"foreign_keys", "1", "the schema's references are enforced"},
	{"temp_store", "2", "temp_store=MEMORY: the writer's savepoints journal in memory, not in a temporary file written on every request of a batch (7 % of the server's CPU in the co-signing benchmark), and no page of the database is copied to a temporary file"},
}

// checkSQLitePragmas fails, naming the setting, if one of sqlitePragmas is
// not in force on db.
func checkSQLitePragmas(ctx context.Context, db *sql.DB) error {
	for _, p := range sqlitePragmas {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			return fmt.Errorf("read pragma %s: %w", p.name, err)
		}
		if !strings.EqualFold(got, p.want) {
			return fmt.Errorf("pragma %s is %q, want %q (%s)", p.name, got, p.want, p.why)
		}
	}
	return nil
}

func migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(d))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	gd := goose.DialectSQLite3
	if d == Postgres {
		gd = goose.DialectPostgres
	}
	opts, err := migrateOptions(d)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if err := refuseV1Log(ctx, db, d); err != nil {
		return err
	}
	if err := refuseOldPseudonyms(ctx, db, p); err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// ErrLogV1 refuses a deployment whose audit log is in the first format.
var ErrLogV1 = errors.New("this deployment's audit log is in the version-1 format (public entries that name actors), " +
	"which this release does not migrate: its entries would have to be republished, and the old ones are public already. " +
	"Keep serving it with the release that made it, or start a new deployment (dissent init) and move people and " +
	"organizations with dissent user import; see docs/OPERATIONS.md, \"Upgrading from the version-1 log\"")

// refuseV1Log stops the migration to the version-2 log when the version-1
// log holds entries: dropping them would lose the deployment's audit trail.
func refuseV1Log(ctx context.Context, db *sql.DB, d Dialect) error {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'log_leaves'`
	if d == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'log_leaves'`
	}
	var n int
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if n == 0 {
		return nil
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM log_leaves`).Scan(&n); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if n > 0 {
		return ErrLogV1
	}
	return nil
}

// pseudonymSchema is the migration that made participant tags per message
// (00020_pseudonyms.sql).
const pseudonymSchema = 20

// ErrOldPseudonyms is returned for a database, or a dump, made before
// per-message pseudonyms that holds messages: its tags, one per person on
// every message, would let a thief link a person's rows across messages,
// and SQL cannot recompute them.
var ErrOldPseudonyms = errors.New("this database holds messages whose participants are tagged with one pseudonym per person " +
	"(schema before version 20); this version of dissent tags them per message and cannot convert them. " +
	"Keep running the previous version on it, or start a new deployment (see OPERATIONS.md, \"Upgrading to per-message pseudonyms\")")

// refuseOldPseudonyms refuses, before any migration runs, a database at a
// schema before pseudonymSchema that holds a message.
func refuseOldPseudonyms(ctx context.Context, db *sql.DB, p *goose.Provider) error {
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v == 0 || v >= pseudonymSchema {
		return nil
	}
	var held bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages)`).Scan(&held); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	if held {
		return ErrOldPseudonyms
	}
	return nil
}

// Close stops the writer, after the writes already queued, and closes the
// database. Update calls after Close fail.
func (db *DB) Close() error {
	db.closeOne.Do(func() { close(db.quit) })
	db.wg.Wait()
	if db.stmts != nil {
		db.stmts.close()
	}
	if db.rstmts != nil {
		db.rstmts.close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

var errClosed = errors.New("store is closed")

// Update implements dissent.Store. It MUST NOT return nil before the
// transaction that holds fn's writes is durably committed.
func (db *DB) Update(ctx context.Context, fn func(dissent.Tx) error) error {
	db.counts.updates.Add(1)
	if db.dialect == Postgres {
		return db.updatePostgres(ctx, fn)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-db.quit:
		return errClosed
	default:
	}
	select {
	case db.reqs <- r:
	case <-db.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the writer checks
	// ctx before running fn, and a caller must never be told "failed" about
	// work that was committed.
	return <-r.done
}

// View implements dissent.Store.
func (db *DB) View(ctx context.Context, fn func(dissent.Tx) error) error {
	db.counts.views.Add(1)
	tx, err := db.read.BeginTx(ctx, db.viewOptions())
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	var q querier = tx
	if db.rstmts != nil {
		q = newPrepared(tx, db.rstmts)
	}
	t := db.txn(q)
	// Only a read-only snapshot may use the metadata cache: a write
	// transaction could fill it with changes it then rolls back.
	t.metas = &db.metas
	return fn(t)
}

// writer is the one goroutine that writes. It takes a request, gathers those
// already waiting, and runs them in one transaction.
func (db *DB) writer() {
	defer db.wg.Done()
	defer db.dropWriterConn()
	batch := make([]*writeReq, 0, db.maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-db.reqs:
			batch = append(batch, r)
		case <-db.quit:
			// Fail what is still queued; nothing of it has run.
			for {
				select {
				case r := <-db.reqs:
					r.done <- errClosed
				default:
					return
				}
			}
		}
	gather:
		for len(batch) < db.maxBatch {
			select {
			case r := <-db.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		db.runBatch(batch)
		if db.wconn != nil {
			db.stmts.prepare(context.Background(), db.wconn)
		}
	}
}

// writerConn returns the writer's connection, taking one from the pool the
// first time (or after the last one failed) and registering the hook that
// captures its rows on it.
func (db *DB) writerConn(ctx context.Context) (*sql.Conn, error) {
	if db.wconn == nil {
		c, err := db.write.Conn(ctx)
		if err != nil {
			return nil, err
		}
		db.wconn = c
	}
	if err := db.capture.watch(ctx, db.wconn); err != nil {
		db.dropWriterConn()
		return nil, err
	}
	return db.wconn, nil
}

// dropWriterConn gives up the writer's connection: when the writer stops,
// or when a statement that ends a transaction failed and left it in a state
// not known. Its prepared statements go with it, and its hook (the driver
// keeps hooks by connection handle, which a later connection may reuse).
func (db *DB) dropWriterConn() {
	if db.wconn == nil {
		return
	}
	db.stmts.close()
	db.capture.unwatch(db.wconn)
	db.wconn.Raw(func(dc any) error { return driver.ErrBadConn }) // never back to the pool
	db.wconn.Close()
	db.wconn = nil
}

// savepointBatches is how many batches run with a savepoint per caller after
// a batch had to run again (runBatch).
const savepointBatches = 16

// runBatch runs a batch of callers in one transaction. A caller's function
// that fails must leave no trace, while the others' work stays. Most
// batches run optimistically, without a savepoint per caller: a function
// that fails before writing anything (as refusals do: not found, forbidden,
// invalid) leaves the transaction as it found it. Only when one fails after
// writing (the hook saw a row written) is the whole transaction rolled
// back, nobody told anything, and the batch run again with a savepoint
// around each caller; the store's contract lets a function run more than
// once. After that the next savepointBatches batches use savepoints too,
// so that a stream of such failures costs at most one extra run in that
// many batches.
func (db *DB) runBatch(batch []*writeReq) {
	optimistic := len(batch) > 1 && db.savepointRuns == 0
	if db.savepointRuns > 0 {
		db.savepointRuns--
	}
	if db.tryBatch(batch, optimistic) {
		return
	}
	db.counts.batchReruns.Add(1)
	db.savepointRuns = savepointBatches
	db.tryBatch(batch, false)
}

// tryBatch runs the batch, with a savepoint per caller unless optimistic,
// and tells every caller its outcome. It returns false, having rolled back
// and told nobody anything, when it ran optimistically and a function
// failed after writing.
func (db *DB) tryBatch(batch []*writeReq, optimistic bool) bool {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for i, r := range batch {
			if errs[i] == nil {
				r.done <- err
			} else {
				r.done <- errs[i]
			}
		}
	}
	ctx := context.Background()
	conn, err := db.writerConn(ctx)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return true
	}
	began := db.capture.begin()
	sp := connStmts(conn, db.stmts)
	if _, err := sp.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		db.dropWriterConn()
		fail(fmt.Errorf("begin: %w", err))
		return true
	}
	rollback := func() {
		if _, err := sp.ExecContext(ctx, "ROLLBACK"); err != nil {
			db.dropWriterConn()
		}
		db.capture.rollbackTo(began)
	}
	// Once a caller's function runs, its statements must not be interrupted
	// by its context: an interrupted write would roll back the whole shared
	// transaction, not just the caller's savepoint. The context is checked
	// before the function starts instead.
	t := db.txn(detached{q: sp, capture: db.capture})
	t.batch, t.capture = &batchState{}, db.capture
	// The savepoints are run through the cache too (sp): prepared once,
	// not parsed twice per caller.
	ran := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if len(batch) == 1 {
			errs[i] = db.runOne(r, t)
			ran++
			continue
		}
		if optimistic {
			mark := db.capture.mark()
			if errs[i] = db.runOne(r, t); errs[i] == nil {
				ran++
				continue
			}
			if db.capture.wroteSince(mark) {
				rollback()
				return false
			}
			t.seq = 0 // read again: it may have taken numbers for entries it never wrote
			db.capture.rollbackTo(mark)
			continue
		}
		if _, err := sp.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return true
		}
		mark := db.capture.mark()
		if errs[i] = db.runOne(r, t); errs[i] != nil {
			t.seq = 0                   // the entries it numbered are undone
			db.capture.rollbackTo(mark) // and the rows it wrote
			t.forgetCounts()            // and the counts it wrote
			if _, err := sp.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				rollback()
				fail(fmt.Errorf("rollback to savepoint: %w", err))
				return true
			}
		} else {
			ran++
		}
		if _, err := sp.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
			rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return true
		}
	}
	if len(batch) == 1 && errs[0] != nil {
		rollback()
		batch[0].done <- errs[0]
		return true
	}
	if ran == 0 {
		rollback()
		fail(nil)
		return true
	}
	// The accounts its callers used for the first time, in one entry.
	if err := t.writeActivations(ctx); err != nil {
		rollback()
		fail(fmt.Errorf("record activations: %w", err))
		return true
	}
	// Integrate the batch's entries into the Merkle tree in the batch's
	// own transaction: one pass for all its callers.
	if t.appended > 0 {
		if _, err := t.IntegrateLog(ctx, 1<<30); err != nil {
			rollback()
			fail(fmt.Errorf("integrate the audit log: %w", err))
			return true
		}
	}
	if _, err := sp.ExecContext(ctx, "COMMIT"); err != nil {
		// The commit failed: none of the batch's work is durable.
		rollback()
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
	return true
}

// detached runs the SQLite writer's statements without the cancellation of
// their context. A statement that fails takes the rows it captured with it
// (SQLite undid its writes), and no text holding a NUL is bound (capture.go).
type detached struct {
	q       querier
	capture *rowCapture
}

func (d detached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	m := d.capture.mark()
	res, err := d.q.ExecContext(context.WithoutCancel(ctx), query, refuseNUL(args)...)
	if err != nil {
		d.capture.rollbackTo(m)
	}
	return res, err
}

func (d detached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	m := d.capture.mark()
	rows, err := d.q.QueryContext(context.WithoutCancel(ctx), query, refuseNUL(args)...)
	if err != nil {
		d.capture.rollbackTo(m)
	}
	return rows, err
}

func (d detached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	m := d.capture.mark()
	row := d.q.QueryRowContext(context.WithoutCancel(ctx), query, refuseNUL(args)...)
	if row.Err() != nil {
		d.capture.rollbackTo(m)
	}
	return row
}

func (db *DB) txn(q querier) *txn {
	return &txn{q: q, d: db.dialect, s: db.sealer, keys: map[dissent.MessageID]dissent.WrappedKey{}, tables: &db.tables, counts: &db.counts}
}

// runOne runs one caller's function, turning a panic into an error so that
// one bad request cannot take the writer down.
func (db *DB) runOne(r *writeReq, t *txn) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	t.pending, t.acts = t.pending[:0], t.acts[:0]
	if err := r.fn(t); err != nil {
		t.pending, t.acts = t.pending[:0], t.acts[:0]
		return err
	}
	if err := t.finish(context.WithoutCancel(r.ctx)); err != nil {
		return err
	}
	if t.batch != nil {
		t.batch.acts = append(t.batch.acts, t.acts...)
	}
	return nil
}

// Dialect returns the store's SQL dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// isUnique reports whether err is a unique-constraint violation, on either
// backend, without importing a driver.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "(2067)") || strings.Contains(s, "(1555)")
}
