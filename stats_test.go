package dissent_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
)

// statsFixture is seven messages on the Washington calendar, looked at on
// Wednesday 17 January 2024 at noon (MLK Day was Monday 15 January).
// Working days were counted by hand on a 2023–24 calendar.
func statsFixture(t *testing.T) ([]dissent.MessageMeta, *deadline.Calendar, *time.Location, time.Time) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := deadline.New(ny, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UTC()
	}
	mk := func(id, org string, state dissent.State, signers int, submitted, acked, replied string) dissent.MessageMeta {
		sub := at(submitted)
		return dissent.MessageMeta{ID: dissent.MessageID(id), OrgID: org, State: state, SignatureCount: signers,
			SubmittedAt: sub, AcknowledgeBy: cal.Due(sub, 2), ReplyBy: cal.Due(sub, 30), ReplyDays: 30,
			AcknowledgedAt: at(acked), RepliedAt: at(replied), Facts: dissent.Facts{Submitted: true}}
	}
	metas := []dissent.MessageMeta{
		// acknowledged after 1 working day; replied on the 30th (SPEC §3's reply-by date)
		mk("m1", "state", dissent.StateClosed, 1, "2023-11-03 10:00", "2023-11-06 12:00", "2023-12-19 16:00"),
		// acknowledged late, after 3 working days; replied after 40
		mk("m2", "usaid", dissent.StateReplied, 5, "2023-11-06 09:00", "2023-11-09 09:00", "2024-01-05 10:00"),
		// acknowledged after 2; no reply: reply due Fri 15 Dec, 20 working days overdue, 50 days old
		mk("m3", "state", dissent.StateAcknowledged, 12, "2023-11-01 10:00", "2023-11-03 10:00", ""),
		// acknowledgement due today (MLK Day skipped); 2 working days old
		mk("m4", "state", dissent.StateSubmitted, 2, "2024-01-12 10:00", "", ""),
		// acknowledgement was due Thu 11 Jan: 3 working days overdue; 5 days old
		mk("m5", "usaid", dissent.StateSubmitted, 100, "2024-01-09 10:00", "", ""),
		// withdrawn and redirected before any deadline: not due for any measure
		mk("m6", "state", dissent.StateWithdrawn, 1, "2024-01-10 10:00", "", ""),
		mk("m7", "state", dissent.StateRedirected, 3, "2023-12-04 10:00", "", ""),
		// never submitted: not counted at all
		{ID: "m8", OrgID: "state", State: dissent.StateDraft, SignatureCount: 7},
	}
	return metas, cal, ny, at("2024-01-17 12:00")
}

