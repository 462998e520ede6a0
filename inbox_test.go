package dissent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// submitted drafts and submits a message by the drafter, titled title.
// submitted drafts a message titled title and submits it.
func submitted(t *testing.T, e *servicetest.Env, drafter servicetest.Actor, title string) dissent.Message {
	t.Helper()
	return submitDraft(t, e, drafter, dissent.Draft{Title: title, Body: "Body of " + title})
}

// submitDraft drafts d and submits it at once.
func submitDraft(t *testing.T, e *servicetest.Env, drafter servicetest.Actor, d dissent.Draft) dissent.Message {
	t.Helper()
	m := must(e.Svc.CreateMessage(ctx, drafter.Actor, d))
	return must(e.Svc.Submit(ctx, drafter.Actor, m.ID, m.ContentHash))
}

func inboxIDs(in dissent.Inbox) []dissent.MessageID {
	var out []dissent.MessageID
	for _, it := range in.Items {
		out = append(out, it.ID)
	}
	return out
}

func TestInbox(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 0)
	drafter, outsider := cast["drafter@state.example"], cast["outsider@state.example"]
	officer, boss := cast["officer@state.example"], cast["boss@state.example"]

	// Friday 3 November 2023: acknowledgement due Tuesday 7, reply Tuesday 19 December.
	old := submitted(t, e, drafter, "Old")
	e.Clock.Set(servicetest.SeedTime.Add(3 * 24 * time.Hour)) // Monday 6 November
	fresh := submitted(t, e, outsider, "Fresh")
	acked := submitted(t, e, outsider, "Acknowledged")
	must(e.Svc.Acknowledge(ctx, officer.Actor, acked.ID))
	if err := e.Svc.Assign(ctx, officer.Actor, fresh.ID, "officer@state.example"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(time.Date(2023, 11, 8, 15, 0, 0, 0, time.UTC)) // Wednesday 8 November, 10:00 in Washington

	in := must(e.Svc.Inbox(ctx, officer.Actor, dissent.InboxFilter{}))
	want := []dissent.MessageID{old.ID, fresh.ID, acked.ID}
	if got := inboxIDs(in); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("officer's inbox = %v; want overdue, due today, later: %v", got, want)
	}
	labels := []string{"Overdue 1 working day", "Due today", "28 working days left"}
	for i, it := range in.Items {
		if got := it.Urgency.Label(); got != labels[i] {
			t.Errorf("item %d urgency = %q; want %q", i, got, labels[i])
		}
	}
	if got := in.Items[0].Title.Reveal(); got != "Old" {
		t.Errorf("title = %q; want Old", got)
	}
	if in.Overdue != 1 || in.DueSoon != 1 || in.Total != 3 || in.Pages != 1 {
		t.Errorf("Overdue, DueSoon, Total, Pages = %d, %d, %d, %d; want 1, 1, 3, 1", in.Overdue, in.DueSoon, in.Total, in.Pages)
	}

	// The officer's title reads are recorded for the authors.
	log := must(e.Svc.AccessLog(ctx, drafter.Actor, old.ID))
	if len(log) != 1 || log[0].Kind != "title" || log[0].Role != dissent.RoleOfficer {
		t.Errorf("access log after the inbox = %+v; want one title read by an officer", log)
	}

	filters := []struct {
		f    dissent.InboxFilter
		want []dissent.MessageID
	}{
		{dissent.InboxFilter{Due: "overdue"}, []dissent.MessageID{old.ID}},
		{dissent.InboxFilter{Due: "soon"}, []dissent.MessageID{old.ID, fresh.ID}},
		{dissent.InboxFilter{Mine: true}, []dissent.MessageID{fresh.ID}},
		{dissent.InboxFilter{State: "acknowledged"}, []dissent.MessageID{acked.ID}},
		{dissent.InboxFilter{Org: "usaid"}, nil},
		{dissent.InboxFilter{Page: 2}, nil},
	}
	for _, tt := range filters {
		in := must(e.Svc.Inbox(ctx, officer.Actor, tt.f))
		if got := inboxIDs(in); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Inbox(%+v) = %v; want %v", tt.f, got, tt.want)
		}
	}

	// The boss supervises the drafter's supervisor: recused, the message is
	// not in the boss's inbox; the boss's statistics count it all the same
	// (a count that left it out would tell the boss that someone below
	// them takes part in a message).
	in = must(e.Svc.Inbox(ctx, boss.Actor, dissent.InboxFilter{State: "all"}))
	for _, id := range inboxIDs(in) {
		if id == old.ID {
			t.Errorf("boss's inbox lists the message of someone in the boss's management chain")
		}
	}
	if st := must(e.Svc.Statistics(ctx, boss.Actor, dissent.StatsFilter{})); st.Submitted != 3 {
		t.Errorf("boss's statistics count %d messages; want 3 (every message, whatever the recusal)", st.Submitted)
	}
	if st := must(e.Svc.Statistics(ctx, cast["monitor@state.example"].Actor, dissent.StatsFilter{})); st.Submitted != 3 || st.Timeliness.OverdueAck != 1 {
		t.Errorf("monitor's statistics: submitted %d, overdue acknowledgements %d; want 3, 1", st.Submitted, st.Timeliness.OverdueAck)
	}

	for _, who := range []string{"monitor@state.example", "principal@state.example", "reviewer@state.example", "drafter@state.example", "admin@state.example"} {
		_, err := e.Svc.Inbox(ctx, cast[who].Actor, dissent.InboxFilter{})
		wantKind(t, "Inbox as "+who, err, dissent.KindForbidden)
	}
	for _, who := range []string{"principal@state.example", "reviewer@state.example", "drafter@state.example", "admin@state.example", "auditor@state.example"} {
		_, err := e.Svc.Statistics(ctx, cast[who].Actor, dissent.StatsFilter{})
		wantKind(t, "Statistics as "+who, err, dissent.KindForbidden)
	}
	for _, f := range []dissent.InboxFilter{{State: "bogus"}, {Due: "never"}, {Org: "Bad Org!"}, {Page: -1}} {
		_, err := e.Svc.Inbox(ctx, officer.Actor, f)
		wantKind(t, fmt.Sprintf("Inbox(%+v)", f), err, dissent.KindInvalid)
	}
	for _, f := range []dissent.StatsFilter{{From: "yesterday"}, {From: "2024-01-02", To: "2024-01-01"}, {Org: "<x>"}} {
		_, err := e.Svc.Statistics(ctx, officer.Actor, f)
		wantKind(t, fmt.Sprintf("Statistics(%+v)", f), err, dissent.KindInvalid)
	}
}

