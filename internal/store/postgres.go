package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/dissent-channel/dissent"
)

// PostgresDriver is the database/sql driver name OpenPostgres opens; the
// program links it (github.com/jackc/pgx/v5/stdlib registers it).
const PostgresDriver = "pgx"

// Connection pool of one instance. Several instances share one server, whose
// max_connections (100 by default) bounds their sum.
const (
	pgMaxConns    = 16
	pgMaxIdleTime = 5 * time.Minute
)

// pgAttempts bounds how often Update runs a caller's function when
// PostgreSQL aborts its transaction for a serialization failure or a
// deadlock.
const pgAttempts = 8

// OpenPostgres connects to the PostgreSQL database at url (postgres://…)
// and migrates it to the newest schema. Instances that start at once take
// turns at migrating (a session advisory lock).
//
// On PostgreSQL each Update is a transaction of its own at READ COMMITTED,
// run on a pool of connections: many callers and many instances write at
// once, and the row locks of LockMessage (FOR UPDATE) order the
// read-modify-write of one message.
func OpenPostgres(ctx context.Context, url string, sealer dissent.Sealer) (*DB, error) {
	if sealer == nil {
		return nil, errors.New("open database: a sealer is required")
	}
	p, err := sql.Open(PostgresDriver, url)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactURL(url), err)
	}
	p.SetMaxOpenConns(pgMaxConns)
	p.SetMaxIdleConns(pgMaxConns)
	p.SetConnMaxIdleTime(pgMaxIdleTime)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("connect to database %s: %w", redactURL(url), err)
	}
	if err := migrate(ctx, p, Postgres); err != nil {
		p.Close()
		return nil, err
	}
	if err := installPostgresTriggers(ctx, p); err != nil {
		p.Close()
		return nil, err
	}
	return &DB{dialect: Postgres, sealer: sealer, write: p, read: p, quit: make(chan struct{})}, nil
}

// migrateOptions are the goose options of a dialect: on PostgreSQL a session
// advisory lock, polled every second, so that instances started together do
// not run the same migration twice.
func migrateOptions(d Dialect) ([]goose.ProviderOption, error) {
	if d != Postgres {
		return nil, nil
	}
	l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return []goose.ProviderOption{goose.WithSessionLocker(l)}, nil
}