func TestSummarize(t *testing.T) {
	metas, cal, ny, now := statsFixture(t)
	states := func(s, a, r, c, red, w int) []dissent.StatsCount {
		return []dissent.StatsCount{{"submitted", s}, {"acknowledged", a}, {"replied", r}, {"closed", c}, {"redirected", red}, {"withdrawn", w}}
	}
	ages := func(a, b, c, d, e int) []dissent.StatsCount {
		return []dissent.StatsCount{{"0–2", a}, {"3–10", b}, {"11–30", c}, {"31–60", d}, {"over 60", e}}
	}
	signers := func(a, b, c, d, e, f int) []dissent.StatsCount {
		return []dissent.StatsCount{{"1", a}, {"2–4", b}, {"5–9", c}, {"10–49", d}, {"50–99", e}, {"100 or more", f}}
	}
	tests := []struct {
		name      string
		filter    dissent.StatsFilter
		submitted int
		byMonth   []dissent.StatsCount
		byOrg     []dissent.StatsCount
		byState   []dissent.StatsCount
		openByAge []dissent.StatsCount
		signers   []dissent.StatsCount
		tl        dissent.Timeliness
		overdue   []string // ids, then labels
	}{
		{
			name: "all", submitted: 7,
			byMonth:   []dissent.StatsCount{{"2023-11", 3}, {"2023-12", 1}, {"2024-01", 3}},
			byOrg:     []dissent.StatsCount{{"state", 5}, {"usaid", 2}},
			byState:   states(2, 1, 1, 1, 1, 1),
			openByAge: ages(1, 1, 0, 1, 0),
			signers:   signers(2, 2, 1, 1, 0, 1),
			tl: dissent.Timeliness{AckDue: 4, AckOnTime: 2, Reply30Due: 3, Reply30: 1, Reply60Due: 2, Reply60: 2,
				Acknowledged: 3, Replied: 2, MedianAckDays: 2, MedianReplyDays: 35, OverdueAck: 1, OverdueReply: 1},
			overdue: []string{"m3", "m5", "Overdue 20 working days", "Overdue 3 working days"},
		},
		{
			name: "one organization", filter: dissent.StatsFilter{Org: "usaid"}, submitted: 2,
			byMonth:   []dissent.StatsCount{{"2023-11", 1}, {"2023-12", 0}, {"2024-01", 1}},
			byOrg:     []dissent.StatsCount{{"usaid", 2}},
			byState:   states(1, 0, 1, 0, 0, 0),
			openByAge: ages(0, 1, 0, 0, 0),
			signers:   signers(0, 0, 1, 0, 0, 1),
			tl: dissent.Timeliness{AckDue: 2, AckOnTime: 0, Reply30Due: 1, Reply30: 0, Reply60Due: 1, Reply60: 1,
				Acknowledged: 1, Replied: 1, MedianAckDays: 3, MedianReplyDays: 40, OverdueAck: 1},
			overdue: []string{"m5", "Overdue 3 working days"},
		},
		{
			name: "a period", filter: dissent.StatsFilter{From: "2023-11-03", To: "2023-12-31"}, submitted: 3,
			byMonth:   []dissent.StatsCount{{"2023-11", 2}, {"2023-12", 1}},
			byOrg:     []dissent.StatsCount{{"state", 2}, {"usaid", 1}},
			byState:   states(0, 0, 1, 1, 1, 0),
			openByAge: ages(0, 0, 0, 0, 0),
			signers:   signers(1, 1, 1, 0, 0, 0),
			tl: dissent.Timeliness{AckDue: 2, AckOnTime: 1, Reply30Due: 2, Reply30: 1, Reply60Due: 2, Reply60: 2,
				Acknowledged: 2, Replied: 2, MedianAckDays: 2, MedianReplyDays: 35},
		},
		{
			name: "nothing", filter: dissent.StatsFilter{From: "2025-01-01"},
			byState: states(0, 0, 0, 0, 0, 0), openByAge: ages(0, 0, 0, 0, 0), signers: signers(0, 0, 0, 0, 0, 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := dissent.Summarize(metas, cal, ny, now, tt.filter)
			if st.Submitted != tt.submitted {
				t.Errorf("Submitted = %d; want %d", st.Submitted, tt.submitted)
			}
			for _, c := range []struct {
				name      string
				got, want []dissent.StatsCount
			}{{"ByMonth", st.ByMonth, tt.byMonth}, {"ByOrg", st.ByOrg, tt.byOrg}, {"ByState", st.ByState, tt.byState},
				{"OpenByAge", st.OpenByAge, tt.openByAge}, {"Signers", st.Signers, tt.signers}} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
				}
			}
			if st.Timeliness != tt.tl {
				t.Errorf("Timeliness = %+v; want %+v", st.Timeliness, tt.tl)
			}
			var overdue, labels []string
			for _, o := range st.Overdue {
				overdue = append(overdue, string(o.ID))
				labels = append(labels, o.Urgency.Label())
			}
			if got := append(overdue, labels...); !reflect.DeepEqual(got, tt.overdue) && len(got)+len(tt.overdue) > 0 {
				t.Errorf("Overdue = %v; want %v", got, tt.overdue)
			}
			if !reflect.DeepEqual(st.Orgs, []string{"state", "usaid"}) {
				t.Errorf("Orgs = %v; want state, usaid", st.Orgs)
			}
		})
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		n, of int
		want  string
	}{{0, 0, "—"}, {0, 4, "0 %"}, {1, 3, "33 %"}, {2, 3, "67 %"}, {1, 2, "50 %"}, {4, 4, "100 %"}, {1, 200, "1 %"}}
	for _, tt := range tests {
		if got := dissent.Share(tt.n, tt.of); got != tt.want {
			t.Errorf("Share(%d, %d) = %q; want %q", tt.n, tt.of, got, tt.want)
		}
	}
}

func TestUrgencyLabel(t *testing.T) {
	tests := []struct {
		u    dissent.Urgency
		want string
	}{
		{dissent.Urgency{Level: dissent.UrgencyOverdue, Days: 3}, "Overdue 3 working days"},
		{dissent.Urgency{Level: dissent.UrgencyOverdue, Days: 1}, "Overdue 1 working day"},
		{dissent.Urgency{Level: dissent.UrgencyOverdue}, "Overdue"},
		{dissent.Urgency{Level: dissent.UrgencyToday}, "Due today"},
		{dissent.Urgency{Level: dissent.UrgencySoon, Days: 1}, "1 working day left"},
		{dissent.Urgency{Level: dissent.UrgencyLater, Days: 5}, "5 working days left"},
		{dissent.Urgency{Level: dissent.UrgencyNone}, "No deadline running"},
	}
	for _, tt := range tests {
		if got := tt.u.Label(); got != tt.want {
			t.Errorf("%+v.Label() = %q; want %q", tt.u, got, tt.want)
		}
	}
}
