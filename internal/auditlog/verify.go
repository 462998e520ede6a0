package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// Report is what Verify found.
type Report struct {
	Leaves      int64
	Checkpoints int
	Messages    int
}

// Progress is told how far verification has come.
type Progress func(done, total int64)

// verifyChunk is how many leaves Verify reads at once.
const verifyChunk = 10_000

// Verify checks the whole log: it recomputes every leaf hash and tree hash
// and compares them with the stored ones, checks every stored checkpoint
// (signature and root), checks the checkpoint file outside the database
// (a truncated or rewritten log is caught against it), and replays the log
// to check that the database's messages and signatures are what the log
// says. It names the first bad entry.
func (l *Log) Verify(ctx context.Context, progress Progress) (Report, error) {
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
		for start := int64(0); start < size; start += verifyChunk {
			end := min(start+verifyChunk, size)
			leaves, err := tx.LogLeaves(ctx, start, end)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", start, err)
			}
			for i, data := range leaves {
				n := start + int64(i)
				hs, err := tlog.StoredHashes(n, data, memReader)
				if err != nil {
					return fmt.Errorf("log entry %d: %w", n, err)
				}
				mem = append(mem, hs...)
				if err := replay.apply(n, data); err != nil {
					return fmt.Errorf("log entry %d: %w", n, err)
				}
			}
			// Compare the stored hashes of this chunk with the recomputed ones.
			lo, hi := tlog.StoredHashIndex(0, start), int64(len(mem))
			idx := make([]int64, 0, hi-lo)
			for x := lo; x < hi; x++ {
				idx = append(idx, x)
			}
			stored, err := tx.ReadLogHashes(ctx, idx)
			if err != nil {
				return fmt.Errorf("log entries %d to %d: %w", start, end-1, err)
			}
			for i, h := range stored {
				if h != mem[idx[i]] {
					return fmt.Errorf("log entry %d has been altered: its stored hash does not match its data", leafOfStored(idx[i], end))
				}
			}
			if progress != nil {
				progress(end, size)
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
				cp, err := l.open(b)
				if err != nil {
					return fmt.Errorf("checkpoint file: %w", err)
				}
				if int64(cp.Size) > size {
					return fmt.Errorf("the log has been truncated: the checkpoint outside the database covers %d entries but the database holds %d", cp.Size, size)
				}
				if err := l.checkCheckpoint(b, int64(cp.Size), size, memReader); err != nil {
					return fmt.Errorf("checkpoint file: %w", err)
				}
			}
		}
		states, err := tx.MessageStates(ctx)
		if err != nil {
			return err
		}
		rep.Messages = len(states)
		return replay.compare(states)
	})
	return rep, err
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

// replay derives messages' states and signature counts from the log.
type replay struct {
	states map[dissent.MessageID]*dissent.MessageState
	first  map[dissent.MessageID]int64 // the entry that last changed each
}

func newReplay() *replay {
	return &replay{states: map[dissent.MessageID]*dissent.MessageState{}, first: map[dissent.MessageID]int64{}}
}

func (r *replay) apply(n int64, data []byte) error {
	var e dissent.LeafRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("not a log record: %w", err)
	}
	if e.Index != n {
		return fmt.Errorf("records index %d", e.Index)
	}
	if e.Message == "" {
		return nil
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
		st.State = dissent.StateSubmitted
	case "message.acknowledged", "message.reopened":
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
