package dissent

import (
	"context"
	"strconv"
	"time"
)

// The deadline sweeper's use case. Sweep is run periodically, on every
// instance, by a runner that owns it (internal/deadline.Sweeper); it may run
// on several instances at once and as often as anyone likes: each thing it
// tells is recorded under a unique key (message, key) in the same
// transaction as the notifications that tell it, so it is told exactly once
// however many sweeps see it.
//
// Reminders are measured in working time. The acknowledgement period is the
// DefaultAckDays working days after the day of submission, the reply period
// the message's ReplyDays working days; "p % of the period" is the instant
// PeriodMark gives. At each sweep, a period that has passed a mark whose
// reminder was not told yet gets the reminder of the LATEST mark passed; the
// earlier marks it overtook are recorded as told without a notification (a
// sweeper that was down for days sends "overdue", not three messages at
// once). A reminder already told is not told again when an extension moves
// the marks.

// ReminderPercents are the marks of each period at which the handlers are
// reminded; at 100 % the message is overdue and escalated.
var ReminderPercents = []int{50, 80, 100}

// PeriodMark returns the instant at which pct percent of a period of n
// working days, begun at start, has passed, in working time on cal.
//
// The period is the n whole working days after the day of start (the day of
// start never counts, as for deadlines); each working day counts as its
// whole civil day in the calendar's zone, and other days do not count. With
// k = ⌊pct·n/100⌋ whole days and a remainder r = pct·n/100 − k, the mark is
// the end of the k-th working day when r = 0, and otherwise the instant a
// fraction r into the (k+1)-th working day (by the clock of that day, so a
// day with a daylight-saving change is shared out as it is long). Thus 100 %
// is the deadline itself (Calendar.Due(start, n)); 50 % of 2 days is the end
// of the first working day; 80 % of 2 days is 14:24 on the second.
func PeriodMark(cal Calendar, start time.Time, n, pct int) time.Time {
	if n <= 0 || pct <= 0 {
		return start
	}
	whole, rem := pct*n/100, pct*n%100
	if rem == 0 {
		return cal.Due(start, whole)
	}
	end := cal.Due(start, whole+1)
	y, mo, d := end.Date()
	dayStart := time.Date(y, mo, d, 0, 0, 0, 0, end.Location())
	dayLen := end.Add(time.Nanosecond).Sub(dayStart) // Due gives the day's last instant
	return dayStart.Add(dayLen / 100 * time.Duration(rem))
}

// SweepResult counts what one sweep told.
type SweepResult struct {
	Reminders     int // reminders and overdue escalations told (by key)
	Quorums       int // conditional signatures whose quorum was met, told
	Expired       int // consultations that expired, told
	Notifications int // notifications stored for all of them
}

// Told is how many keys the sweep recorded and told.
func (r SweepResult) Told() int { return r.Reminders + r.Quorums + r.Expired }

// sweepItem is one thing a sweep may tell about one message.
type sweepItem struct {
	key     string // unique per message: recorded once
	kind    string // the notification kind; "" records the key silently
	people  []PersonID
	handler bool // the recipients are the message's handlers (and the escalation chain when overdue)
	overdue bool
}

