package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// Participants as pseudonyms.
//
// A person's rows in the participation tables (messages.drafter_tag,
// message_versions.author_tag, coauthors, invitations, endorsers,
// signatures, notifications) hold Tag(message, person): keyed by message, so
// one person's rows on two messages share no value, and whoever holds the
// database file without the keyring can neither name the person nor link
// their rows across messages.
//
// "The messages I take part in" is found through the participation index:
// entry i of person p lies at Locator(p, i) and names one message. Entries
// are dense (0, 1, …, n-1), so a reader probes p's locators in order until
// one is missing; a removed entry is replaced by the last one. Without the
// key, the entries of one person cannot be told from anyone else's, and the
// table holds no time. An entry says only that the person may relate to the
// message: every fact is then checked on the message's own rows under the
// message's tag.

// tag is the person's pseudonym on one message.
func (t *txn) tag(id dissent.MessageID, p dissent.PersonID) []byte { return t.s.Tag(id, p) }

// dayNS truncates a time to its day in UTC, for the tables that may keep
// no finer time (people and credentials, which name a person in clear, and
// the participation tables, which must not be joined to them).
func dayNS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(24 * time.Hour).UnixNano()
}

// lockLocators serializes changes to the people's participation indexes
// (PostgreSQL; SQLite's writer is one already). The lock's key derives from
// a locator, so it names no one; people are locked in id order.
func (t *txn) lockLocators(ctx context.Context, people []dissent.PersonID) error {
	if t.d != Postgres {
		return nil
	}
	sorted := slices.Clone(people)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	keys := make([]int64, len(sorted))
	for i, p := range sorted {
		keys[i] = int64(binary.BigEndian.Uint64(t.s.Locator(p, -1)))
	}
	slices.Sort(keys)
	// One statement per chunk; the keys in order (a deadlock between two
	// transactions that lock overlapping sets would be retried anyway).
	for start := 0; start < len(keys); start += inChunk {
		chunk := keys[start:min(start+inChunk, len(keys))]
		args := make([]any, len(chunk))
		vals := make([]string, len(chunk))
		for i, k := range chunk {
			args[i] = k
			vals[i] = "($" + itoa(i+1) + "::bigint)"
		}
		if _, err := t.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(k) FROM (VALUES `+strings.Join(vals, ", ")+`) AS v(k)`, args...); err != nil {
			return fmt.Errorf("lock participation index: %w", err)
		}
	}
	return nil
}

// participations reads the participation index of each person: the
// messages of entries 0, 1, … in order. Each round probes a window of every
// unfinished person's next entries in one query (chunked); the window
// doubles from round to round, so a person with n entries costs about
// log2(n) queries, and many people cost no more queries than one.
func (t *txn) participations(ctx context.Context, people []dissent.PersonID) (map[dissent.PersonID][]dissent.MessageID, error) {
	out := make(map[dissent.PersonID][]dissent.MessageID, len(people))
	active := slices.Clone(people)
	slices.Sort(active)
	active = slices.Compact(active)
	for _, p := range active {
		out[p] = nil
	}
	type slot struct {
		p dissent.PersonID
		i int
	}
	for from, window := 0, 4; len(active) > 0; from, window = from+window, min(2*window, 64) {
		found := map[slot]dissent.MessageID{}
		var probes [][]byte
		owner := map[string]slot{}
		for _, p := range active {
			for i := from; i < from+window; i++ {
				l := t.s.Locator(p, i)
				probes = append(probes, l)
				owner[string(l)] = slot{p, i}
			}
		}
		for start := 0; start < len(probes); start += inChunk {
			chunk := probes[start:min(start+inChunk, len(probes))]
			args := make([]any, len(chunk))
			for i, l := range chunk {
				args[i] = l
			}
			rows, err := t.q.QueryContext(ctx, `SELECT locator, message_id FROM participation_index WHERE locator IN (`+placeholders(1, len(chunk))+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("read participation index: %w", err)
			}
			for rows.Next() {
				var l []byte
				var id string
				if err := rows.Scan(&l, &id); err != nil {
					rows.Close()
					return nil, fmt.Errorf("scan participation index: %w", err)
				}
				found[owner[string(l)]] = dissent.MessageID(id)
			}
			if err := closeRows(rows); err != nil {
				return nil, fmt.Errorf("read participation index: %w", err)
			}
		}
		var next []dissent.PersonID
		for _, p := range active {
			i := from
			for ; i < from+window; i++ {
				id, ok := found[slot{p, i}]
				if !ok {
					break
				}
				out[p] = append(out[p], id)
			}
			if i == from+window {
				next = append(next, p)
			}
		}
		active = next
	}
	return out, nil
}

// locate adds the message to the participation index of each person who
// lacks it.
func (t *txn) locate(ctx context.Context, id dissent.MessageID, people ...dissent.PersonID) error {
	if err := t.lockLocators(ctx, people); err != nil {
		return err
	}
	idx, err := t.participations(ctx, people)
	if err != nil {
		return err
	}
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		vals := make([]string, 0, len(args)/2)
		for i := 0; i < len(args); i += 2 {
			vals = append(vals, "($"+itoa(i+1)+", $"+itoa(i+2)+")")
		}
		err := t.exec(ctx, "add to the participation index", `INSERT INTO participation_index (locator, message_id) VALUES `+strings.Join(vals, ", "), args...)
		args = args[:0]
		return err
	}
	for p, ids := range idx {
		if slices.Contains(ids, id) {
			continue
		}
		args = append(args, t.s.Locator(p, len(ids)), string(id))
		if len(args) >= 2*inChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// unlocate removes the message from the person's participation index when
// no row of the message names them any more (as drafter, co-author,
// invitee, endorser or active signer). The last entry takes the place of
// the removed one, so the index stays dense.
func (t *txn) unlocate(ctx context.Context, id dissent.MessageID, p dissent.PersonID) error {
	tag := t.tag(id, p)
	var still bool
	err := t.q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM messages WHERE id = $1 AND drafter_tag = $2)
		OR EXISTS (SELECT 1 FROM coauthors WHERE message_id = $1 AND person_tag = $2)
		OR EXISTS (SELECT 1 FROM invitations WHERE message_id = $1 AND person_tag = $2)
		OR EXISTS (SELECT 1 FROM endorsers WHERE message_id = $1 AND person_tag = $2)
		OR EXISTS (SELECT 1 FROM signatures WHERE message_id = $1 AND signer_tag = $2 AND withdrawn IS NULL)`,
		string(id), tag).Scan(&still)
	if err != nil {
		return fmt.Errorf("read participation: %w", err)
	}
	if still {
		return nil
	}
	if err := t.lockLocators(ctx, []dissent.PersonID{p}); err != nil {
		return err
	}
	idx, err := t.participations(ctx, []dissent.PersonID{p})
	if err != nil {
		return err
	}
	old := idx[p]
	kept := slices.DeleteFunc(slices.Clone(old), func(m dissent.MessageID) bool { return m == id })
	if len(kept) == len(old) {
		return nil
	}
	// Fill each hole from the end.
	fresh := slices.Clone(old)
	for i := 0; i < len(fresh); {
		if fresh[i] != id {
			i++
			continue
		}
		fresh[i] = fresh[len(fresh)-1]
		fresh = fresh[:len(fresh)-1]
	}
	for i, m := range fresh {
		if old[i] != m {
			if err := t.exec(ctx, "move a participation entry", `UPDATE participation_index SET message_id = $1 WHERE locator = $2`, string(m), t.s.Locator(p, i)); err != nil {
				return err
			}
		}
	}
	for i := len(fresh); i < len(old); i++ {
		if err := t.exec(ctx, "remove a participation entry", `DELETE FROM participation_index WHERE locator = $1`, t.s.Locator(p, i)); err != nil {
			return err
		}
	}
	return nil
}

// taggedMessages returns, of the given messages, those where one of the
// tables holds the person's tag for that message. The query's first column
// is a message id; its $1.. parameters are the tags.
func (t *txn) taggedMessages(ctx context.Context, into map[dissent.MessageID]bool, query string, tags [][]byte) error {
	for start := 0; start < len(tags); start += inChunk {
		chunk := tags[start:min(start+inChunk, len(tags))]
		args := make([]any, len(chunk))
		for i, tg := range chunk {
			args[i] = tg
		}
		q := fmt.Sprintf(query, placeholders(1, len(chunk)))
		if err := t.idSet(ctx, into, q, args...); err != nil {
			return err
		}
	}
	return nil
}
