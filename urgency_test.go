package dissent_test

import (
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
)

// TestUrgencyOf counts working days left and overdue on the Washington
// calendar, across weekends, federal holidays and an extra closure.
func TestUrgencyOf(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := deadline.New(ny, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := deadline.New(ny, []string{"2023-11-22"}) // the day before Thanksgiving, closed by order
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	end := func(s string) time.Time { return at(s + " 23:59").Add(time.Minute - time.Nanosecond) }
	tests := []struct {
		name  string
		cal   dissent.Calendar
		state dissent.State
		due   string // end of this day
		now   string
		want  string
	}{
		{"due later today", plain, dissent.StateSubmitted, "2023-11-07", "2023-11-07 09:00", "Due today"},
		{"one minute before the end", plain, dissent.StateSubmitted, "2023-11-07", "2023-11-07 23:59", "Due today"},
		{"tomorrow", plain, dissent.StateSubmitted, "2023-11-07", "2023-11-06 17:00", "1 working day left"},
		{"over a weekend", plain, dissent.StateSubmitted, "2023-11-07", "2023-11-03 17:00", "2 working days left"},
		{"over Veterans Day observed", plain, dissent.StateAcknowledged, "2023-11-14", "2023-11-09 12:00", "2 working days left"},
		{"over Thanksgiving", plain, dissent.StateAcknowledged, "2023-11-27", "2023-11-21 12:00", "3 working days left"},
		{"over Thanksgiving and a closure", closed, dissent.StateAcknowledged, "2023-11-27", "2023-11-21 12:00", "2 working days left"},
		{"just overdue", plain, dissent.StateSubmitted, "2023-11-07", "2023-11-08 00:00", "Overdue 1 working day"},
		{"overdue on a weekend", plain, dissent.StateSubmitted, "2023-11-03", "2023-11-04 10:00", "Overdue"},
		{"overdue across Juneteenth", plain, dissent.StateAcknowledged, "2024-06-17", "2024-06-21 10:00", "Overdue 3 working days"},
		{"overdue over the year's end", plain, dissent.StateAcknowledged, "2023-12-22", "2024-01-02 10:00", "Overdue 5 working days"},
		{"replied: no clock", plain, dissent.StateReplied, "2023-11-07", "2023-12-01 10:00", "No deadline running"},
		{"closed: no clock", plain, dissent.StateClosed, "2023-11-07", "2023-12-01 10:00", "No deadline running"},
	}
	for _, tt := range tests {
		m := dissent.MessageMeta{State: tt.state, AcknowledgeBy: end(tt.due), ReplyBy: end(tt.due)}
		got := dissent.UrgencyOf(tt.cal, m, at(tt.now)).Label()
		if got != tt.want {
			t.Errorf("%s: urgencyOf(due end of %s, at %s) = %q; want %q", tt.name, tt.due, tt.now, got, tt.want)
		}
	}
}
