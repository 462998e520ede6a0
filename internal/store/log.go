package store

// The audit log, version 2.
//
// An event is an entry: appended (sequenced) in the transaction of the
// change it records, stored sealed under the log's data key, and given a
// leaf index later, when an integrator adds its commitment to the Merkle
// tree (IntegrateLog). On SQLite the writer integrates at the end of every
// batch, in the batch's transaction; on PostgreSQL a lease holder does, so
// that no request holds a lock over the whole log.
//
// Every transaction that writes a recorded table also records, in its last
// entry, the digest of every row it wrote (triggers collect the rows in
// row_changes; finish turns them into digests). `dissent verify` replays the
// entries and compares the digests with the tables, so that no edit made
// behind the service's back goes unseen.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// saltSize is the size of an entry's salt.
const saltSize = 32

// logKeyID names the log's data key in log_keys.
const logKeyID = "entries"

// LogSize is the number of integrated entries.
func (t *txn) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := t.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(leaf) + 1, 0) FROM log_entries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read log size: %w", err)
	}
	return n, nil
}

// logKey returns the log's data key, making it on first use.
func (t *txn) logKey(ctx context.Context, create bool) (dissent.WrappedKey, error) {
	if t.lkey != nil {
		return *t.lkey, nil
	}
	var k dissent.WrappedKey
	err := t.q.QueryRowContext(ctx, `SELECT kek_id, wrapped FROM log_keys WHERE id = $1`, logKeyID).Scan(&k.KEKID, &k.Wrapped)
	if errors.Is(err, sql.ErrNoRows) && create {
		nk, kerr := t.s.NewDataKey()
		if kerr != nil {
			return k, fmt.Errorf("make the log's key: %w", kerr)
		}
		if err := t.exec(ctx, "store the log's key", `INSERT INTO log_keys (id, kek_id, wrapped) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			logKeyID, nk.KEKID, nk.Wrapped); err != nil {
			return k, err
		}
		err = t.q.QueryRowContext(ctx, `SELECT kek_id, wrapped FROM log_keys WHERE id = $1`, logKeyID).Scan(&k.KEKID, &k.Wrapped)
	}
	if err != nil {
		return k, fmt.Errorf("read the log's key: %w", err)
	}
	t.lkey = &k
	return k, nil
}

// RewrapLogKey implements dissent.KeyTx.
func (t *txn) RewrapLogKey(ctx context.Context) error {
	k, err := t.logKey(ctx, false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no entry yet
	}
	if err != nil {
		return err
	}
	nk, err := t.s.Rewrap(k)
	if err != nil {
		return fmt.Errorf("rewrap the log's key: %w", err)
	}
	if err := t.exec(ctx, "rewrap the log's key", `UPDATE log_keys SET kek_id = $2, wrapped = $3 WHERE id = $1`, logKeyID, nk.KEKID, nk.Wrapped); err != nil {
		return err
	}
	t.lkey = &nk
	return nil
}

func entryAD(seq int64) dissent.AD {
	return dissent.AD{Table: "log_entries", Row: strconv.FormatInt(seq, 10), Column: "sealed"}
}

// sealedActor is what the database keeps, sealed under the message's key,
// of a protected event's actor: enough to show it to the message's authors
// and to open the commitment in the entry for a receipt.
type sealedActor struct {
	ID    dissent.PersonID `json:"id"`
	Email string           `json:"email"`
	Salt  []byte           `json:"salt"`
}

// AppendEvent queues the event; it is written, with the digests of the rows
// the transaction wrote, when the caller's function returns (finish).
func (t *txn) AppendEvent(ctx context.Context, e dissent.Event) error {
	if e.Protected && e.MessageID == "" {
		return fmt.Errorf("append event %s: a protected event needs a message", e.Kind)
	}
	if e.Protected && len(e.ActorSalt) == 0 {
		e.ActorSalt = make([]byte, 16)
		if _, err := rand.Read(e.ActorSalt); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
	}
	t.pending = append(t.pending, e)
	return nil
}

// finish ends a caller's function that succeeded: it collects the rows the
// function wrote, attaches their digests to its last event (or to an entry
// of its own when it appended none), and writes the events as entries.
func (t *txn) finish(ctx context.Context) error {
	rows, err := t.collectRows(ctx)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		if len(t.pending) == 0 {
			t.pending = append(t.pending, dissent.Event{At: time.Now().UTC(), Kind: "state.changed"})
		}
		last := &t.pending[len(t.pending)-1]
		last.Rows = append(last.Rows, rows...)
	}
	return t.flush(ctx)
}

// RecordWrites implements dissent.Tx.
func (t *txn) RecordWrites(ctx context.Context) error { return t.finish(ctx) }

// flush writes the queued events as entries. On PostgreSQL, where each
// statement is a round trip, their sequence numbers are taken in one
// statement and the entries written in one more, however many there are (a
// page's reads are an event each: the inbox records fifty).
func (t *txn) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	k, err := t.logKey(ctx, true)
	if err != nil {
		return err
	}
	seqs, err := t.nextSeqs(ctx, len(t.pending))
	if err != nil {
		return err
	}
	rows := make([]entryRow, len(t.pending))
	for i, e := range t.pending {
		seq := seqs[i]
		var actorSealed []byte
		if e.Protected {
			b, err := json.Marshal(sealedActor{ID: e.ActorID, Email: e.ActorEmail, Salt: e.ActorSalt})
			if err != nil {
				return fmt.Errorf("append event: %w", err)
			}
			if actorSealed, err = t.seal(ctx, e.MessageID, "log_entries", strconv.FormatInt(seq, 10), "actor_sealed", b); err != nil {
				return err
			}
		}
		payload, err := json.Marshal(e.Record())
		if err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		plain := make([]byte, saltSize, saltSize+len(payload))
		if _, err := rand.Read(plain); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		commitment := dissent.EntryCommitment(plain, payload)
		plain = append(plain, payload...)
		sealed, err := t.s.Seal(k, entryAD(seq), plain)
		if err != nil {
			return fmt.Errorf("seal log entry: %w", err)
		}
		rows[i] = entryRow{seq: seq, message: string(e.MessageID), class: dissent.ClassOf(e.Kind), commitment: commitment, sealed: sealed, actor: actorSealed}
	}
	if err := t.insertEntries(ctx, rows); err != nil {
		return err
	}
	t.appended += len(rows)
	t.pending = t.pending[:0]
	return nil
}

// entryRow is one log entry as flush writes it.
type entryRow struct {
	seq                       int64
	message                   string // "" for an event of no message
	class                     dissent.EventClass
	commitment, sealed, actor []byte // actor: nil unless the event is protected
}

// insertEntries writes rows: on SQLite one prepared statement each (no
// round trips), on PostgreSQL one statement for them all.
func (t *txn) insertEntries(ctx context.Context, rows []entryRow) error {
	if t.d == Postgres && len(rows) > 1 {
		seqs := make([]int64, len(rows))
		msgs := make([]*string, len(rows))
		classes := make([]int16, len(rows))
		commitments := make([][]byte, len(rows))
		sealed := make([][]byte, len(rows))
		actors := make([][]byte, len(rows))
		for i, r := range rows {
			seqs[i], classes[i], commitments[i], sealed[i], actors[i] = r.seq, int16(r.class), r.commitment, r.sealed, r.actor
			if r.message != "" {
				msgs[i] = &rows[i].message
			}
		}
		return t.exec(ctx, "append log entries", `INSERT INTO log_entries (seq, message_id, class, commitment, sealed, actor_sealed)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::bytea[], $5::bytea[], $6::bytea[])`, seqs, msgs, classes, commitments, sealed, actors)
	}
	for _, r := range rows {
		var actor any
		if r.actor != nil {
			actor = r.actor
		}
		if err := t.exec(ctx, "append log entry", `INSERT INTO log_entries (seq, message_id, class, commitment, sealed, actor_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.seq, nullStr(r.message), int64(r.class), r.commitment, r.sealed, actor); err != nil {
			return err
		}
	}
	return nil
}

