package auditlog

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// CheckNew verifies the entries integrated since its last call (all of them
// on its first): each opens under the log's key and matches its commitment,
// the tree hashes they completed are the ones recomputed from their
// commitments and the hashes before them, every published checkpoint's root
// is the tree's, and every row the new entries recorded is, if no later
// entry changed it, still what they recorded. serve runs it after each
// publication; `dissent verify` is the full check, which also finds edits
// to older rows. It returns the size checked up to.
func (l *Log) CheckNew(ctx context.Context) (int64, error) {
	l.checkMu.Lock()
	defer l.checkMu.Unlock()
	var size int64
	err := l.store.View(ctx, func(tx dissent.Tx) error {
		var err error
		if size, err = tx.LogSize(ctx); err != nil {
			return err
		}
		from := l.checked
		if size <= from {
			return nil
		}
		rows := map[string]dissent.RowDigest{}
		for start := from; start < size; start += verifyChunk {
			end := min(start+verifyChunk, size)
			entries, err := tx.LogEntries(ctx, start, end)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", start, err)
			}
			for _, e := range entries {
				if !bytes.Equal(dissent.EntryCommitment(e.Salt, e.Payload), e.Commitment) {
					return fmt.Errorf("log entry %d has been altered: its sealed content does not match its commitment", e.Leaf)
				}
				rec, err := decodeEntry(e.Payload)
				if err != nil {
					return fmt.Errorf("log entry %d: %w", e.Leaf, err)
				}
				if string(e.Filed) != rec.Message {
					return fmt.Errorf("log entry %d is filed under another message than it records", e.Leaf)
				}
				for _, d := range rec.Rows {
					rows[d.Table+"\x00"+d.Key] = d
				}
				want, err := tlog.StoredHashes(e.Leaf, e.Commitment, reader(ctx, tx))
				if err != nil {
					return fmt.Errorf("log entry %d: %w", e.Leaf, err)
				}
				base := tlog.StoredHashIndex(0, e.Leaf)
				idx := make([]int64, len(want))
				for i := range want {
					idx[i] = base + int64(i)
				}
				got, err := tx.ReadLogHashes(ctx, idx)
				if err != nil {
					return fmt.Errorf("log entry %d: %w", e.Leaf, err)
				}
				for i := range want {
					if got[i] != want[i] {
						return fmt.Errorf("log entry %d has been altered: its stored hash does not match its data", e.Leaf)
					}
				}
			}
		}
		sizes, notes, err := tx.Checkpoints(ctx)
		if err != nil {
			return err
		}
		for i, n := range sizes {
			if n > from || i == len(sizes)-1 {
				if err := l.checkCheckpoint(notes[i], n, size, reader(ctx, tx)); err != nil {
					return fmt.Errorf("checkpoint of size %d: %w", n, err)
				}
			}
		}
		// Rows recorded by the new entries, as they are now. A row a pending
		// entry has changed since is checked next time.
		pending, err := tx.PendingEntries(ctx)
		if err != nil {
			return err
		}
		for _, e := range pending {
			if rec, err := decodeEntry(e.Payload); err == nil {
				for _, d := range rec.Rows {
					delete(rows, d.Table+"\x00"+d.Key)
				}
			}
		}
		// Only the rows the new entries name are read, not every table.
		for _, d := range rows {
			now, err := tx.DigestRow(ctx, d.Table, d.Key)
			if err != nil {
				return err
			}
			if now != d.Digest {
				return fmt.Errorf("table %s, row (%s): the row differs from what the log recorded: it was changed behind the service's back", d.Table, d.Key)
			}
		}
		return nil
	})
	if err != nil {
		return l.checked, err
	}
	l.checked = size
	return size, nil
}
