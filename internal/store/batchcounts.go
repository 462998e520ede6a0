package store

// The SQLite writer's batch remembers, for each message its callers sign or
// withdraw from, the message as LockMessageCounts read it (with the count
// and update time the batch last wrote) and its version's quorums as
// SignatureQuorums read them (with the signatures the batch added since), so
// that the next caller's two reads need no statement: thirty callers signing
// one message in a batch read it once.
//
// A value holds only while the capture hook has seen no write to the two
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

// The tables each cached value is read from: a message's (messages joined
// with message_versions), and its quorums'.
var (
	messageTables = [2]string{"messages", "message_versions"}
	quorumTables  = [2]string{"signatures", "signature_tallies"}
)

// batchValue is a value read in the batch, true for as long as the hook's
// counts of writes to its two tables stay at.
type batchValue[T any] struct {
	v  T
	at [2]uint64
	ok bool
}

// get returns the value if no write to its tables came since it was last
// true (now is the hook's count), and forgets it otherwise.
func (b *batchValue[T]) get(now [2]uint64) (T, bool) {
	if b.ok && b.at == now {
		return b.v, true
	}
	var zero T
	b.v, b.ok = zero, false
	return zero, false
}

func (b *batchValue[T]) set(v T, now [2]uint64) { b.v, b.at, b.ok = v, now, true }

// countsEntry is what the batch knows of one message.
type countsEntry struct {
	msg  batchValue[dissent.Message]
	q    batchValue[dissent.Quorums]
	qVer int // the version q counts
}

// checkCountsCache, set only by tests, makes every use of a cached value
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
	if e == nil {
		return dissent.Message{}, false, nil
	}
	m, ok := e.msg.get(t.capture.writesOf(messageTables))
	if !ok {
		return dissent.Message{}, false, nil
	}
	m = cloneMessage(m)
	t.countStat(func(c *counters) { c.countsHits.Add(1) })
	if checkCountsCache {
		fresh, err := t.loadMessage(ctx, id, readCounts)
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
		e.msg.set(cloneMessage(m), t.capture.writesOf(messageTables))
	}
}

// heldCounts returns the batch's entry for id if its message still holds:
// UpdateMessageCounts asks before it writes, and tells wroteCounts after.
func (t *txn) heldCounts(id dissent.MessageID) *countsEntry {
	if e := t.counted(id); e != nil {
		if _, ok := e.msg.get(t.capture.writesOf(messageTables)); ok {
			return e
		}
	}
	return nil
}

// wroteCounts updates the message heldCounts found after
// UpdateMessageCounts wrote m's count and update time.
func (t *txn) wroteCounts(e *countsEntry, m dissent.Message) {
	if e == nil {
		return
	}
	c := e.msg.v
	c.SignatureCount = m.SignatureCount
	c.Updated = fromNS(sql.NullInt64{Int64: m.Updated.UnixNano(), Valid: !m.Updated.IsZero()})
	e.msg.set(c, t.capture.writesOf(messageTables))
}

// cachedQuorums is SignatureQuorums' answer from the batch's cache, if it
// still holds.
func (t *txn) cachedQuorums(ctx context.Context, id dissent.MessageID, version int) (dissent.Quorums, bool, error) {
	e := t.counted(id)
	if e == nil || e.qVer != version {
		return dissent.Quorums{}, false, nil
	}
	q, ok := e.q.get(t.capture.writesOf(quorumTables))
	if !ok {
		return dissent.Quorums{}, false, nil
	}
	q = cloneQuorums(q)
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
		e.q.set(cloneQuorums(q), t.capture.writesOf(quorumTables))
		e.qVer = version
	}
}

// heldQuorums returns the batch's entry for the message s signs if its
// quorums of s's version still hold: InsertSignature asks before it writes,
// and tells signedCounts after.
func (t *txn) heldQuorums(s dissent.Signature) *countsEntry {
	if e := t.counted(s.MessageID); e != nil && e.qVer == s.Version {
		if _, ok := e.q.get(t.capture.writesOf(quorumTables)); ok {
			return e
		}
	}
	return nil
}

// signedCounts adds s to the quorums heldQuorums found, after
// InsertSignature wrote it.
func (t *txn) signedCounts(e *countsEntry, s dissent.Signature) {
	if e == nil {
		return
	}
	q := e.q.v
	if s.MinCosigners > 0 {
		q.Conditional = append(q.Conditional, s.MinCosigners)
	} else {
		q.Unconditional++
	}
	e.q.set(q, t.capture.writesOf(quorumTables))
}

// forgetCounts empties the batch's cache: a caller's writes were undone.
func (t *txn) forgetCounts() {
	if t.batch != nil {
		t.batch.counts = nil
	}
}
