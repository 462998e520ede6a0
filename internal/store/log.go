package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// LogSize is the number of leaves in the Merkle log.
func (t *txn) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := t.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM log_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read log size: %w", err)
	}
	return n, nil
}

// appendLeaf stores leaf n and the tree hashes it completes (RFC 6962,
// golang.org/x/mod/sumdb/tlog's stored-hash layout).
func (t *txn) appendLeaf(ctx context.Context, n int64, data []byte) error {
	hashes, err := tlog.StoredHashes(n, data, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		return t.readHashes(ctx, idx)
	}))
	if err != nil {
		return fmt.Errorf("append to log: %w", err)
	}
	if err := t.exec(ctx, "append leaf", `INSERT INTO log_leaves (idx, data) VALUES ($1, $2)`, n, data); err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if err := t.exec(ctx, "append hash", `INSERT INTO log_hashes (idx, hash) VALUES ($1, $2)`, base+int64(i), h[:]); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) readHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
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

func (t *txn) readHashChunk(ctx context.Context, indexes []int64, out []tlog.Hash) error {
	pos := make(map[int64][]int, len(indexes))
	args := make([]any, 0, len(indexes))
	ph := make([]string, 0, len(indexes))
	for i, x := range indexes {
		if _, ok := pos[x]; !ok {
			args = append(args, x)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		pos[x] = append(pos[x], i)
	}
	rows, err := t.q.QueryContext(ctx, `SELECT idx, hash FROM log_hashes WHERE idx IN (`+strings.Join(ph, ",")+`)`, args...)
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

// LogLeaves returns the data of leaves [start, end).
func (t *txn) LogLeaves(ctx context.Context, start, end int64) ([][]byte, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT idx, data FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, end)
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
