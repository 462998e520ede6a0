package web

import (
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

func TestDeadlineBadge(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("load America/New_York: %v", err)
	}
	due := time.Date(2023, 11, 7, 23, 59, 59, 0, ny) // end of Tuesday in Washington
	tests := []struct {
		name     string
		met, now time.Time
		want     string
	}{
		{"days ahead", time.Time{}, time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC), "on time"},
		{"within three days", time.Time{}, time.Date(2023, 11, 6, 12, 0, 0, 0, time.UTC), "due soon"},
		{"the same day in Washington", time.Time{}, time.Date(2023, 11, 7, 15, 0, 0, 0, time.UTC), "due today"},
		{"evening in Washington, already the 8th in UTC", time.Time{}, time.Date(2023, 11, 8, 3, 0, 0, 0, time.UTC), "due today"},
		{"past", time.Time{}, time.Date(2023, 11, 8, 5, 0, 0, 0, time.UTC), "overdue"},
		{"met in time", time.Date(2023, 11, 6, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), "met"},
		{"met late", time.Date(2023, 11, 9, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), "met late"},
	}
	for _, tt := range tests {
		if got := deadlineBadge(due, tt.met, tt.now).Label; got != tt.want {
			t.Errorf("%s: deadlineBadge(%v, met %v, now %v) = %q; want %q", tt.name, due, tt.met, tt.now, got, tt.want)
		}
	}
	if got := deadlineBadge(time.Time{}, time.Time{}, time.Now()); got.Label != "" {
		t.Errorf("no deadline: badge %q; want none", got.Label)
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a@x.example", []string{"a@x.example"}},
		{"a@x.example, b@x.example;c@x.example\r\nd@x.example\te@x.example", []string{"a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example"}},
		{" ,;\n ", nil},
	}
	for _, tt := range tests {
		got := splitList(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("splitList(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSplitList(f *testing.F) {
	f.Add("a@x.example, b@x.example\nc@x.example")
	f.Add(";;,\t")
	f.Fuzz(func(t *testing.T, s string) {
		for _, item := range splitList(s) {
			if item == "" || strings.ContainsAny(item, ",; \n\r\t") {
				t.Fatalf("splitList(%q) has the item %q", s, item)
			}
			if !strings.Contains(s, item) {
				t.Fatalf("splitList(%q) made up %q", s, item)
			}
		}
	})
}

func TestClockBadges(t *testing.T) {
	due := time.Date(2023, 11, 7, 23, 59, 0, 0, time.UTC)
	later := due.Add(48 * time.Hour)
	tests := []struct {
		state          dissent.State
		acked, replied time.Time
		ack, reply     string
	}{
		{dissent.StateSubmitted, time.Time{}, time.Time{}, "overdue", "overdue"},
		{dissent.StateAcknowledged, due, time.Time{}, "met", "overdue"},
		{dissent.StateReplied, due, later, "met", "met late"},
		{dissent.StateWithdrawn, time.Time{}, time.Time{}, "", ""},
		{dissent.StateRedirected, due, time.Time{}, "met", ""},
		{dissent.StateClosed, due, due, "met", "met"},
	}
	for _, tt := range tests {
		m := dissent.Message{State: tt.state, AcknowledgeBy: due, ReplyBy: due, AcknowledgedAt: tt.acked, RepliedAt: tt.replied}
		ack, reply := clockBadges(m, later.Add(time.Hour))
		if ack.Label != tt.ack || reply.Label != tt.reply {
			t.Errorf("clockBadges(%s) = %q, %q; want %q, %q", tt.state, ack.Label, reply.Label, tt.ack, tt.reply)
		}
	}
}
