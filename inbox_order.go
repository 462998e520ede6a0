package dissent

import (
	"context"
	"slices"
	"time"
)

// The inbox's default order (compareUrgency) is the same for every reader:
// each reader then only leaves out the messages they may not see. The
// Service keeps it per set of states (orderCache), as the statistics
// (statsCache): it answers in a transaction that reads the same metadata
// version, or a later one whose changed messages are then put back in their
// place; on the same civil date in the office's zone; before the first
// deadline that would change an urgency; for the same calendar.

// urgencyOrder is the submitted messages of some states, most urgent first,
// with their urgencies at an instant. Immutable once in the cache.
type urgencyOrder struct {
	key      orderKey
	version  int64
	day      int       // yyyymmdd in the office's zone
	at, next time.Time // the urgencies hold for now in [at, next); next zero: no end
	snap     MetaSnapshot
	items    []orderItem
}

type orderItem struct {
	pos int32 // in snap
	u   Urgency
}

type orderKey struct {
	states string
	calendarKey
}

type orderCache struct {
	recent[orderKey, *urgencyOrder]
}

// orderCacheMax is how many sets of states the cache keeps.
const orderCacheMax = 4

func (c *orderCache) lookup(k orderKey) *urgencyOrder {
	e, _ := c.recent.get(k)
	return e
}

func (c *orderCache) put(e *urgencyOrder) {
	c.recent.put(e.key, e, orderCacheMax, func(kept *urgencyOrder) bool { return kept.version > e.version })
}

// get returns the order of snap's messages in the states (every state when
// empty) at now.
func (c *orderCache) get(ctx context.Context, tx Tx, k orderKey, snap MetaSnapshot, states []State, cal Calendar, loc *time.Location, now time.Time) (*urgencyOrder, error) {
	day := officeDay(now, loc)
	e := c.lookup(k)
	if e != nil && keptHolds(e.day, e.at, e.next, day, now) {
		switch {
		case e.version == snap.Version:
			return e, nil
		case e.version < snap.Version:
			ids, ok, err := tx.MetaChanges(ctx, e.version, snap.Version)
			if err != nil {
				return nil, err
			}
			if ok && len(ids) <= statsRecountMax {
				if o, ok := e.update(snap, ids, states, cal, now); ok {
					c.put(o)
					return o, nil
				}
			}
		}
	}
	o := &urgencyOrder{key: k, version: snap.Version, day: day, at: now, snap: snap}
	for i := range snap.Len() {
		m := snap.Row(i)
		if len(states) > 0 && !slices.Contains(states, m.State) {
			continue
		}
		o.items = append(o.items, orderItem{int32(i), o.urgency(cal, m, now)})
	}
	slices.SortFunc(o.items, func(x, y orderItem) int { return compareUrgency(snap.Row(int(x.pos)), x.u, snap.Row(int(y.pos)), y.u) })
	c.put(o)
	return o, nil
}

// urgency returns m's urgency at now, noting when it would change.
func (o *urgencyOrder) urgency(cal Calendar, m *MessageMeta, now time.Time) Urgency {
	if due := urgencyDue(*m); !due.IsZero() && !now.After(due) {
		if turn := due.Add(time.Nanosecond); o.next.IsZero() || turn.Before(o.next) {
			o.next = turn
		}
	}
	return urgencyOf(cal, *m, now)
}

// update returns the order at snap, a later version where the messages ids
// changed: theirs taken out, and put back in their place at now. It reports
// false when a message's place in snap cannot be found.
func (e *urgencyOrder) update(snap MetaSnapshot, ids []MessageID, states []State, cal Calendar, now time.Time) (*urgencyOrder, bool) {
	o := &urgencyOrder{key: e.key, version: snap.Version, day: e.day, at: now, next: e.next, snap: snap}
	changed := make(map[int32]bool, len(ids)) // the changed messages' places in e.snap
	for _, id := range ids {
		if i, ok := e.snap.Index[id]; ok {
			changed[int32(i)] = true
		}
	}
	o.items = make([]orderItem, 0, len(e.items)+len(ids))
	for _, it := range e.items {
		if changed[it.pos] {
			continue
		}
		id := e.snap.Row(int(it.pos)).ID
		// The store keeps a message's place from version to version; look
		// it up when it moved.
		if int(it.pos) >= snap.Len() || snap.Row(int(it.pos)).ID != id {
			i, ok := snap.Index[id]
			if !ok {
				return nil, false
			}
			it.pos = int32(i)
		}
		o.items = append(o.items, it)
	}
	for _, id := range ids {
		i, ok := snap.Index[id]
		if !ok {
			continue
		}
		m := snap.Row(i)
		if len(states) > 0 && !slices.Contains(states, m.State) {
			continue
		}
		it := orderItem{int32(i), o.urgency(cal, m, now)}
		at, _ := slices.BinarySearchFunc(o.items, it, func(x, y orderItem) int {
			return compareUrgency(snap.Row(int(x.pos)), x.u, snap.Row(int(y.pos)), y.u)
		})
		o.items = slices.Insert(o.items, at, it)
	}
	return o, true
}
