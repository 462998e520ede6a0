package auditlog

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// Report is what Verify found.
type Report struct {
	Leaves      int64 // integrated entries
	Pending     int64 // entries not yet integrated
	Checkpoints int
	Messages    int
	Rows        int64 // rows of recorded tables checked against the log
	Sealed      int64 // sealed values opened
}

// Progress is told how far verification has come.
type Progress func(done, total int64)

// verifyChunk is how many entries Verify reads at once (a variable only so
// that tests can make a small log span many chunks and both readers).
var verifyChunk int64 = 10_000

// skipRows, set only by tests, turns off the comparison of the tables with
// the rows the log records, to show that the tamper tests depend on it.
var skipRows = false

// Verify checks the whole log and the database against it: it opens every
// entry under the log's key and checks it against its commitment and the
// message and class the database files it under, recomputes
// every leaf and tree hash from the commitments and compares them with the
// stored ones, checks every stored checkpoint (signature and root), the
// checkpoint file outside the database and each checkpoint in against (a
// checkpoint kept elsewhere: the log must extend it, else the data
// directory was rolled back or rewritten), checks that each message's
// entries are in time order, replays the log to check the messages' states
// and signatures, and compares every row of every recorded table with the
// digest the log last recorded for it: an edit, insertion or deletion made
// behind the service's back is named by table and row.
func (l *Log) Verify(ctx context.Context, progress Progress, against ...[]byte) (Report, error) {
	var rep Report
	err := l.store.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		rep.Leaves = size
		// Recompute the tree from the leaves, keeping the hashes in memory.
		mem := make([]tlog.Hash, 0, tlog.StoredHashCount(size))
		memReader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				if x >= int64(len(mem)) {
					return nil, fmt.Errorf("hash %d not yet computed", x)
				}
				out[i] = mem[x]
			}
			return out, nil
		})
		replay := newReplay()
		pending, err := tx.PendingEntries(ctx)
		if err != nil {
			return err
		}
		rep.Pending = int64(len(pending))
		total := size + rep.Pending
		// The stages run side by side: verifyReaders goroutines read the
		// entries (alternate chunks, each in a read transaction of its own;
		// the first uses this one), open them, check them against their
		// commitments and decode them; another reads the stored hashes (a
		// read transaction of its own); this goroutine rebuilds the tree,
		// compares the stored hashes and replays the entries, in order.
		// Integrated entries and their stored hashes never change, so every
		// transaction's snapshot holds the same ones.
		stop := make(chan struct{})
		var readers sync.WaitGroup
		defer readers.Wait()
		defer close(stop)
		var entries [verifyReaders]chan chunk[checkedEntry]
		for j := range entries {
			entries[j] = make(chan chunk[checkedEntry], 1)
			if int64(j)*verifyChunk >= size {
				close(entries[j]) // a small log: no chunk for this reader
				continue
			}
			read := func(rtx dissent.Tx) {
				sendChunks(stop, entries[j], size, j, verifyReaders, func(start, end int64) ([]checkedEntry, error) {
					es, err := rtx.LogEntries(ctx, start, end)
					if err != nil {
						return nil, fmt.Errorf("log entry %d: %w", start, err)
					}
					out := make([]checkedEntry, len(es))
					for i, e := range es {
						out[i].e = e
						out[i].rec, out[i].err = checkEntry(e)
					}
					return out, nil
				})
			}
			readers.Go(func() {
				defer close(entries[j])
				if j == 0 {
					read(tx)
					return
				}
				err := l.store.View(ctx, func(rtx dissent.Tx) error {
					read(rtx)
					return nil
				})
				if err != nil {
					select {
					case entries[j] <- chunk[checkedEntry]{err: err}:
					case <-stop:
					}
				}
			})
		}
		hashes := make(chan chunk[[32]byte], 1)
		readers.Go(func() {
			defer close(hashes)
			err := l.store.View(ctx, func(htx dissent.Tx) error {
				sendChunks(stop, hashes, size, 0, 1, func(start, end int64) ([][32]byte, error) {
					lo, hi := tlog.StoredHashIndex(0, start), tlog.StoredHashCount(end)
					idx := make([]int64, 0, hi-lo)
					for x := lo; x < hi; x++ {
						idx = append(idx, x)
					}
					hs, err := htx.ReadLogHashes(ctx, idx)
					if err != nil {
						return nil, fmt.Errorf("log entries %d to %d: %w", start, end-1, err)
					}
					return hs, nil
				})
				return nil
			})
			if err != nil {
				select {
				case hashes <- chunk[[32]byte]{err: err}:
				case <-stop:
				}
			}
		})
		for c, start := 0, int64(0); start < size; c, start = c+1, start+verifyChunk {
			end := min(start+verifyChunk, size)
			ec, ok := <-entries[c%verifyReaders]
			switch {
			case !ok:
				return fmt.Errorf("log entries %d to %d: not read", start, end-1)
			case ec.err != nil:
				return ec.err
			}
			for _, ce := range ec.items {
				e := ce.e
				if tlog.StoredHashIndex(0, e.Leaf) != int64(len(mem)) {
					return fmt.Errorf("log entry %d: out of order", e.Leaf)
				}
				mem = appendStoredHashes(mem, e.Leaf, e.Commitment)
				if ce.err == nil {
					ce.err = replay.record(e.Leaf, ce.rec)
				}
				if ce.err != nil {
					return fmt.Errorf("log entry %d: %w", e.Leaf, ce.err)
				}
			}
			// Compare the stored hashes of this chunk with the recomputed ones.
			hc, ok := <-hashes
			switch {
			case !ok:
				return fmt.Errorf("log entries %d to %d: stored hashes not read", start, end-1)
			case hc.err != nil:
				return hc.err
			}
			lo := tlog.StoredHashIndex(0, start)
			if int64(len(hc.items)) != int64(len(mem))-lo {
				return fmt.Errorf("log entries %d to %d: %d stored hashes, want %d", start, end-1, len(hc.items), int64(len(mem))-lo)
			}
			for i, h := range hc.items {
				if h != mem[lo+int64(i)] {
					return fmt.Errorf("log entry %d has been altered: its stored hash does not match its data", leafOfStored(lo+int64(i), end))
				}
			}
			if progress != nil {
				progress(end, total)
			}
		}
		// The first reader (this transaction's) is done once its last chunk
		// is taken.
		for range entries[0] {
		}
		for _, e := range pending {
			if err := replay.entry(e); err != nil {
				return fmt.Errorf("log entry (sequence %d, not yet integrated): %w", e.Seq, err)
			}
		}
		sizes, notes, err := tx.Checkpoints(ctx)
		if err != nil {
			return err
		}
		rep.Checkpoints = len(sizes)
		for i, n := range sizes {
			if err := l.checkCheckpoint(notes[i], n, size, memReader); err != nil {
				return fmt.Errorf("checkpoint of size %d: %w", n, err)
			}
		}
		if l.dir != "" {
			b, err := os.ReadFile(filepath.Join(l.dir, CheckpointFile))
			switch {
			case errors.Is(err, os.ErrNotExist):
				if size > 0 && len(sizes) > 0 {
					return fmt.Errorf("the checkpoint file %s is missing", filepath.Join(l.dir, CheckpointFile))
				}
			case err != nil:
				return fmt.Errorf("read checkpoint file: %w", err)
			default:
				if err := l.checkExtends(b, size, memReader); err != nil {
					return fmt.Errorf("checkpoint file: %w", err)
				}
			}
		}
		for i, b := range against {
			if err := l.checkExtends(b, size, memReader); err != nil {
				return fmt.Errorf("checkpoint %d given to check against: %w", i+1, err)
			}
		}
		states, err := tx.MessageStates(ctx)
		if err != nil {
			return err
		}
		rep.Messages = len(states)
		if err := replay.compare(states); err != nil {
			return err
		}
		// Every sealed value is opened on a read transaction of its own,
		// beside the comparison of the tables with the log (each one
		// goroutine): the cores the log's readers used are free again. Its
		// error still comes first, as when the two ran in turn.
		sealed := make(chan error, 1)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		readers.Go(func() {
			sealed <- l.store.View(sctx, func(stx dissent.Tx) (err error) {
				rep.Sealed, err = stx.OpenEverySealed(sctx, nil)
				return err
			})
		})
		var rowsErr error
		if !skipRows {
			rowsErr = tx.RowDigests(ctx, func(d dissent.RowDigest) error {
				rep.Rows++
				return replay.checkRow(d)
			})
			if rowsErr == nil {
				rowsErr = replay.missingRows()
			}
		}
		if err := <-sealed; err != nil {
			return err
		}
		return rowsErr
	})
	return rep, err
}

