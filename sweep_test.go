package dissent_test

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

var washington = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return l
}()

func TestPeriodMark(t *testing.T) {
	cal, err := deadline.New(washington, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := time.Date(2023, 11, 3, 10, 0, 0, 0, washington) // a Friday
	endOf := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d+1, 0, 0, 0, 0, washington).Add(-time.Nanosecond)
	}
	tests := []struct {
		days, pct int
		want      time.Time
	}{
		{2, 50, endOf(2023, 11, 6)},                               // end of the first working day, Monday
		{2, 80, time.Date(2023, 11, 7, 14, 24, 0, 0, washington)}, // 0.6 into Tuesday
		{2, 100, endOf(2023, 11, 7)},                              // the acknowledgement deadline
		{30, 50, endOf(2023, 11, 28)},                             // 15th working day (Veterans Day, Thanksgiving skipped)
		{30, 80, endOf(2023, 12, 11)},                             // 24th
		{30, 100, endOf(2023, 12, 19)},                            // the reply deadline of SPEC §3
		{45, 50, time.Date(2023, 12, 8, 12, 0, 0, 0, washington)}, // 22.5 days: noon of the 23rd working day
	}
	for _, tt := range tests {
		if got := dissent.PeriodMark(cal, sub, tt.days, tt.pct); !got.Equal(tt.want) {
			t.Errorf("PeriodMark(%d days, %d%%) = %v; want %v", tt.days, tt.pct, got.In(washington), tt.want)
		}
	}
	if got, want := dissent.PeriodMark(cal, sub, 30, 100), cal.Due(sub, 30); !got.Equal(want) {
		t.Errorf("PeriodMark(30, 100%%) = %v; want Due = %v", got, want)
	}
}

// notes returns the kinds of a person's notifications, oldest first.
func notes(t *testing.T, e *servicetest.Env, a servicetest.Actor) []string {
	t.Helper()
	ns, _, err := e.Svc.Notifications(ctx, a.Actor)
	if err != nil {
		t.Fatalf("Notifications(%s): %v", a.Email, err)
	}
	var out []string
	for i := len(ns) - 1; i >= 0; i-- {
		out = append(out, ns[i].Kind)
		if ns[i].Link() != "/messages/"+string(ns[i].MessageID) {
			t.Errorf("notification link %q", ns[i].Link())
		}
	}
	return out
}

// sweepNotes is notes without the office's notices of submission, which
// come from Submit, not from the sweeper.
func sweepNotes(t *testing.T, e *servicetest.Env, who servicetest.Actor) []string {
	t.Helper()
	return slices.DeleteFunc(notes(t, e, who), func(k string) bool { return k == dissent.NoteSubmitted })
}