// nextSeqs returns the next n entries' sequence numbers, ascending: on
// SQLite the one writer makes MAX+1 safe; on PostgreSQL the identity's
// sequence, which takes no lock that lasts the transaction, in one
// statement.
//
// On SQLite the number is remembered for the rest of the writer's batch
// (t.seq), so that a batch asks for MAX once, not once per entry; a
// caller's function rolled back to its savepoint forgets it.
func (t *txn) nextSeqs(ctx context.Context, n int) ([]int64, error) {
	if t.d == Postgres && n > 1 {
		out, err := queryColumn[int64](ctx, t.q, "log entries' sequence numbers", `SELECT nextval(pg_get_serial_sequence('log_entries', 'seq')) FROM generate_series(1, $1)`, n)
		if err != nil {
			return nil, err
		}
		if len(out) != n {
			return nil, fmt.Errorf("sequence log entries: %d numbers for %d entries", len(out), n)
		}
		slices.Sort(out)
		return out, nil
	}
	out := make([]int64, 0, n)
	for range n {
		s, err := t.nextSeq(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// nextSeq returns the next entry's sequence number (nextSeqs).
func (t *txn) nextSeq(ctx context.Context) (int64, error) {
	if t.d == SQLite && t.seq > 0 {
		n := t.seq
		t.seq++
		return n, nil
	}
	q := `SELECT COALESCE(MAX(seq), 0) + 1 FROM log_entries`
	if t.d == Postgres {
		q = `SELECT nextval(pg_get_serial_sequence('log_entries', 'seq'))`
	}
	var n int64
	if err := t.q.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("sequence log entry: %w", err)
	}
	if t.d == SQLite {
		t.seq = n + 1
	}
	return n, nil
}

// storedEntry is an entry's stored columns, not yet opened.
func storedEntry(seq int64, leaf sql.NullInt64, filed sql.NullString, class int64, commitment []byte) dissent.LogEntry {
	e := dissent.LogEntry{Seq: seq, Leaf: -1, Filed: dissent.MessageID(filed.String), Class: dissent.EventClass(class), Commitment: commitment}
	if leaf.Valid {
		e.Leaf = leaf.Int64
	}
	return e
}

// openEntryWith opens the stored entry e under the log's key k. sealed may
// be the driver's buffer (sql.RawBytes): the entry keeps none of it.
func (t *txn) openEntryWith(k dissent.WrappedKey, e dissent.LogEntry, sealed []byte) (dissent.LogEntry, error) {
	plain, err := t.s.Open(k, entryAD(e.Seq), sealed)
	if err != nil {
		return e, fmt.Errorf("log entry %d does not open under the log's key: %w", e.Seq, err)
	}
	if len(plain) < saltSize {
		return e, fmt.Errorf("log entry %d is too short", e.Seq)
	}
	e.Salt, e.Payload = plain[:saltSize], plain[saltSize:]
	return e, nil
}

// queryEntries runs q, which selects (seq, leaf, message_id, class,
// commitment, sealed) of log entries, and opens each entry as its row is read: the
// sealed bytes are scanned as sql.RawBytes, not copied twice (driver and
// Scan) per row, and the commitments are copied into blocks shared by the
// entries. n is how many rows are expected (a capacity hint).
func (t *txn) queryEntries(ctx context.Context, what string, n int64, q string, args ...any) ([]dissent.LogEntry, error) {
	// The log's key is read before the entries' rows are opened: no other
	// statement may run on the transaction's connection (PostgreSQL's serves
	// one at a time) while they are. As before, its absence is an error
	// only if there is an entry to open.
	k, kerr := t.logKey(ctx, false)
	rows, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := make([]dissent.LogEntry, 0, max(0, min(n, 1<<16)))
	var block []byte // commitments, copied out of the driver's buffers
	for rows.Next() {
		var seq int64
		var leaf sql.NullInt64
		var filed sql.NullString
		var class int64
		var commitment, sealed sql.RawBytes
		if err := rows.Scan(&seq, &leaf, &filed, &class, &commitment, &sealed); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if kerr != nil {
			return nil, kerr
		}
		var c []byte
		if commitment != nil {
			if cap(block)-len(block) < len(commitment) {
				block = make([]byte, 0, max(len(commitment), 64<<10))
			}
			at := len(block)
			block = append(block, commitment...)
			c = block[at:len(block):len(block)]
		}
		e, err := t.openEntryWith(k, storedEntry(seq, leaf, filed, class, c), sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// LogEntries implements dissent.LogTx.
func (t *txn) LogEntries(ctx context.Context, start, end int64) ([]dissent.LogEntry, error) {
	out, err := t.queryEntries(ctx, "read log entries", end-start, `SELECT seq, leaf, message_id, class, commitment, sealed FROM log_entries WHERE leaf >= $1 AND leaf < $2 ORDER BY leaf`, start, end)
	if err != nil {
		return nil, err
	}
	for i, e := range out {
		if e.Leaf != start+int64(i) {
			return nil, fmt.Errorf("log entry %d is missing", start+int64(i))
		}
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("log entry %d is missing", start+int64(len(out)))
	}
	return out, nil
}

// PendingEntries implements dissent.LogTx.
func (t *txn) PendingEntries(ctx context.Context) ([]dissent.LogEntry, error) {
	return t.queryEntries(ctx, "read pending log entries", 0, `SELECT seq, leaf, message_id, class, commitment, sealed FROM log_entries WHERE leaf IS NULL ORDER BY seq`)
}

// EntryBySeq implements dissent.LogTx.
func (t *txn) EntryBySeq(ctx context.Context, seq int64) (dissent.LogEntry, error) {
	out, err := t.queryEntries(ctx, "read log entry", 1, `SELECT seq, leaf, message_id, class, commitment, sealed FROM log_entries WHERE seq = $1`, seq)
	if err != nil {
		return dissent.LogEntry{}, err
	}
	if len(out) == 0 {
		return dissent.LogEntry{}, dissent.ErrNotFound("log entry")
	}
	return out[0], nil
}

// LogCommitments implements dissent.LogTx.
func (t *txn) LogCommitments(ctx context.Context, start, end int64) ([][]byte, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT leaf, commitment FROM log_entries WHERE leaf >= $1 AND leaf < $2 ORDER BY leaf`, start, end)
	if err != nil {
		return nil, fmt.Errorf("read log leaves: %w", err)
	}
	defer rows.Close()
	out := make([][]byte, 0, end-start)
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("scan log leaf: %w", err)
		}
		if idx != start+int64(len(out)) {
			return nil, fmt.Errorf("log leaf %d is missing", start+int64(len(out)))
		}
		out = append(out, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log leaves: %w", err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("log leaf %d is missing", start+int64(len(out)))
	}
	return out, nil
}

// IntegrateLog implements dissent.LogTx.
func (t *txn) IntegrateLog(ctx context.Context, max int) (int64, error) {
	size, err := t.LogSize(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := t.q.QueryContext(ctx, `SELECT seq, commitment FROM log_entries WHERE leaf IS NULL ORDER BY seq LIMIT $1`, max)
	if err != nil {
		return 0, fmt.Errorf("read pending log entries: %w", err)
	}
	var seqs []int64
	var leaves [][]byte
	for rows.Next() {
		var s int64
		var c []byte
		if err := rows.Scan(&s, &c); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read pending log entries: %w", err)
		}
		seqs, leaves = append(seqs, s), append(leaves, c)
	}
	if err := closeRows(rows); err != nil {
		return 0, fmt.Errorf("read pending log entries: %w", err)
	}
	if len(seqs) == 0 {
		return size, nil
	}
	// Hashes computed in this batch are kept in memory; older ones are read.
	fresh := map[int64]tlog.Hash{}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var missing []int64
		var at []int
		for i, x := range idx {
			if h, ok := fresh[x]; ok {
				out[i] = h
			} else {
				missing, at = append(missing, x), append(at, i)
			}
		}
		if len(missing) > 0 {
			hs, err := t.readHashes(ctx, missing)
			if err != nil {
				return nil, err
			}
			for j, h := range hs {
				out[at[j]] = h
			}
		}
		return out, nil
	})
	var hashIdx []int64
	var hashes []tlog.Hash
	for i, c := range leaves {
		n := size + int64(i)
		hs, err := tlog.StoredHashes(n, c, r)
		if err != nil {
			return 0, fmt.Errorf("integrate log entry %d: %w", seqs[i], err)
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			fresh[base+int64(j)] = h
			hashIdx, hashes = append(hashIdx, base+int64(j)), append(hashes, h)
		}
	}
	if t.d == SQLite {
		return t.integrateSQLite(ctx, size, seqs, hashIdx, hashes)
	}
	// PostgreSQL: each statement is a round trip, under the log's lock.
	// Two statements of fixed text take the whole batch as arrays.
	leafs := make([]int64, len(seqs))
	for i := range seqs {
		leafs[i] = size + int64(i)
	}
	if err := t.exec(ctx, "integrate log entries", `UPDATE log_entries SET leaf = u.leaf
		FROM unnest($1::bigint[], $2::bigint[]) AS u(seq, leaf) WHERE log_entries.seq = u.seq`, seqs, leafs); err != nil {
		return 0, err
	}
	hs := make([][]byte, len(hashes))
	for i := range hashes {
		hs[i] = hashes[i][:]
	}
	if err := t.exec(ctx, "store log hashes", `INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, hashIdx, hs); err != nil {
		return 0, err
	}
	return size + int64(len(seqs)), nil
}

// integrateSQLite writes a batch's leaf numbers and stored hashes. The
// writer numbers entries without gaps, and the hashes of consecutive leaves
// are stored at consecutive indexes, so each is one range written by one
// statement of fixed text (SQLite binds a long parameter list in time
// quadratic in its length, and a one-row statement per row cost three
// statements a signature); a batch that is not a range (never seen) is
// written one row at a time.
func (t *txn) integrateSQLite(ctx context.Context, size int64, seqs, hashIdx []int64, hashes []tlog.Hash) (int64, error) {
	n := int64(len(seqs))
	if consecutive(seqs) {
		res, err := t.q.ExecContext(ctx, `UPDATE log_entries SET leaf = seq - $1 WHERE seq BETWEEN $2 AND $3 AND leaf IS NULL`, seqs[0]-size, seqs[0], seqs[n-1])
		if err != nil {
			return 0, fmt.Errorf("integrate log entries: %w", err)
		}
		if done, err := res.RowsAffected(); err != nil || done != n {
			return 0, fmt.Errorf("integrate log entries: %d of %d numbered (%v)", done, n, err)
		}
	} else {
		for i, seq := range seqs {
			if err := t.exec(ctx, "integrate log entry", `UPDATE log_entries SET leaf = $1 WHERE seq = $2`, size+int64(i), seq); err != nil {
				return 0, err
			}
		}
	}
	if consecutive(hashIdx) {
		all := make([]byte, 0, len(hashes)*tlog.HashSize)
		for _, h := range hashes {
			all = append(all, h[:]...)
		}
		if err := t.exec(ctx, "store log hashes", `WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k + 1 < $3)
			INSERT INTO log_hashes (idx, hash) SELECT $1 + k, substr($2, k * 32 + 1, 32) FROM i`, hashIdx[0], all, len(hashes)); err != nil {
			return 0, err
		}
		return size + n, nil
	}
	for i, idx := range hashIdx {
		if err := t.exec(ctx, "store log hash", `INSERT INTO log_hashes (idx, hash) VALUES ($1, $2)`, idx, hashes[i][:]); err != nil {
			return 0, err
		}
	}
	return size + n, nil
}

// consecutive reports whether xs is a non-empty run n, n+1, n+2, ...
func consecutive(xs []int64) bool {
	for i := range xs {
		if xs[i] != xs[0]+int64(i) {
			return false
		}
	}
	return len(xs) > 0
}

func (t *txn) readHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	// A run of consecutive indexes (Verify compares a whole chunk's stored
	// hashes) is read with range queries: no parameter lists to bind.
	if contiguous(indexes) {
		for start := 0; start < len(indexes); start += hashRangeChunk {
			end := min(start+hashRangeChunk, len(indexes))
			if err := t.readHashRange(ctx, indexes[start], out[start:end]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// A few on SQLite: one prepared statement each.
	if t.d == SQLite && len(indexes) <= 64 {
		for i, x := range indexes {
			var h []byte
			if err := t.q.QueryRowContext(ctx, `SELECT hash FROM log_hashes WHERE idx = $1`, x).Scan(&h); err != nil {
				return nil, fmt.Errorf("read log hash %d: %w", x, err)
			}
			if len(h) != tlog.HashSize {
				return nil, fmt.Errorf("log hash %d has %d bytes", x, len(h))
			}
			copy(out[i][:], h)
		}
		return out, nil
	}
	if t.d == Postgres {
		return t.readHashArray(ctx, indexes)
	}
	// In chunks: the SQLite driver binds parameters in time quadratic in
	// their number.
	for start := 0; start < len(indexes); start += 500 {
		end := min(start+500, len(indexes))
		if err := t.readHashChunk(ctx, indexes[start:end], out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hashRangeChunk bounds the rows one range query of stored hashes returns.
const hashRangeChunk = 50_000

// contiguous reports whether indexes are consecutive and ascending (and
// long enough for a range query to be worth it).
func contiguous(indexes []int64) bool { return len(indexes) >= 64 && consecutive(indexes) }

// readHashRange reads the stored hashes lo, lo+1, …, lo+len(out)-1.
func (t *txn) readHashRange(ctx context.Context, lo int64, out []tlog.Hash) error {
	if t.d == SQLite {
		if ok, err := t.readHashRangeConcat(ctx, lo, out); ok || err != nil {
			return err
		}
	}
	return t.readHashRangeRows(ctx, lo, out)
}

// readHashRangeRows reads the stored hashes lo, lo+1, …, lo+len(out)-1 row
// by row.
func (t *txn) readHashRangeRows(ctx context.Context, lo int64, out []tlog.Hash) error {
	hi := lo + int64(len(out))
	rows, err := t.q.QueryContext(ctx, `SELECT idx, hash FROM log_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx`, lo, hi)
	if err != nil {
		return fmt.Errorf("read log hashes: %w", err)
	}
	defer rows.Close()
	next := lo
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return fmt.Errorf("scan log hash: %w", err)
		}
		if idx != next {
			return fmt.Errorf("log hash %d is missing", next)
		}
		if len(h) != tlog.HashSize {
			return fmt.Errorf("log hash %d has %d bytes", idx, len(h))
		}
		copy(out[idx-lo][:], h)
		next++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read log hashes: %w", err)
	}
	if next != hi {
		return fmt.Errorf("log hashes missing: found %d of %d", next-lo, hi-lo)
	}
	return nil
}

// readHashRangeConcat reads the stored hashes lo, lo+1, …, lo+len(out)-1
// on SQLite in one row: the hashes concatenated, and their indexes listed in
// the same order (one aggregate pass feeds both, so the list says which
// index each hash has, whatever order SQLite reads them in). The pure-Go
// driver's cost per row returned (a third of Verify's reading of stored
// hashes) is paid once per range. It accepts only what readHashRange
// accepts: every index from lo to hi once, in order, each hash 32 bytes
// (none longer, and 32 × their number in all, so none shorter; a value
// that long can only be a blob or text, whose bytes both reads return
// alike). Anything else (a hash missing, of another length, an index out
// of order) is reported as not read (false), and readHashRange then reads
// the range row by row and names the fault.
func (t *txn) readHashRangeConcat(ctx context.Context, lo int64, out []tlog.Hash) (bool, error) {
	hi := lo + int64(len(out))
	var n, maxLen sql.NullInt64
	var hashes, idxs []byte
	err := t.q.QueryRowContext(ctx, `SELECT count(*), max(octet_length(hash)), group_concat(hash, x''), group_concat(idx, ',')
		FROM (SELECT idx, hash FROM log_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx)`, lo, hi).Scan(&n, &maxLen, &hashes, &idxs)
	if err != nil {
		return false, fmt.Errorf("read log hashes: %w", err)
	}
	if n.Int64 != hi-lo || maxLen.Int64 != tlog.HashSize || len(hashes) != len(out)*tlog.HashSize {
		return false, nil
	}
	want := make([]byte, 0, len(idxs))
	for x := lo; x < hi; x++ {
		if x > lo {
			want = append(want, ',')
		}
		want = strconv.AppendInt(want, x, 10)
	}
	if !bytes.Equal(want, idxs) {
		return false, nil
	}
	for i := range out {
		copy(out[i][:], hashes[i*tlog.HashSize:])
	}
	return true, nil
}

func (t *txn) readHashChunk(ctx context.Context, indexes []int64, out []tlog.Hash) error {
	args := make([]any, 0, len(indexes))
	ph := make([]string, 0, len(indexes))
	seen := make(map[int64]bool, len(indexes))
	for _, x := range indexes {
		if !seen[x] {
			seen[x] = true
			args = append(args, x)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
	}
	return t.readHashesBy(ctx, `SELECT idx, hash FROM log_hashes WHERE idx IN (`+strings.Join(ph, ",")+`)`, args, indexes, out)
}

// readHashArray reads stored hashes on PostgreSQL in one statement of
// fixed text, the indexes as an array.
func (t *txn) readHashArray(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	err := t.readHashesBy(ctx, `SELECT idx, hash FROM log_hashes WHERE idx = ANY($1::bigint[])`, []any{indexes}, indexes, out)
	return out, err
}

// readHashesBy runs q, which selects (idx, hash) of the stored hashes
// indexes name, and puts each where indexes has it in out.
func (t *txn) readHashesBy(ctx context.Context, q string, args []any, indexes []int64, out []tlog.Hash) error {
	pos := make(map[int64][]int, len(indexes))
	for i, x := range indexes {
		pos[x] = append(pos[x], i)
	}
	rows, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read log hashes: %w", err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return fmt.Errorf("scan log hash: %w", err)
		}
		if len(h) != tlog.HashSize {
			return fmt.Errorf("log hash %d has %d bytes", idx, len(h))
		}
		for _, i := range pos[idx] {
			copy(out[i][:], h)
			found++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read log hashes: %w", err)
	}
	if found != len(indexes) {
		return fmt.Errorf("log hashes missing: found %d of %d", found, len(indexes))
	}
	return nil
}

// ReadLogHashes returns stored hashes by stored-hash index.
func (t *txn) ReadLogHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	hs, err := t.readHashes(ctx, indexes)
	if err != nil {
		return nil, err
	}
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out, nil
}

// AddCheckpoint stores a signed checkpoint of the tree at size.
func (t *txn) AddCheckpoint(ctx context.Context, size int64, note []byte, at time.Time) error {
	return t.exec(ctx, "add checkpoint", `INSERT INTO checkpoints (size, note, created) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING`, size, note, ns(at))
}

// Checkpoints lists the stored checkpoints by size.
func (t *txn) Checkpoints(ctx context.Context) ([]int64, [][]byte, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT size, note FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, nil, fmt.Errorf("list checkpoints: %w", err)
	}
	defer rows.Close()
	var sizes []int64
	var notes [][]byte
	for rows.Next() {
		var s int64
		var n []byte
		if err := rows.Scan(&s, &n); err != nil {
			return nil, nil, fmt.Errorf("scan checkpoint: %w", err)
		}
		sizes, notes = append(sizes, s), append(notes, n)
	}
	return sizes, notes, rows.Err()
}

// decodeRecord parses an entry's payload strictly: the canonical encoding
// the store writes without reflection, anything else by encoding/json with
// unknown fields refused.
func decodeRecord(payload []byte) (dissent.EntryRecord, error) {
	if r, ok := dissent.ParseCanonicalEntry(payload); ok {
		return r, nil
	}
	var r dissent.EntryRecord
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("not a log record: %w", err)
	}
	return r, nil
}

// eventOf turns an opened entry into an event (without its protected
// actor).
func eventOf(e dissent.LogEntry) (dissent.Event, error) {
	r, err := decodeRecord(e.Payload)
	if err != nil {
		return dissent.Event{}, fmt.Errorf("log entry %d: %w", e.Seq, err)
	}
	at, err := time.Parse(time.RFC3339Nano, r.At)
	if err != nil {
		return dissent.Event{}, fmt.Errorf("log entry %d: time: %w", e.Seq, err)
	}
	return dissent.Event{ID: e.Seq, Leaf: e.Leaf, At: at, ActorID: dissent.PersonID(r.Actor), ActorRole: dissent.Role(r.Role),
		Kind: r.Kind, MessageID: dissent.MessageID(r.Message), Detail: r.Detail, Protected: r.ActorCommit != "", Rows: r.Rows}, nil
}

// Events lists a message's events with their actors, protected ones opened.
// The entries are opened and their commitments checked: an entry edited in
// the database is an error, not a different event. Given classes, it reads
// only the entries filed under them (log_entries.class) and those filed
// under none, which it keeps only if their kind is of one of the classes.
// An entry filed under a class that is not its kind's is an error too; one
// moved to a class its reader skips is not seen here, as a deleted one is
// not: dissent verify finds both.
func (t *txn) Events(ctx context.Context, id dissent.MessageID, classes ...dissent.EventClass) ([]dissent.Event, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	where, args := `message_id = $1`, []any{string(id)}
	if id == "" {
		// The deployment's own events: organizations, people, sign-ins, keys.
		where, args = `message_id IS NULL`, nil
	}
	if len(classes) > 0 {
		in := strconv.Itoa(int(dissent.ClassUnknown))
		for _, c := range classes {
			in += "," + strconv.Itoa(int(c))
		}
		where += ` AND class IN (` + in + `)`
	}
	k, kerr := t.logKey(ctx, false)
	rows, err := t.q.QueryContext(ctx, `SELECT seq, leaf, class, commitment, sealed, actor_sealed FROM log_entries WHERE `+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	type raw struct {
		seq                       int64
		leaf                      sql.NullInt64
		class                     int64
		commitment, sealed, actor []byte
	}
	var rs []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.seq, &r.leaf, &r.class, &r.commitment, &r.sealed, &r.actor); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan event: %w", err)
		}
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	if len(rs) > 0 && kerr != nil {
		return nil, kerr
	}
	out := make([]dissent.Event, 0, len(rs))
	for _, r := range rs {
		le, err := t.openEntryWith(k, storedEntry(r.seq, r.leaf, sql.NullString{String: string(id), Valid: id != ""}, r.class, r.commitment), r.sealed)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(dissent.EntryCommitment(le.Salt, le.Payload), r.commitment) {
			return nil, fmt.Errorf("log entry %d has been altered: it does not match its commitment", r.seq)
		}
		e, err := eventOf(le)
		if err != nil {
			return nil, err
		}
		if e.MessageID != id {
			return nil, fmt.Errorf("log entry %d is filed under another message", r.seq)
		}
		class := dissent.ClassOf(e.Kind)
		if le.Class != dissent.ClassUnknown && le.Class != class {
			return nil, fmt.Errorf("log entry %d has been altered: it is filed under class %d, its kind under %d", r.seq, le.Class, class)
		}
		if len(classes) > 0 && !slices.Contains(classes, class) {
			continue
		}
		if r.actor != nil {
			b, err := t.open(ctx, id, "log_entries", strconv.FormatInt(r.seq, 10), "actor_sealed", r.actor)
			if err != nil {
				return nil, err
			}
			var a sealedActor
			if err := json.Unmarshal(b, &a); err != nil {
				return nil, fmt.Errorf("event %d: decode actor: %w", r.seq, err)
			}
			if !e.Protected {
				return nil, fmt.Errorf("log entry %d has an actor it does not commit to", r.seq)
			}
			e.ActorID, e.ActorEmail, e.ActorSalt = a.ID, a.Email, a.Salt
		} else if e.Protected {
			return nil, fmt.Errorf("log entry %d has lost its actor", r.seq)
		}
		out = append(out, e)
	}
	return out, nil
}

// RecentEvents lists the newest events with sequence below before, newest
// first, without protected actors.
func (t *txn) RecentEvents(ctx context.Context, before int64, limit int) ([]dissent.Event, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	les, err := t.queryEntries(ctx, "list events", int64(limit), `SELECT seq, leaf, message_id, class, commitment, sealed FROM log_entries WHERE seq < $1 ORDER BY seq DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, err
	}
	out := make([]dissent.Event, 0, len(les))
	for _, le := range les {
		e, err := eventOf(le)
		if err != nil {
			return nil, err
		}
		e.Rows = nil
		out = append(out, e)
	}
	return out, nil
}

// rowDigest is the digest of one row's values: SHA-256 over the table's
// name and the row's values as JSON, each as encodeDumpValue renders it
// after strings are taken as bytes and booleans as 0 and 1
// (rowDigestReflect). The rows the service writes hold only NULLs,
// integers, text and blobs; their JSON is written here without
// reflection, byte for byte what json.Marshal gives
// (TestRowDigestFastPath, FuzzRowDigest); any other value takes the
// general path.
func rowDigest(table string, vals []any) (string, error) {
	buf, ok := appendRowJSON(make([]byte, 0, 256), vals)
	if !ok {
		return rowDigestReflect(table, vals)
	}
	return digestRowJSON(table, buf), nil
}

// appendRowJSON appends vals as rowDigestReflect's JSON, or reports false
// if a value is of a kind it does not write.
func appendRowJSON(buf []byte, vals []any) ([]byte, bool) {
	buf = append(buf, '[')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch x := v.(type) {
		case nil:
			buf = append(buf, "null"...)
		case int64:
			buf = strconv.AppendInt(buf, x, 10)
		case int:
			buf = strconv.AppendInt(buf, int64(x), 10)
		case int32:
			buf = strconv.AppendInt(buf, int64(x), 10)
		case bool:
			if x {
				buf = append(buf, '1')
			} else {
				buf = append(buf, '0')
			}
		case string:
			buf = appendB64Object(buf, x)
		case []byte:
			buf = appendB64Object(buf, x)
		default:
			return nil, false
		}
	}
	return append(buf, ']'), true
}

// appendB64Object appends {"b":"<base64>"}; base64's alphabet needs no
// escape in JSON.
func appendB64Object[T string | []byte](buf []byte, b T) []byte {
	buf = append(buf, `{"b":"`...)
	buf = base64.StdEncoding.AppendEncode(buf, []byte(b))
	return append(buf, `"}`...)
}

// rowDigestReflect is rowDigest by encoding/json: the definition.
func rowDigestReflect(table string, vals []any) (string, error) {
	norm := make([]any, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case bool:
			if x {
				v = int64(1)
			} else {
				v = int64(0)
			}
		case string:
			v = []byte(x)
		}
		var err error
		if norm[i], err = encodeDumpValue(v); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(norm)
	if err != nil {
		return "", err
	}
	return digestRowJSON(table, b), nil
}

func digestRowJSON(table string, b []byte) string {
	h := sha256.New()
	h.Write([]byte("dissent row v1\n" + table + "\n"))
	h.Write(b)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// LockLogIntegration takes the right to integrate for the transaction: on
// PostgreSQL a transaction advisory lock, tried without waiting (another
// instance holding it is integrating); on SQLite the one writer has it.
func (t *txn) LockLogIntegration(ctx context.Context) (bool, error) {
	if t.d != Postgres {
		return true, nil
	}
	var got bool
	if err := t.q.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(6962)`).Scan(&got); err != nil {
		return false, fmt.Errorf("lock the log's integration: %w", err)
	}
	return got, nil
}
