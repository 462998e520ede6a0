package store

// The SQLite writer's batch remembers, for each message its callers sign or
// withdraw from, the message as LockMessageCounts read it (with the count
// and update time the batch last wrote) and its version's quorums as
// SignatureQuorums read them (with the signatures the batch added since), so
// that the next caller's two reads need no statement: thirty callers signing
// one message in a batch read it once.
//
// An entry holds only while the capture hook has seen no write to the
// tables it was read from, other than the batch's own writes that updated
// it as they wrote (UpdateMessageCounts, InsertSignature): any other write,
// by any statement of any caller, makes the next caller read afresh. A
// caller rolled back to its savepoint empties the cache, since its writes
// are undone and the hook's counts are not. PostgreSQL's transactions serve
// one caller each and keep no such cache.

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"

	"github.com/dissent-channel/dissent"
)

// countsTables are the tables a cached entry is read from: the message's
// (messages joined with message_versions), then its quorums'.
var countsTables = [4]string{"messages", "message_versions", "signatures", "signature_tallies"}

// countsEntry is what the batch knows of one message.
type countsEntry struct {
	msg    dissent.Message
	msgAt  [2]uint64 // the hook's writes to messages and message_versions when msg was last true
	hasMsg bool
	q      dissent.Quorums
	qVer   int
	qAt    [2]uint64 // its writes to signatures and signature_tallies when q was last true
	hasQ   bool
}

// checkCountsCache, set only by tests, makes every use of a cached entry
// read the database too and fail on a difference.
var checkCountsCache bool

// counted returns the batch's entry for id, made if need be; nil outside
// the SQLite writer's batch.
func (t *txn) counted(id dissent.MessageID) *countsEntry {
	if t.batch == nil || t.capture == nil {
		return nil
	}
	if t.batch.counts == nil {
		t.batch.counts = map[dissent.MessageID]*countsEntry{}
	}
	e := t.batch.counts[id]
	if e == nil {
		e = &countsEntry{}
		t.batch.counts[id] = e
	}
	return e
}

// countsWrites returns the hook's count of written rows of countsTables.
func (t *txn) countsWrites() (msg, q [2]uint64) {
	w := t.capture.writesOf(countsTables[:])
	return [2]uint64{w[0], w[1]}, [2]uint64{w[2], w[3]}
}

func cloneMessage(m dissent.Message) dissent.Message {
	m.Related, m.Attachments = slices.Clone(m.Related), slices.Clone(m.Attachments)
	return m
}

func cloneQuorums(q dissent.Quorums) dissent.Quorums {
	q.Conditional = slices.Clone(q.Conditional)
	return q
}

// cachedCounts is LockMessageCounts' message from the batch's cache, if it
// still holds.
func (t *txn) cachedCounts(ctx context.Context, id dissent.MessageID) (dissent.Message, bool, error) {
	e := t.counted(id)
	if e == nil || !e.hasMsg {
		return dissent.Message{}, false, nil
	}
	if msg, _ := t.countsWrites(); msg != e.msgAt {
		e.hasMsg = false
		return dissent.Message{}, false, nil
	}
	m := cloneMessage(e.msg)
	t.countStat(func(c *counters) { c.countsHits.Add(1) })
	if checkCountsCache {
		fresh, err := t.loadMessageCols(ctx, id, messageCountCols, t.unsealDrafter)
		if err != nil {
			return dissent.Message{}, false, err
		}
		if !reflect.DeepEqual(fresh, m) {
			return dissent.Message{}, false, fmt.Errorf("the batch's cached message %s differs from the database's: %+v, not %+v", id, m, fresh)
		}
	}
	return m, true, nil
}

// keepCounts remembers a message LockMessageCounts read.
func (t *txn) keepCounts(m dissent.Message) {
	if e := t.counted(m.ID); e != nil {
		e.msg, e.hasMsg = cloneMessage(m), true
		e.msgAt, _ = t.countsWrites()
	}
}

// wroteCounts updates the cached message after UpdateMessageCounts wrote
// m's count and update time (before is the hook's count before it wrote):
// the cache holds on only if nothing else wrote in between.
func (t *txn) wroteCounts(m dissent.Message, before [2]uint64) {
	e := t.counted(m.ID)
	if e == nil || !e.hasMsg {
		return
	}
	if e.msgAt != before {
		e.hasMsg = false
		return
	}
	e.msg.SignatureCount = m.SignatureCount
	e.msg.Updated = fromNS(sql.NullInt64{Int64: m.Updated.UnixNano(), Valid: !m.Updated.IsZero()})
	e.msgAt, _ = t.countsWrites()
}

// cachedQuorums is SignatureQuorums' answer from the batch's cache, if it
// still holds.
func (t *txn) cachedQuorums(ctx context.Context, id dissent.MessageID, version int) (dissent.Quorums, bool, error) {
	e := t.counted(id)
	if e == nil || !e.hasQ || e.qVer != version {
		return dissent.Quorums{}, false, nil
	}
	if _, q := t.countsWrites(); q != e.qAt {
		e.hasQ = false
		return dissent.Quorums{}, false, nil
	}
	q := cloneQuorums(e.q)
	if checkCountsCache {
		fresh, err := t.readQuorums(ctx, id, version)
		if err != nil {
			return dissent.Quorums{}, false, err
		}
		a, b := slices.Sorted(slices.Values(fresh.Conditional)), slices.Sorted(slices.Values(q.Conditional))
		if fresh.Unconditional != q.Unconditional || !slices.Equal(a, b) {
			return dissent.Quorums{}, false, fmt.Errorf("the batch's cached quorums of message %s version %d differ from the database's: %+v, not %+v", id, version, q, fresh)
		}
	}
	return q, true, nil
}

// keepQuorums remembers the quorums SignatureQuorums read.
func (t *txn) keepQuorums(id dissent.MessageID, version int, q dissent.Quorums) {
	if e := t.counted(id); e != nil {
		e.q, e.qVer, e.hasQ = cloneQuorums(q), version, true
		_, e.qAt = t.countsWrites()
	}
}

// signedCounts updates the cached quorums after InsertSignature added s
// (before is the hook's count before it wrote).
func (t *txn) signedCounts(s dissent.Signature, before [2]uint64) {
	e := t.counted(s.MessageID)
	if e == nil || !e.hasQ {
		return
	}
	if e.qVer != s.Version || e.qAt != before {
		e.hasQ = false
		return
	}
	if s.MinCosigners > 0 {
		e.q.Conditional = append(e.q.Conditional, s.MinCosigners)
	} else {
		e.q.Unconditional++
	}
	_, e.qAt = t.countsWrites()
}

// forgetCounts empties the batch's cache: a caller's writes were undone.
func (t *txn) forgetCounts() {
	if t.batch != nil {
		t.batch.counts = nil
	}
}