// TestNotificationsOfChanges: the people a change concerns are told, in
// the transaction of the change, and a refused change tells nobody.
func TestNotificationsOfChanges(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 3)
	dr, off, dir, rev := p["drafter@state.example"], p["officer@state.example"], p["director@state.example"], p["reviewer@state.example"]
	m := draft(t, e, dr, s[1], s[2])
	must(e.Svc.Invite(ctx, dr.Actor, m.ID, []string{s[2], s[1]})) // again: nobody new, nobody told
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0))
	if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, "0000000000000000000000000000000000000000000000000000000000000000"); err == nil {
		t.Fatal("Submit with a wrong hash succeeded")
	}
	if got := notes(t, e, dr); len(got) != 0 {
		t.Errorf("after a refused submission the drafter has %v; want nothing", got)
	}
	must(e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash))
	must(e.Svc.Acknowledge(ctx, off.Actor, m.ID))
	must(e.Svc.Consult(ctx, off.Actor, m.ID, rev.Email, "2023-11-20"))
	must2(e.Svc.Reply(ctx, dir.Actor, m.ID, "We hear you."))
	tests := []struct {
		who  servicetest.Actor
		want []string
	}{
		{dr, []string{dissent.NoteReceiptReady, dissent.NoteAcknowledged, dissent.NoteReplySent}},
		{p[s[1]], []string{dissent.NoteInvited, dissent.NoteReceiptReady, dissent.NoteAcknowledged, dissent.NoteReplySent}},
		{p[s[2]], []string{dissent.NoteInvited}}, // invited, never signed
		{rev, []string{dissent.NoteConsultation}},
		{off, []string{dissent.NoteSubmitted}}, // the office hears of the submission
	}
	for _, tt := range tests {
		if got := notes(t, e, tt.who); !slices.Equal(got, tt.want) {
			t.Errorf("%s has %v; want %v", tt.who.Email, got, tt.want)
		}
	}
	// Marking read: one, then all; preferences.
	ns, unread := must2(e.Svc.Notifications(ctx, p[s[1]].Actor))
	if unread != 4 {
		t.Errorf("unread = %d; want 4", unread)
	}
	if n := must(e.Svc.MarkNotificationsRead(ctx, dr.Actor, []int64{ns[0].ID})); n != 0 {
		t.Errorf("marking another's notification read changed %d; want 0", n)
	}
	if n := must(e.Svc.MarkNotificationsRead(ctx, p[s[1]].Actor, []int64{ns[0].ID})); n != 1 {
		t.Errorf("MarkNotificationsRead(one) = %d; want 1", n)
	}
	if n := must(e.Svc.UnreadNotifications(ctx, p[s[1]].Actor)); n != 3 {
		t.Errorf("unread after one read = %d; want 3", n)
	}
	if err := e.Svc.SetNotificationPrefs(ctx, dr.Actor, dissent.NotificationPrefs{Email: false}); err != nil {
		t.Fatal(err)
	}
	if got := must(e.Svc.NotificationPrefs(ctx, dr.Actor)); got.Email {
		t.Errorf("prefs after turning e-mail off = %+v", got)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// TestSweepTellsOnce walks the clock through the acknowledgement and reply
// periods of the seed story and sweeps twice at each step: each reminder
// reaches the handlers once, the overdue escalation reaches the director and
// the monitor too, and the officer in the drafter's chain hears nothing.
func TestSweepTellsOnce(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	dr := p["drafter@state.example"]
	m := draft(t, e, dr, s...)
	must(e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash))
	cal, _ := deadline.New(washington, nil)
	sub := servicetest.SeedTime
	mark := func(days, pct int) time.Time { return dissent.PeriodMark(cal, sub, days, pct) }
	steps := []struct {
		at   time.Time
		want dissent.SweepResult
	}{
		{mark(2, 50).Add(-time.Second), dissent.SweepResult{}},
		{mark(2, 50), dissent.SweepResult{Reminders: 1, Notifications: 2}},                       // officer, officer2
		{mark(2, 80).Add(time.Minute), dissent.SweepResult{Reminders: 1, Notifications: 2}},      // 80 %
		{mark(2, 100).Add(time.Nanosecond), dissent.SweepResult{Reminders: 1, Notifications: 4}}, // + director, monitor
		{mark(30, 50), dissent.SweepResult{Reminders: 1, Notifications: 2}},
		{mark(30, 80).Add(time.Hour), dissent.SweepResult{Reminders: 1, Notifications: 2}},
		{mark(30, 100).Add(time.Hour), dissent.SweepResult{Reminders: 1, Notifications: 4}},
	}
	for i, st := range steps {
		e.Clock.Set(st.at)
		got, err := e.Svc.Sweep(ctx, st.at)
		if err != nil {
			t.Fatalf("step %d: Sweep: %v", i, err)
		}
		if got != st.want {
			t.Errorf("step %d (%v): Sweep = %+v; want %+v", i, st.at.In(washington), got, st.want)
		}
		again, err := e.Svc.Sweep(ctx, st.at)
		if err != nil || again != (dissent.SweepResult{}) {
			t.Errorf("step %d: second Sweep = %+v, %v; want nothing", i, again, err)
		}
	}
	want := map[string][]string{
		"officer@state.example":   {"reminder.acknowledge.50", "reminder.acknowledge.80", "overdue.acknowledge", "reminder.reply.50", "reminder.reply.80", "overdue.reply"},
		"officer2@state.example":  {"reminder.acknowledge.50", "reminder.acknowledge.80", "overdue.acknowledge", "reminder.reply.50", "reminder.reply.80", "overdue.reply"},
		"director@state.example":  {"overdue.acknowledge", "overdue.reply"},
		"monitor@state.example":   {"overdue.acknowledge", "overdue.reply"},
		"boss@state.example":      nil, // an officer, but in the drafter's chain: recused
		"principal@state.example": nil,
	}
	for email, w := range want {
		if got := sweepNotes(t, e, p[email]); !slices.Equal(got, w) {
			t.Errorf("%s was told %v; want %v", email, got, w)
		}
	}
}

