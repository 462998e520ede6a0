package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// jobTests are the cases of dissent.JobTx, run by Run.
var jobTests = []struct {
	name string
	fn   func(*testing.T, dissent.Store)
}{
	{"Leases", testLeases},
	{"ConcurrentLeases", testConcurrentLeases},
	{"Reminders", testReminders},
	{"Notifications", testNotifications},
	{"Outbox", testOutbox},
	{"ConcurrentOutbox", testConcurrentOutbox},
	{"SweepReads", testSweepReads},
}

// testLeases: a free lease is taken; another holder cannot take it until it
// expires; its holder renews it; a released lease is free at once.
func testLeases(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	acquire := func(holder string, now time.Time) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx dissent.Tx) error {
			var err error
			ok, err = tx.AcquireLease(ctx, "sweeper", holder, now, now.Add(time.Minute))
			return err
		})
		return ok
	}
	holder := func(now time.Time) string {
		t.Helper()
		var h string
		view(t, s, func(tx dissent.Tx) error {
			var err error
			h, err = tx.LeaseHolder(ctx, "sweeper", now)
			return err
		})
		return h
	}
	steps := []struct {
		holder string
		at     time.Duration
		want   bool
		owner  string
	}{
		{"a", 0, true, "a"},
		{"b", 30 * time.Second, false, "a"},
		{"a", 50 * time.Second, true, "a"},  // renewed: now until 1m50s
		{"b", 70 * time.Second, false, "a"}, // would have expired without the renewal
		{"b", 110 * time.Second, true, "b"}, // expired: taken over
		{"a", 111 * time.Second, false, "b"},
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		if got := acquire(st.holder, now); got != st.want {
			t.Errorf("step %d: AcquireLease(%s, +%v) = %v; want %v", i, st.holder, st.at, got, st.want)
		}
		if got := holder(now); got != st.owner {
			t.Errorf("step %d: LeaseHolder(+%v) = %q; want %q", i, st.at, got, st.owner)
		}
	}
	now := t0.Add(112 * time.Second)
	update(t, s, func(tx dissent.Tx) error { return tx.ReleaseLease(ctx, "sweeper", "a") }) // not a's: nothing
	if got := holder(now); got != "b" {
		t.Errorf("after a foreign release, LeaseHolder = %q; want b", got)
	}
	update(t, s, func(tx dissent.Tx) error { return tx.ReleaseLease(ctx, "sweeper", "b") })
	if got := holder(now); got != "" {
		t.Errorf("after release, LeaseHolder = %q; want none", got)
	}
	if !acquire("a", now) {
		t.Errorf("AcquireLease after release = false; want true")
	}
	if got := holder(t0.Add(time.Hour)); got != "" {
		t.Errorf("LeaseHolder an hour later = %q; want none (expired)", got)
	}
}

// testConcurrentLeases: many holders race for one expired lease at once;
// exactly one gets it.
func testConcurrentLeases(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	update(t, s, func(tx dissent.Tx) error {
		_, err := tx.AcquireLease(ctx, "race", "old", t0, t0.Add(time.Second))
		return err
	})
	now := t0.Add(time.Minute)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fmt.Sprintf("h%02d", i)
			var ok bool
			err := s.Update(ctx, func(tx dissent.Tx) error {
				var err error
				ok, err = tx.AcquireLease(ctx, "race", h, now, now.Add(time.Minute))
				return err
			})
			if err != nil {
				t.Errorf("AcquireLease(%s): %v", h, err)
				return
			}
			if ok {
				mu.Lock()
				winners = append(winners, h)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v; want exactly one", winners)
	}
	view(t, s, func(tx dissent.Tx) error {
		h, err := tx.LeaseHolder(ctx, "race", now)
		if err != nil || h != winners[0] {
			t.Errorf("LeaseHolder = %q, %v; want %s", h, err, winners[0])
		}
		return nil
	})
}

