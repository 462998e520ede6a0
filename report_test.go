package dissent_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// shown renders a group as the public sees it: the count, or "x" when it is
// withheld.
func shown(cs []dissent.ReportCount) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		switch {
		case c.Withheld:
			out[c.Label] = "x"
		case c.Count != nil:
			out[c.Label] = strconv.Itoa(*c.Count)
		}
	}
	return out
}

func TestSuppress(t *testing.T) {
	tests := []struct {
		name string
		in   []dissent.StatsCount
		want map[string]string
	}{
		{"nothing small", []dissent.StatsCount{{"a", 5}, {"b", 9}, {"c", 0}}, map[string]string{"a": "5", "b": "9", "c": "0"}},
		{"one small, one complementary", []dissent.StatsCount{{"a", 6}, {"b", 2}, {"c", 40}}, map[string]string{"a": "x", "b": "x", "c": "40"}},
		{"two small, no complement needed", []dissent.StatsCount{{"a", 1}, {"b", 4}, {"c", 40}}, map[string]string{"a": "x", "b": "x", "c": "40"}},
		{"zeros stay, they name nobody", []dissent.StatsCount{{"a", 0}, {"b", 3}, {"c", 12}, {"d", 7}}, map[string]string{"a": "0", "b": "x", "c": "12", "d": "x"}},
		{"a lone small count", []dissent.StatsCount{{"a", 4}}, map[string]string{"a": "x"}},
	}
	for _, tt := range tests {
		st := dissent.Stats{ByOrg: tt.in, Submitted: 100}
		got := shown(dissent.Suppress(st, 5).ByOrg)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Suppress(%v) by organization (-want +got):\n%s", tt.name, tt.in, diff)
		}
	}
}

func TestSuppressShares(t *testing.T) {
	st := dissent.Stats{Submitted: 12, Timeliness: dissent.Timeliness{AckDue: 4, AckOnTime: 4, Reply30Due: 10, Reply30: 7,
		Acknowledged: 4, MedianAckDays: 1, Replied: 7, MedianReplyDays: 12}}
	r := dissent.Suppress(st, 5)
	if !r.AckWithin2.Withheld || r.AckWithin2.Percent != nil {
		t.Errorf("share on 4 due = %+v; want withheld", r.AckWithin2)
	}
	if r.ReplyWithin30.Percent == nil || *r.ReplyWithin30.Percent != 70 || *r.ReplyWithin30.Due != 10 {
		t.Errorf("share on 10 due = %+v; want 70 %% of 10", r.ReplyWithin30)
	}
	if r.ReplyWithin60.Withheld || r.ReplyWithin60.Percent != nil {
		t.Errorf("share on nothing due = %+v; want empty, not withheld", r.ReplyWithin60)
	}
	if r.MedianAckDays != nil || r.MedianReplyDays == nil || *r.MedianReplyDays != 12 {
		t.Errorf("medians = %v, %v; want withheld, 12", r.MedianAckDays, r.MedianReplyDays)
	}
}

// TestPublicReport: eight messages from two organizations; the one with two
// is withheld, and so the other, which the total would give away.
func TestPublicReport(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 1)
	drafter, usaid := cast["drafter@state.example"], cast["signer0000@usaid.example"]
	for i := range 8 {
		who := drafter
		if i < 2 {
			who = usaid
		}
		submitted(t, e, who, "Report "+strconv.Itoa(i))
	}
	e.Clock.Set(servicetest.SeedTime.Add(40 * 24 * time.Hour))
	r, err := e.Svc.PublicReport(ctx, dissent.System, dissent.StatsFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Submitted.Count == nil || *r.Submitted.Count != 8 {
		t.Errorf("submitted = %+v; want 8", r.Submitted)
	}
	if got, want := shown(r.ByOrg), map[string]string{"state": "x", "usaid": "x"}; !cmp.Equal(got, want) {
		t.Errorf("by organization = %v; want %v (usaid's 2 withheld, and state's 6, which the total gives away)", got, want)
	}
	// None was acknowledged and all eight are past their 2 working days.
	if a := r.AckWithin2; a.Percent == nil || *a.Percent != 0 || *a.Due != 8 {
		t.Errorf("acknowledgement share = %+v; want 0 %% of 8", a)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"@state.example", "@usaid.example", "Report 1", `"id"`} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the public report holds %q: %s", leak, b)
		}
	}
	if _, err := e.Svc.PublicReport(ctx, drafter.Actor, dissent.StatsFilter{}, 0); dissent.ErrorKind(err) != dissent.KindForbidden {
		t.Errorf("an employee's PublicReport: %v; want forbidden", err)
	}
}