// viewOptions are the options of a read transaction: on PostgreSQL one
// snapshot for the whole transaction (REPEATABLE READ, which never fails a
// read-only transaction), as SQLite's WAL gives a reader.
func (db *DB) viewOptions() *sql.TxOptions {
	if db.dialect == Postgres {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return nil
}

// updatePostgres runs fn in a transaction of its own and commits it. When
// PostgreSQL aborts the transaction for a serialization failure or a
// deadlock, nothing of it is kept and fn runs again in a new one, up to
// pgAttempts times: fn does only database work, so running it again is safe.
//
// It MUST NOT return nil before the commit, and it does not give up on a
// commit it has begun when ctx ends: a caller must never be told "failed"
// about work that was committed.
func (db *DB) updatePostgres(ctx context.Context, fn func(dissent.Tx) error) error {
	for attempt := 1; ; attempt++ {
		select {
		case <-db.quit:
			return errClosed
		default:
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.tryPostgres(ctx, fn)
		if err == nil || attempt == pgAttempts || !retryable(err) {
			return err
		}
		// Back off a little, with jitter, so that the transactions that
		// collided do not collide again.
		d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (db *DB) tryPostgres(ctx context.Context, fn func(dissent.Tx) error) (err error) {
	// The transaction outlives a cancelled ctx, so that database/sql does not
	// roll back (or interrupt) a commit under way; fn's statements still use
	// the caller's ctx, and a cancelled ctx fails them.
	tx, err := db.write.BeginTx(context.WithoutCancel(ctx), &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
		if !committed {
			tx.Rollback()
		}
	}()
	t := db.txn(tx)
	var arg dissent.Tx = t
	obs, lobs := db.onIntegration.Load(), db.onMessageLock.Load()
	var it *lockTimer
	if obs != nil || lobs != nil {
		it = &lockTimer{txn: t}
		arg = it
	}
	if err := fn(arg); err != nil {
		return err
	}
	if err := t.finish(ctx); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if it != nil {
		done := time.Now()
		if obs != nil && !it.locked.IsZero() {
			(*obs)(done.Sub(it.locked), it.size)
		}
		if lobs != nil && !it.message.IsZero() {
			(*lobs)(done.Sub(it.message))
		}
	}
	return nil
}

// ObserveIntegration has fn called after each PostgreSQL transaction that
// took the audit log's integration lock (LockLogIntegration), with how long
// the lock was held — from the moment it was granted to the commit — and the
// log's size after the transaction's IntegrateLog. The integration is the
// one section that the instances of a deployment run one at a time, so this
// time bounds the deployment's append rate; serve reports it as a metric.
// SQLite integrates in its writer's batches and never calls fn.
func (db *DB) ObserveIntegration(fn func(held time.Duration, size int64)) {
	db.onIntegration.Store(&fn)
}

// ObserveMessageLock has fn called after each PostgreSQL transaction that
// locked a message (LockMessage or LockMessageCounts: every act on a
// message, a co-signature among them), with how long the row lock was held, from LockMessage's
// return (the lock and the message's read) to the commit. The acts on one message run one at a time, so this time bounds
// the rate of co-signatures on one message.
func (db *DB) ObserveMessageLock(fn func(held time.Duration)) {
	db.onMessageLock.Store(&fn)
}

// lockTimer is the transaction handed to fn while an observer is set: it
// notes when the integration lock and the first message lock were granted,
// and the size the integration reached.
type lockTimer struct {
	*txn
	locked, message time.Time
	size            int64
}

func (it *lockTimer) LockMessage(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	return it.lockedMessage(it.txn.LockMessage(ctx, id))
}

func (it *lockTimer) LockMessageCounts(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	return it.lockedMessage(it.txn.LockMessageCounts(ctx, id))
}

// lockedMessage notes when the first message lock was granted.
func (it *lockTimer) lockedMessage(m dissent.Message, err error) (dissent.Message, error) {
	if err == nil && it.message.IsZero() {
		it.message = time.Now()
	}
	return m, err
}

func (it *lockTimer) LockLogIntegration(ctx context.Context) (bool, error) {
	got, err := it.txn.LockLogIntegration(ctx)
	if got && err == nil {
		it.locked = time.Now()
	}
	return got, err
}

func (it *lockTimer) IntegrateLog(ctx context.Context, max int) (int64, error) {
	size, err := it.txn.IntegrateLog(ctx, max)
	it.size = size
	return size, err
}

// sqlState is the SQLSTATE of a PostgreSQL error, without importing the
// driver: pgx's *pgconn.PgError has this method and prints the code as
// "(SQLSTATE 40001)".
func sqlState(err error) string {
	var se interface{ SQLState() string }
	if errors.As(err, &se) {
		return se.SQLState()
	}
	if _, s, ok := strings.Cut(err.Error(), "(SQLSTATE "); ok && len(s) >= 5 {
		return s[:5]
	}
	return ""
}

// retryable reports whether PostgreSQL aborted a transaction that may simply
// run again: a serialization failure (40001) or a deadlock (40P01).
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01":
		return true
	}
	return false
}

// redactURL masks the password of a database URL, for errors and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[unparseable database URL]"
	}
	return u.Redacted()
}

// installPostgresTriggers installs the audit triggers under a transaction
// advisory lock, so that instances starting together take turns.
func installPostgresTriggers(ctx context.Context, p *sql.DB) error {
	tx, err := p.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("install the audit triggers: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(6963)`); err != nil {
		return fmt.Errorf("install the audit triggers: %w", err)
	}
	if err := installRowTriggers(ctx, tx, Postgres); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("install the audit triggers: %w", err)
	}
	return nil
}