// appendStoredHashes appends to mem, which holds the stored hashes of
// leaves 0 to n-1, those that leaf n's data adds: what tlog.StoredHashes
// returns (the record hash, then the hash of each subtree it completes),
// computed from mem without the allocations of a HashReader.
func appendStoredHashes(mem []tlog.Hash, n int64, data []byte) []tlog.Hash {
	h := tlog.RecordHash(data)
	mem = append(mem, h)
	for i := 0; n>>uint(i)&1 == 1; i++ {
		h = tlog.NodeHash(mem[tlog.StoredHashIndex(i, n>>uint(i)-1)], h)
		mem = append(mem, h)
	}
	return mem
}

// chunk is one chunk of a log read ahead, or the error that ended the
// reading.
type chunk[T any] struct {
	items []T
	err   error
}

// verifyReaders is how many goroutines (and read transactions) read, open,
// check and decode the entries, taking chunks in turn: the reading is the
// longest of Verify's stages, and split it can share the cores with the
// others.
const verifyReaders = 2

// checkedEntry is an entry read, checked against its commitment and decoded
// (checkEntry), or the error that check found.
type checkedEntry struct {
	e   dissent.LogEntry
	rec dissent.EntryRecord
	err error
}

// sendChunks reads the log's entries 0 to size in chunks of verifyChunk,
// the chunks first, first+stride, first+2×stride, …, and sends them, until
// size, an error or stop.
func sendChunks[T any](stop <-chan struct{}, out chan<- chunk[T], size int64, first, stride int, read func(start, end int64) ([]T, error)) {
	for start := int64(first) * verifyChunk; start < size; start += int64(stride) * verifyChunk {
		items, err := read(start, min(start+verifyChunk, size))
		select {
		case out <- chunk[T]{items: items, err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// checkExtends checks that the log of size entries extends a signed
// checkpoint of it.
func (l *Log) checkExtends(signed []byte, size int64, r tlog.HashReader) error {
	cp, err := l.open(signed)
	if err != nil {
		return err
	}
	if int64(cp.Size) > size {
		return fmt.Errorf("the log has been rolled back or truncated: the checkpoint covers %d entries but the database holds %d", cp.Size, size)
	}
	if err := l.checkCheckpoint(signed, int64(cp.Size), size, r); err != nil {
		return err
	}
	return nil
}

// leafOfStored names the leaf whose append wrote stored hash x (the first
// leaf at or after which it exists), for error messages.
func leafOfStored(x, end int64) int64 {
	for n := int64(0); n < end; n++ {
		if tlog.StoredHashIndex(0, n+1) > x {
			return n
		}
	}
	return end - 1
}

func (l *Log) checkCheckpoint(signed []byte, n, size int64, r tlog.HashReader) error {
	cp, err := l.open(signed)
	if err != nil {
		return err
	}
	if int64(cp.Size) != n {
		return fmt.Errorf("signed size %d differs from its row", cp.Size)
	}
	if n > size {
		return fmt.Errorf("the log has been truncated: checkpoint covers %d entries but the database holds %d", n, size)
	}
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return err
	}
	if !bytes.Equal(root[:], cp.Hash) {
		return fmt.Errorf("root hash differs from the tree recomputed from the entries: an entry below %d was changed", n)
	}
	return nil
}

// timeSlack is how far an entry's time may precede an earlier entry's of the
// same message: a request reads the clock before its transaction runs, and
// concurrent requests (reads of one message take no lock) may be written in
// another order than they read it. The lifecycle's order is checked exactly,
// by the replay's states.
const timeSlack = time.Minute

// replay derives messages' states and signature counts, and the digest of
// every recorded row, from the log.
type replay struct {
	states map[dissent.MessageID]*dissent.MessageState
	first  map[dissent.MessageID]int64 // the entry that last changed each
	last   map[dissent.MessageID]time.Time
	rows   map[string]rowState // table + "\x00" + key
}

type rowState struct {
	digest  [32]byte // the row's SHA-256, when present
	present bool     // false: the last entry recorded the row's deletion
	odd     string   // a digest that is not 64 hex digits, kept as written
	entry   int64    // the entry (leaf index, or -sequence when not integrated) that recorded it
	seen    bool
}

// newRowState keeps a digest as its 32 bytes rather than its 64 hex
// characters: Verify holds one per row of the deployment until the tables
// have been read.
func newRowState(digest string, entry int64) rowState {
	st := rowState{entry: entry, present: digest != ""}
	if st.present {
		if n, err := hex.Decode(st.digest[:], []byte(digest)); err != nil || n != len(st.digest) || hex.EncodeToString(st.digest[:]) != digest {
			st.odd = digest
		}
	}
	return st
}

// matches reports whether the row's digest in the database is the one the
// log recorded.
func (st rowState) matches(digest string) bool {
	if st.odd != "" {
		return st.odd == digest
	}
	return len(digest) == 2*len(st.digest) && hex.EncodeToString(st.digest[:]) == digest
}

func newReplay() *replay {
	return &replay{states: map[dissent.MessageID]*dissent.MessageState{}, first: map[dissent.MessageID]int64{},
		last: map[dissent.MessageID]time.Time{}, rows: map[string]rowState{}}
}

// entry checks one entry against its commitment and applies it.
func (r *replay) entry(e dissent.LogEntry) error {
	rec, err := checkEntry(e)
	if err != nil {
		return err
	}
	n := e.Leaf
	if n < 0 {
		n = -e.Seq
	}
	return r.record(n, rec)
}

// checkEntry checks one entry against its commitment and decodes it. It
// depends on no other entry, so Verify's readers run it.
func checkEntry(e dissent.LogEntry) (dissent.EntryRecord, error) {
	if !bytes.Equal(dissent.EntryCommitment(e.Salt, e.Payload), e.Commitment) {
		return dissent.EntryRecord{}, errors.New("it has been altered: its sealed content does not match its commitment")
	}
	rec, err := decodeEntry(e.Payload)
	if err != nil {
		return rec, err
	}
	if string(e.Filed) != rec.Message {
		return rec, fmt.Errorf("it is filed under message %q in the database but records message %q: moved behind the service's back", e.Filed, rec.Message)
	}
	if rec.V != dissent.EntryVersion {
		return rec, fmt.Errorf("entry format %d", rec.V)
	}
	if c := dissent.ClassOf(rec.Kind); e.Class != dissent.ClassUnknown && e.Class != c {
		return rec, fmt.Errorf("it is filed under class %d in the database but records a %s (class %d): moved behind the service's back, so that a reader of one class would not see it", e.Class, rec.Kind, c)
	}
	return rec, nil
}

// record applies entry n (its leaf index, or -sequence when not integrated),
// checked and decoded by checkEntry.
func (r *replay) record(n int64, rec dissent.EntryRecord) error {
	for _, d := range rec.Rows {
		r.rows[d.Table+"\x00"+d.Key] = newRowState(d.Digest, n)
	}
	return r.apply(n, rec)
}

// decodeEntry parses an entry's payload strictly: no duplicate keys, no
// unknown fields. The store writes the canonical encoding (json.Marshal of
// the record), which dissent.ParseCanonicalEntry reads without reflection; a payload
// equal to its record's re-encoding cannot hold a key twice, so the slower
// token-by-token duplicate check runs only for a payload that is not
// canonical: the same payloads are accepted, faster.
func decodeEntry(payload []byte) (dissent.EntryRecord, error) {
	if rec, ok := dissent.ParseCanonicalEntry(payload); ok && rec.V == dissent.EntryVersion {
		return rec, nil
	}
	var rec dissent.EntryRecord
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	derr := dec.Decode(&rec)
	if derr == nil && rec.V != dissent.EntryVersion {
		return rec, fmt.Errorf("entry format %d", rec.V)
	}
	if derr == nil {
		if canon, err := json.Marshal(rec); err == nil && bytes.Equal(canon, payload) {
			return rec, nil
		}
	}
	if err := noDuplicateKeys(payload); err != nil {
		return rec, err
	}
	if derr != nil {
		return rec, fmt.Errorf("not a log record: %w", derr)
	}
	return rec, nil
}

// checkRow compares a row of the database with the log.
func (r *replay) checkRow(d dissent.RowDigest) error {
	k := d.Table + "\x00" + d.Key
	st, ok := r.rows[k]
	key := strings.ReplaceAll(d.Key, "\x1f", ", ")
	switch {
	case !ok || !st.present:
		return fmt.Errorf("table %s, row (%s): the row is not in the log: it was inserted behind the service's back", d.Table, key)
	case !st.matches(d.Digest):
		return fmt.Errorf("table %s, row (%s): the row differs from what the log recorded (entry %d): it was edited behind the service's back", d.Table, key, st.entry)
	}
	st.seen = true
	r.rows[k] = st
	return nil
}

// missingRows reports a row the log holds that the database lacks.
func (r *replay) missingRows() error {
	keys := make([]string, 0)
	for k, st := range r.rows {
		if st.present && !st.seen {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	table, key, _ := strings.Cut(keys[0], "\x00")
	return fmt.Errorf("table %s, row (%s): the log recorded the row (entry %d) but the database lacks it: it was deleted behind the service's back (%d rows missing)",
		table, strings.ReplaceAll(key, "\x1f", ", "), r.rows[keys[0]].entry, len(keys))
}

func (r *replay) apply(n int64, e dissent.EntryRecord) error {
	if e.Message == "" {
		return nil
	}
	at, err := time.Parse(time.RFC3339Nano, e.At)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	last, ok := r.last[dissent.MessageID(e.Message)]
	if ok && at.Before(last.Add(-timeSlack)) {
		return fmt.Errorf("time %s is before the message's previous entry (%s): the log's times go backwards", e.At, last.Format(time.RFC3339Nano))
	}
	if !ok || at.After(last) {
		r.last[dissent.MessageID(e.Message)] = at
	}
	id := dissent.MessageID(e.Message)
	st := r.states[id]
	if st == nil {
		if e.Kind != "message.created" {
			return fmt.Errorf("%s of message %s before its creation", e.Kind, id)
		}
		st = &dissent.MessageState{Signatures: map[int]int{}}
		r.states[id] = st
	}
	version := func() int {
		f := strings.Fields(e.Detail)
		if len(f) >= 2 && f[0] == "version" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
		return 0
	}
	changed := true
	switch e.Kind {
	case "message.created":
		st.State, st.Version = dissent.StateDraft, 1
		st.Signatures[1]++
	case "message.edited":
		if v := version(); v > st.Version {
			st.Version = v
			st.Signatures[v]++
		}
	case "message.invited":
		if st.State == dissent.StateDraft {
			st.State = dissent.StateCirculating
		}
	case "signature.added":
		st.Signatures[version()]++
	case "signature.withdrawn":
		for _, f := range strings.Fields(strings.TrimPrefix(e.Detail, "versions")) {
			v, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("signature.withdrawn with detail %q", e.Detail)
			}
			st.Signatures[v]--
		}
	case "message.submitted":
		if st.State != dissent.StateDraft && st.State != dissent.StateCirculating {
			return fmt.Errorf("message %s submitted while %s", id, st.State)
		}
		st.State = dissent.StateSubmitted
	case "message.acknowledged":
		if st.State != dissent.StateSubmitted {
			return fmt.Errorf("message %s acknowledged while %s", id, st.State)
		}
		st.State = dissent.StateAcknowledged
	case "message.reopened":
		st.State = dissent.StateAcknowledged
	case "reply.approved":
		st.State = dissent.StateReplied
	case "reply.drafted":
		if strings.HasSuffix(e.Detail, " sent") {
			st.State = dissent.StateReplied
		}
	case "message.closed":
		st.State = dissent.StateClosed
	case "message.withdrawn":
		st.State = dissent.StateWithdrawn
	case "message.redirected":
		st.State = dissent.StateRedirected
	default:
		changed = false
	}
	if changed {
		r.first[id] = n
	}
	return nil
}

// compare checks the database against the replay, naming the first
// disagreement in message order.
func (r *replay) compare(db map[dissent.MessageID]dissent.MessageState) error {
	ids := make([]dissent.MessageID, 0, len(db)+len(r.states))
	for id := range db {
		ids = append(ids, id)
	}
	for id := range r.states {
		if _, ok := db[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		got, inDB := db[id]
		want, inLog := r.states[id]
		switch {
		case !inLog:
			return fmt.Errorf("message %s is in the database but not in the log", id)
		case !inDB:
			return fmt.Errorf("message %s is in the log (last at entry %d) but not in the database", id, r.first[id])
		case got.State != want.State || got.Version != want.Version:
			return fmt.Errorf("message %s: the database says %s version %d, the log (entry %d) says %s version %d",
				id, got.State, got.Version, r.first[id], want.State, want.Version)
		}
		for v := 1; v <= max(got.Version, want.Version); v++ {
			if got.Signatures[v] != want.Signatures[v] {
				return fmt.Errorf("message %s version %d: the database holds %d active signatures, the log records %d",
					id, v, got.Signatures[v], want.Signatures[v])
			}
		}
	}
	return nil
}