// testReminders: a reminder key is recorded once, also by concurrent
// callers; a rolled-back record is not kept.
func testReminders(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	var first, second bool
	update(t, s, func(tx dissent.Tx) error {
		var err error
		first, err = tx.RecordReminder(ctx, m.ID, "reminder.reply.50", t0)
		return err
	})
	update(t, s, func(tx dissent.Tx) error {
		var err error
		second, err = tx.RecordReminder(ctx, m.ID, "reminder.reply.50", t0)
		return err
	})
	if !first || second {
		t.Errorf("RecordReminder twice = %v, %v; want true, false", first, second)
	}
	_ = s.Update(ctx, func(tx dissent.Tx) error {
		if _, err := tx.RecordReminder(ctx, m.ID, "overdue.reply", t0); err != nil {
			return err
		}
		return fmt.Errorf("roll back")
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			if err := s.Update(ctx, func(tx dissent.Tx) error {
				var err error
				ok, err = tx.RecordReminder(ctx, m.ID, "overdue.reply", t0)
				return err
			}); err != nil {
				t.Errorf("RecordReminder: %v", err)
			}
			if ok {
				mu.Lock()
				recorded++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if recorded != 1 {
		t.Errorf("8 concurrent RecordReminder after a rollback recorded %d; want 1", recorded)
	}
}

// testNotifications: stored per person, listed newest first, counted, marked
// read only by their owner; preferences default to e-mail on and decide
// whether an e-mail is queued.
func testNotifications(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	update(t, s, func(tx dissent.Tx) error {
		p, err := tx.NotificationPrefs(ctx, f.other)
		if err != nil || !p.Email {
			t.Errorf("NotificationPrefs(default) = %+v, %v; want e-mail on", p, err)
		}
		return tx.SetNotificationPrefs(ctx, f.other, dissent.NotificationPrefs{Email: false})
	})
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.AddNotifications(ctx, dissent.Notification{Kind: dissent.NoteInvited, MessageID: m.ID, Created: t0}, []dissent.PersonID{f.drafter, f.other}); err != nil {
			return err
		}
		return tx.AddNotifications(ctx, dissent.Notification{Kind: dissent.NoteReceiptReady, MessageID: m.ID, Created: t0.Add(time.Second)}, []dissent.PersonID{f.drafter})
	})
	var ns []dissent.Notification
	view(t, s, func(tx dissent.Tx) error {
		var err error
		if ns, err = tx.Notifications(ctx, f.drafter, 10); err != nil {
			return err
		}
		var kinds []string
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
			if n.MessageID != m.ID || n.PersonID != f.drafter || !n.Read.IsZero() {
				t.Errorf("notification %+v; want message %s, person %d, unread", n, m.ID, f.drafter)
			}
		}
		if !slices.Equal(kinds, []string{dissent.NoteReceiptReady, dissent.NoteInvited}) {
			t.Errorf("Notifications(drafter) kinds = %v; want newest first", kinds)
		}
		for p, want := range map[dissent.PersonID]int{f.drafter: 2, f.other: 1, f.sup: 0} {
			if got, err := tx.CountUnread(ctx, p); err != nil || got != want {
				t.Errorf("CountUnread(%d) = %d, %v; want %d", p, got, err, want)
			}
		}
		return nil
	})
	update(t, s, func(tx dissent.Tx) error {
		// Another's id changes nothing.
		if n, err := tx.MarkRead(ctx, f.other, []int64{ns[0].ID}, t0); err != nil || n != 0 {
			t.Errorf("MarkRead(other's id) = %d, %v; want 0", n, err)
		}
		if n, err := tx.MarkRead(ctx, f.drafter, []int64{ns[0].ID}, t0); err != nil || n != 1 {
			t.Errorf("MarkRead(own id) = %d, %v; want 1", n, err)
		}
		if n, err := tx.MarkRead(ctx, f.drafter, nil, t0); err != nil || n != 1 {
			t.Errorf("MarkRead(all) = %d, %v; want 1", n, err)
		}
		return nil
	})
	// Two notifications for the drafter, none for other (e-mail off).
	var mails []dissent.OutboxMail
	update(t, s, func(tx dissent.Tx) error {
		var err error
		mails, err = tx.ClaimMail(ctx, "i1", t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
		return err
	})
	if len(mails) != 2 {
		t.Fatalf("ClaimMail = %+v; want the drafter's two e-mails", mails)
	}
	for _, ml := range mails {
		if ml.To != "drafter@x.example" || ml.MessageID != m.ID {
			t.Errorf("queued e-mail %+v; want to drafter@x.example about %s", ml, m.ID)
		}
	}
}

// testOutbox: a claimed e-mail is not claimed again while the claim lasts,
// is claimed again after it lapses, is sent once, and after a failure is due
// again at the time given.
func testOutbox(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	update(t, s, func(tx dissent.Tx) error {
		return tx.AddNotifications(ctx, dissent.Notification{Kind: dissent.NoteInvited, MessageID: m.ID, Created: t0}, []dissent.PersonID{f.other})
	})
	claim := func(holder string, now time.Time) []dissent.OutboxMail {
		t.Helper()
		var out []dissent.OutboxMail
		update(t, s, func(tx dissent.Tx) error {
			var err error
			out, err = tx.ClaimMail(ctx, holder, now, now.Add(time.Minute), 10)
			return err
		})
		return out
	}
	if got := claim("a", t0); len(got) != 1 || got[0].To != "other@x.example" || got[0].Kind != dissent.NoteInvited {
		t.Fatalf("ClaimMail(a) = %+v; want the one e-mail", got)
	}
	if got := claim("b", t0.Add(30*time.Second)); len(got) != 0 {
		t.Errorf("ClaimMail(b) during a's claim = %+v; want none", got)
	}
	got := claim("b", t0.Add(61*time.Second))
	if len(got) != 1 {
		t.Fatalf("ClaimMail(b) after a's claim lapsed = %+v; want the e-mail", got)
	}
	id := got[0].ID
	// a's claim is gone: a may not mark it sent.
	if err := s.Update(ctx, func(tx dissent.Tx) error { return tx.MailSent(ctx, id, "a", t0) }); kindOf(err) != dissent.KindConflict {
		t.Errorf("MailSent by a lapsed claimer: %v; want a conflict", err)
	}
	update(t, s, func(tx dissent.Tx) error {
		return tx.MailFailed(ctx, id, "b", t0.Add(5*time.Minute), "421 try later")
	})
	if got := claim("c", t0.Add(4*time.Minute)); len(got) != 0 {
		t.Errorf("ClaimMail before the retry time = %+v; want none", got)
	}
	got = claim("c", t0.Add(5*time.Minute))
	if len(got) != 1 || got[0].Attempts != 1 {
		t.Fatalf("ClaimMail at the retry time = %+v; want the e-mail with 1 attempt", got)
	}
	update(t, s, func(tx dissent.Tx) error { return tx.MailSent(ctx, id, "c", t0.Add(5*time.Minute)) })
	if got := claim("d", t0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("ClaimMail after it was sent = %+v; want none", got)
	}
}

// testConcurrentOutbox: claimers racing over many e-mails each get disjoint
// ones, and together all of them.
func testConcurrentOutbox(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	const msgs = 20
	for i := range msgs {
		m := newMessage(t, s, f.drafter, mid(100+i))
		update(t, s, func(tx dissent.Tx) error {
			return tx.AddNotifications(ctx, dissent.Notification{Kind: dissent.NoteReplySent, MessageID: m.ID, Created: t0}, []dissent.PersonID{f.drafter, f.other})
		})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]string{}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fmt.Sprintf("w%d", w)
			for {
				var got []dissent.OutboxMail
				err := s.Update(ctx, func(tx dissent.Tx) error {
					var err error
					got, err = tx.ClaimMail(ctx, h, t0, t0.Add(time.Hour), 3)
					return err
				})
				if err != nil {
					t.Errorf("ClaimMail(%s): %v", h, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					if prev, dup := seen[m.ID]; dup {
						t.Errorf("e-mail %d claimed by %s and %s", m.ID, prev, h)
					}
					seen[m.ID] = h
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 2*msgs {
		t.Errorf("claimed %d e-mails; want %d", len(seen), 2*msgs)
	}
}

// testSweepReads: the sweeper's reads see open messages with their
// deadlines, conditional signatures with their signers, role holders and
// expired consultations, and nothing else.
func testSweepReads(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	loc, _ := time.LoadLocation("America/New_York")
	ackBy := time.Date(2023, 11, 7, 23, 59, 59, 999999999, loc)
	open := newMessage(t, s, f.drafter, mid(1))  // will be submitted, with a conditional signature
	draft := newMessage(t, s, f.drafter, mid(2)) // stays a draft
	closed := newMessage(t, s, f.drafter, mid(3))
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: open.ID, Version: 1, PersonID: f.other, ContentHash: open.ContentHash, MinCosigners: 1, Signed: t0}, false); err != nil {
			return err
		}
		if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: draft.ID, Version: 1, PersonID: f.other, ContentHash: draft.ContentHash, MinCosigners: 1, Signed: t0}, false); err != nil {
			return err
		}
		open.State, open.SubmittedAt, open.AcknowledgeBy, open.ReplyBy = dissent.StateSubmitted, t0, ackBy, ackBy.AddDate(0, 1, 0)
		closed.State = dissent.StateClosed
		if _, err := tx.AddInvitations(ctx, draft.ID, []dissent.PersonID{f.sup}, f.drafter, t0); err != nil {
			return err
		}
		for _, m := range []dissent.Message{open, closed} {
			if err := tx.UpdateMessage(ctx, m); err != nil {
				return err
			}
		}
		for _, c := range []dissent.Consultation{
			{MessageID: open.ID, ReviewerID: f.sup, RequestBy: f.boss, Due: t0.Add(time.Hour), Created: t0},
			{MessageID: open.ID, ReviewerID: f.sup, RequestBy: f.boss, Due: t0.Add(48 * time.Hour), Created: t0},
		} {
			if _, err := tx.InsertConsultation(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx dissent.Tx) error {
		ms, err := tx.SweepMessages(ctx)
		if err != nil {
			return err
		}
		if len(ms) != 1 || ms[0].ID != open.ID || !ms[0].AcknowledgeBy.Equal(ackBy) || ms[0].AcknowledgeBy.Location().String() == "UTC" ||
			!ms[0].SubmittedAt.Equal(t0) || ms[0].ReplyDays != 30 || ms[0].Title.Len() != 0 {
			t.Errorf("SweepMessages = %+v; want the submitted message's metadata, deadlines in their zone, no text", ms)
		}
		ids, err := tx.ConditionalMessages(ctx)
		if err != nil || !slices.Equal(ids, []dissent.MessageID{open.ID}) {
			t.Errorf("ConditionalMessages = %v, %v; want only the submitted one (drafts are not swept)", ids, err)
		}
		cs, err := tx.ConditionalSignatures(ctx, open.ID, 1)
		if err != nil || len(cs) != 1 || cs[0].PersonID != f.other || cs[0].MinCosigners != 1 || cs[0].Ref == 0 {
			t.Errorf("ConditionalSignatures = %+v, %v", cs, err)
		}
		signers, err := tx.ActiveSigners(ctx, open.ID, 1)
		slices.Sort(signers)
		want := []dissent.PersonID{f.drafter, f.other}
		slices.Sort(want)
		if err != nil || !slices.Equal(signers, want) {
			t.Errorf("ActiveSigners = %v, %v; want %v", signers, err, want)
		}
		officers, err := tx.RoleHolders(ctx, dissent.RoleOfficer)
		if err != nil || !slices.Equal(officers, []dissent.PersonID{f.sup}) {
			t.Errorf("RoleHolders(officer) = %v, %v; want [%d]", officers, err, f.sup)
		}
		fresh, err := tx.Uninvited(ctx, draft.ID, []dissent.PersonID{f.other, f.sup, f.boss})
		if err != nil || !slices.Equal(fresh, []dissent.PersonID{f.other, f.boss}) {
			t.Errorf("Uninvited = %v, %v; want [%d %d]", fresh, err, f.other, f.boss)
		}
		exp, err := tx.ExpiredConsultations(ctx, t0.Add(time.Hour))
		if err != nil || len(exp) != 1 || exp[0].ReviewerID != f.sup || exp[0].RequestBy != f.boss || exp[0].MessageID != open.ID {
			t.Errorf("ExpiredConsultations(+1h) = %+v, %v; want the first one", exp, err)
		}
		return nil
	})
}