// TestSweepSkipsOvertakenReminders: a sweeper that first runs after the
// deadline sends the escalation alone; once acknowledged, no
// acknowledgement reminder follows; assigned officers replace the pool.
func TestSweepSkipsOvertakenReminders(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	dr, off := p["drafter@state.example"], p["officer@state.example"]
	m := draft(t, e, dr)
	must(e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash))
	if err := e.Svc.Assign(ctx, off.Actor, m.ID, "officer2@state.example"); err != nil {
		t.Fatal(err)
	}
	at := servicetest.SeedTime.Add(10 * 24 * time.Hour)
	e.Clock.Set(at)
	got := must(e.Svc.Sweep(ctx, at))
	// overdue.acknowledge alone (its 50 % and 80 % overtaken), to officer2,
	// the director and the monitor; the reply period's 50 % is not due yet.
	if want := (dissent.SweepResult{Reminders: 1, Notifications: 3}); got != want {
		t.Errorf("late first Sweep = %+v; want %+v", got, want)
	}
	if k := sweepNotes(t, e, p["officer2@state.example"]); !slices.Equal(k, []string{"overdue.acknowledge"}) {
		t.Errorf("assigned officer was told %v; want only the escalation", k)
	}
	if k := sweepNotes(t, e, off); len(k) != 0 {
		t.Errorf("unassigned officer was told %v; want nothing", k)
	}
}

// TestSweepQuorumsAndConsultations: a conditional signer hears once when
// their quorum is met; an expired consultation is told to the officer who
// asked and to the reviewer, once.
func TestSweepQuorumsAndConsultations(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 3)
	dr, off, rev := p["drafter@state.example"], p["officer@state.example"], p["reviewer@state.example"]
	m := draft(t, e, dr, s...)
	must(e.Svc.Sign(ctx, p[s[0]].Actor, m.ID, m.ContentHash, 2)) // counts with two others
	now := servicetest.SeedTime
	if got := must(e.Svc.Sweep(ctx, now)); got.Quorums != 0 {
		t.Errorf("Sweep before the quorum = %+v", got)
	}
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0)) // drafter + s1: two others for s0
	if got := must(e.Svc.Sweep(ctx, now)); got.Quorums != 1 || got.Notifications != 1 {
		t.Errorf("Sweep after the quorum = %+v; want one quorum told to one person", got)
	}
	if got := must(e.Svc.Sweep(ctx, now)); got.Told() != 0 {
		t.Errorf("second Sweep = %+v; want nothing", got)
	}
	if k := notes(t, e, p[s[0]]); !slices.Equal(k, []string{dissent.NoteInvited, dissent.NoteQuorumMet}) {
		t.Errorf("conditional signer was told %v", k)
	}
	must(e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash))
	must(e.Svc.Consult(ctx, off.Actor, m.ID, rev.Email, "2023-11-08"))
	due := time.Date(2023, 11, 9, 0, 0, 0, 0, washington)
	got := must(e.Svc.Sweep(ctx, due.Add(-time.Second)))
	if got.Expired != 0 {
		t.Errorf("Sweep before the due time: %+v", got)
	}
	got = must(e.Svc.Sweep(ctx, due))
	if got.Expired != 1 || got.Notifications < 2 {
		t.Errorf("Sweep at the due time = %+v; want the expiry told to two people", got)
	}
	for _, a := range []servicetest.Actor{off, rev} {
		k := notes(t, e, a)
		if !slices.Contains(k, dissent.NoteConsultExpired) {
			t.Errorf("%s was told %v; want %s", a.Email, k, dissent.NoteConsultExpired)
		}
	}
	if got := must(e.Svc.Sweep(ctx, due)); got.Expired != 0 {
		t.Errorf("second Sweep told the expiry again: %+v", got)
	}
}

// TestSweepConcurrent: sweeps running at once on one store tell each
// reminder once between them.
func TestSweepConcurrent(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	dr := p["drafter@state.example"]
	for range 5 {
		m := draft(t, e, dr)
		must(e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash))
	}
	at := time.Date(2023, 11, 7, 12, 0, 0, 0, washington) // past 50 % of the acknowledgement period

	results := make(chan dissent.SweepResult, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			r, err := e.Svc.Sweep(ctx, at)
			results <- r
			errs <- err
		}()
	}
	total := 0
	for range 4 {
		total += (<-results).Reminders
		if err := <-errs; err != nil {
			t.Errorf("Sweep: %v", err)
		}
	}
	if total != 5 {
		t.Errorf("4 concurrent sweeps told %d reminders; want 5 (one per message)", total)
	}
	k := sweepNotes(t, e, p["officer@state.example"])
	sort.Strings(k)
	if len(k) != 5 {
		t.Errorf("officer was told %v; want 5 reminders", k)
	}
}