func TestInboxPages(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 0)
	drafter, officer := cast["outsider@state.example"], cast["officer@state.example"]
	n := dissent.InboxPageSize + 3
	for i := range n {
		e.Clock.Set(servicetest.SeedTime.Add(time.Duration(i) * time.Minute))
		submitted(t, e, drafter, fmt.Sprintf("Message %d", i))
	}
	p1 := must(e.Svc.Inbox(ctx, officer.Actor, dissent.InboxFilter{}))
	p2 := must(e.Svc.Inbox(ctx, officer.Actor, dissent.InboxFilter{Page: 2}))
	if len(p1.Items) != dissent.InboxPageSize || len(p2.Items) != 3 || p1.Total != n || p1.Pages != 2 {
		t.Fatalf("pages hold %d and %d of %d in %d pages; want %d, 3 of %d in 2", len(p1.Items), len(p2.Items), p1.Total, p1.Pages, dissent.InboxPageSize, n)
	}
	// Same deadline for all: oldest submission first.
	if got := p2.Items[2].Title.Reveal(); got != fmt.Sprintf("Message %d", n-1) {
		t.Errorf("last item = %q; want the newest message", got)
	}
	// Only the titles shown are read, and recorded.
	reads := 0
	for _, it := range append(p1.Items, p2.Items...) {
		for _, a := range must(e.Svc.AccessLog(ctx, drafter.Actor, it.ID)) {
			if a.Kind == "title" {
				reads++
			}
		}
	}
	if reads != n {
		t.Errorf("%d title reads recorded for two pages; want %d, one per title shown", reads, n)
	}
}

func TestDistributedAndConsultations(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 0)
	drafter, officer := cast["outsider@state.example"], cast["officer@state.example"]
	principal, reviewer := cast["principal@state.example"], cast["reviewer@state.example"]
	a := submitted(t, e, drafter, "First")
	b := submitted(t, e, drafter, "Second")
	submitted(t, e, drafter, "Not sent")
	must(e.Svc.Acknowledge(ctx, officer.Actor, a.ID))
	if err := e.Svc.Distribute(ctx, officer.Actor, a.ID, []string{"principal@state.example"}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(servicetest.SeedTime.Add(time.Hour))
	if err := e.Svc.Distribute(ctx, officer.Actor, b.ID, []string{"principal@state.example"}); err != nil {
		t.Fatal(err)
	}
	ds := must(e.Svc.Distributed(ctx, principal.Actor))
	if len(ds) != 2 || ds[0].ID != b.ID || ds[1].ID != a.ID || ds[0].Title.Reveal() != "Second" {
		t.Fatalf("Distributed = %+v; want Second then First", ds)
	}
	_, err := e.Svc.Distributed(ctx, reviewer.Actor)
	wantKind(t, "Distributed as a reviewer", err, dissent.KindForbidden)

	must(e.Svc.Consult(ctx, officer.Actor, a.ID, "reviewer@state.example", "2023-11-20"))
	must(e.Svc.Consult(ctx, officer.Actor, b.ID, "reviewer@state.example", "2023-11-10"))
	cs := must(e.Svc.ReviewerConsultations(ctx, reviewer.Actor))
	if len(cs) != 2 || cs[0].MessageID != b.ID || !cs[0].Open || cs[0].Title.Reveal() != "Second" {
		t.Fatalf("ReviewerConsultations = %+v; want Second (due first) then First, open", cs)
	}
	if err := e.Svc.GiveInput(ctx, reviewer.Actor, b.ID, "My input."); err != nil {
		t.Fatal(err)
	}
	cs = must(e.Svc.ReviewerConsultations(ctx, reviewer.Actor))
	if len(cs) != 2 || cs[0].MessageID != a.ID || !cs[0].Open || cs[1].Open || cs[1].Title.Len() != 0 {
		t.Errorf("after input: %+v; want First open, Second answered without its title", cs)
	}
	_, err = e.Svc.ReviewerConsultations(ctx, principal.Actor)
	wantKind(t, "ReviewerConsultations as a principal", err, dissent.KindForbidden)
}