// Sweep tells everything due at now: reminders at 50 %, 80 % and 100 % of
// the acknowledgement and reply periods to the assigned officers (every
// officer when none is assigned), the overdue escalation at 100 % to the
// directors and compliance monitors too, met quorums of conditional
// signatures to their signers, and expired consultations to the officer who
// asked and to the reviewer. People recused from a message are never told
// about it. Each message is handled in a transaction of its own.
func (s *Service) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	var msgs []Message
	var expired []Consultation
	var cal Calendar
	conditional := map[MessageID]bool{}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if msgs, err = tx.SweepMessages(ctx); err != nil {
			return err
		}
		ids, err := tx.ConditionalMessages(ctx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			conditional[id] = true
		}
		if expired, err = tx.ExpiredConsultations(ctx, now); err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		cal, err = s.officeCalendar(ctx, tx)
		return err
	})
	if err != nil {
		return res, err
	}
	for _, m := range msgs {
		items := periodItems(cal, m, now)
		// Signatures freeze at submission, so a quorum is met, if ever, by
		// then; a submitted message is looked at once more in case the
		// last signature met one since the previous sweep.
		if conditional[m.ID] {
			q, err := s.quorumItems(ctx, m)
			if err != nil {
				return res, err
			}
			items = append(items, q...)
		}
		if len(items) == 0 {
			continue
		}
		if err := s.tell(ctx, m.ID, items, now, &res); err != nil {
			return res, err
		}
	}
	for _, c := range expired {
		items := []sweepItem{{key: "consultation.expired/" + strconv.FormatInt(c.ID, 10), kind: NoteConsultExpired, people: []PersonID{c.RequestBy, c.ReviewerID}}}
		if err := s.tell(ctx, c.MessageID, items, now, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// periodItems are the reminders of a message's open periods that are due.
func periodItems(cal Calendar, m Message, now time.Time) []sweepItem {
	if m.SubmittedAt.IsZero() || cal == nil {
		return nil
	}
	var items []sweepItem
	period := func(name string, days int, open bool) {
		if !open {
			return
		}
		latest := -1
		for i, pct := range ReminderPercents {
			mark := PeriodMark(cal, m.SubmittedAt, days, pct)
			if pct == 100 && now.After(mark) || pct < 100 && !now.Before(mark) {
				latest = i
			}
		}
		for i := 0; i <= latest; i++ {
			pct := ReminderPercents[i]
			it := sweepItem{key: "reminder." + name + "." + strconv.Itoa(pct), handler: true}
			if pct == 100 {
				it.key, it.overdue = "overdue."+name, true
			}
			if i == latest {
				it.kind = it.key
			}
			items = append(items, it)
		}
	}
	period("acknowledge", DefaultAckDays, m.State == StateSubmitted)
	period("reply", m.ReplyDays, m.State == StateSubmitted || m.State == StateAcknowledged)
	return items
}

// quorumItems are the conditional signatures on the current version whose
// quorum is met.
func (s *Service) quorumItems(ctx context.Context, m Message) ([]sweepItem, error) {
	var items []sweepItem
	err := s.store.View(ctx, func(tx Tx) error {
		cs, err := tx.ConditionalSignatures(ctx, m.ID, m.Version)
		if err != nil || len(cs) == 0 {
			return err
		}
		mins, err := tx.SignatureMinimums(ctx, m.ID, m.Version)
		if err != nil {
			return err
		}
		th := QuorumThreshold(mins)
		for _, c := range cs {
			if c.MinCosigners <= th {
				items = append(items, sweepItem{key: "quorum.met/" + strconv.FormatInt(c.Ref, 10), kind: NoteQuorumMet, people: []PersonID{c.PersonID}})
			}
		}
		return nil
	})
	return items, err
}

// tell records each item's key and, for the keys it is first to record,
// stores the notifications, all in one transaction.
func (s *Service) tell(ctx context.Context, id MessageID, items []sweepItem, now time.Time, res *SweepResult) error {
	var r SweepResult
	err := s.store.Update(ctx, func(tx Tx) error {
		r = SweepResult{}
		var m Message
		for _, it := range items {
			first, err := tx.RecordReminder(ctx, id, it.key, now)
			if err != nil {
				return err
			}
			if !first || it.kind == "" {
				continue
			}
			people := it.people
			if it.handler {
				if m.ID == "" {
					if m, err = tx.Message(ctx, id); err != nil {
						return err
					}
				}
				if people, err = s.handlers(ctx, tx, m, it.overdue, now); err != nil {
					return err
				}
				if err := tx.AppendEvent(ctx, Event{At: now.UTC(), Kind: "deadline.reminder", MessageID: id, Detail: it.key}); err != nil {
					return err
				}
				r.Reminders++
			} else if it.kind == NoteQuorumMet {
				r.Quorums++
			} else {
				r.Expired++
			}
			if err := s.notify(ctx, tx, it.kind, id, people...); err != nil {
				return err
			}
			r.Notifications += len(people)
		}
		return nil
	})
	if err == nil {
		res.Reminders += r.Reminders
		res.Quorums += r.Quorums
		res.Expired += r.Expired
		res.Notifications += r.Notifications
	}
	return err
}

// handlers are the people a deadline reminder goes to: the assigned
// officers, or every officer when none is assigned; when overdue, also every
// director and compliance monitor. Whoever may not see the message (the
// recused) is left out.
func (s *Service) handlers(ctx context.Context, tx Tx, m Message, overdue bool, now time.Time) ([]PersonID, error) {
	cand, err := tx.Assignees(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	if len(cand) == 0 {
		if cand, err = tx.RoleHolders(ctx, RoleOfficer); err != nil {
			return nil, err
		}
	}
	if overdue {
		for _, r := range []Role{RoleDirector, RoleMonitor} {
			more, err := tx.RoleHolders(ctx, r)
			if err != nil {
				return nil, err
			}
			cand = append(cand, more...)
		}
	}
	out := make([]PersonID, 0, len(cand))
	seen := make(map[PersonID]bool, len(cand))
	for _, id := range cand {
		if seen[id] {
			continue
		}
		seen[id] = true
		p, err := tx.Person(ctx, id)
		if err != nil {
			return nil, err
		}
		f, err := s.facts(ctx, tx, Actor{Person: p}, m, now)
		if err != nil {
			return nil, err
		}
		if Decide(p.Roles, ActSee, f) {
			out = append(out, id)
		}
	}
	return out, nil
}
