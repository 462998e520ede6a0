package dissent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestStatisticsCacheMatchesSummarize: the statistics the Service keeps
// between views are, at every step, what Summarize computes afresh from the
// database, and the inbox in the order it keeps is what a Service with
// nothing kept lists: after no change, after a change to a message, after a new
// submission, when a deadline passes within the day, on the next day, when
// the clock goes back, and for each filter.
func TestStatisticsCacheMatchesSummarize(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 0)
	drafter, officer := cast["drafter@state.example"], cast["officer@state.example"]
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Messages submitted over two weeks, the last on Friday 17 November 2023.
	var ids []dissent.MessageID
	for i, day := range []int{3, 6, 8, 9, 13, 15, 16, 17} {
		e.Clock.Set(time.Date(2023, 11, day, 9+i%3, 0, 0, 0, ny))
		ids = append(ids, submitted(t, e, drafter, fmt.Sprintf("Message %d", i)).ID)
	}
	now := time.Date(2023, 11, 20, 10, 0, 0, 0, ny) // Monday, 10:00
	e.Clock.Set(now)
	filters := []dissent.StatsFilter{{}, {Org: "state"}, {From: "2023-11-08", To: "2023-11-16"}}
	fresh := func(f dissent.StatsFilter) dissent.Stats {
		t.Helper()
		var st dissent.Stats
		err := e.DB.View(ctx, func(tx dissent.Tx) error {
			orgs, err := tx.Orgs(ctx)
			if err != nil {
				return err
			}
			loc, err := time.LoadLocation(orgs[0].TimeZone)
			if err != nil {
				return err
			}
			closures, err := tx.Closures(ctx, orgs[0].ID)
			if err != nil {
				return err
			}
			cal, err := deadline.New(loc, closures)
			if err != nil {
				return err
			}
			now := e.Clock.Now().UTC()
			metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Now: now, Fresh: true})
			if err != nil {
				return err
			}
			st = dissent.Summarize(metas, cal, loc, now, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// The inbox's order, kept by e.Svc, against a Service with nothing
	// kept yet.
	inboxFilters := []dissent.InboxFilter{{}, {State: "all"}, {Sort: "newest"}, {State: "all", Sort: "signatures"}, {Due: "overdue"}, {State: "acknowledged"}, {Mine: true}}
	check := func(step string) {
		t.Helper()
		for _, f := range filters {
			got := must(e.Svc.Statistics(ctx, officer.Actor, f))
			if want := fresh(f); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s, filter %+v:\n got %+v\nwant %+v", step, f, got, want)
			}
		}
		anew := dissent.NewService(dissent.ServiceConfig{Store: e.DB, AuditLog: e.Log, Now: e.Clock.Now,
			Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
				return deadline.New(loc, closures)
			}})
		for _, f := range inboxFilters {
			got := must(e.Svc.InboxExport(ctx, officer.Actor, f))
			want := must(anew.InboxExport(ctx, officer.Actor, f))
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("%s, inbox %+v:\n got %+v\nwant %+v", step, f, got, want)
			}
			page := must(e.Svc.Inbox(ctx, officer.Actor, f))
			if fresh := must(anew.Inbox(ctx, officer.Actor, f)); fmt.Sprintf("%+v", page) != fmt.Sprintf("%+v", fresh) {
				t.Errorf("%s, inbox page %+v:\n got %+v\nwant %+v", step, f, page, fresh)
			}
		}
	}
	check("first view")
	check("no change")
	must(e.Svc.Acknowledge(ctx, officer.Actor, ids[6]))
	check("after an acknowledgement")
	must(e.Svc.Acknowledge(ctx, officer.Actor, ids[5]))
	check("after another acknowledgement")
	submitted(t, e, drafter, "Message submitted today")
	check("after a new submission")

	// A deadline within the day (as an extension to an instant could set):
	// the figures turn when it passes, though nothing was written since.
	err = e.DB.Update(ctx, func(tx dissent.Tx) error {
		m, err := tx.LockMessage(ctx, ids[7])
		if err != nil {
			return err
		}
		m.AcknowledgeBy = now.Add(time.Hour)
		return tx.UpdateMessage(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	check("after a deadline moved to within the day")
	before := must(e.Svc.Statistics(ctx, officer.Actor, dissent.StatsFilter{}))
	e.Clock.Set(now.Add(2 * time.Hour))
	check("after the deadline passed")
	if after := must(e.Svc.Statistics(ctx, officer.Actor, dissent.StatsFilter{})); after.Timeliness.OverdueAck != before.Timeliness.OverdueAck+1 {
		t.Errorf("overdue acknowledgements %d, then %d once a deadline passed; want one more", before.Timeliness.OverdueAck, after.Timeliness.OverdueAck)
	}
	e.Clock.Set(now.Add(24 * time.Hour))
	check("the next day")
	must(e.Svc.Acknowledge(ctx, officer.Actor, ids[4]))
	check("after a change on the next day")
	e.Clock.Set(now)
	check("with the clock put back")
}
