package auditlog

import (
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// TestReplayOrder feeds the replay entries out of order: a message's times
// going backwards beyond the slack, and lifecycle steps out of order, are
// named with the entry's index; the same entries in order pass.
func TestReplayOrder(t *testing.T) {
	t0 := time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC)
	rec := func(kind string, at time.Time) dissent.EntryRecord {
		return dissent.EntryRecord{V: dissent.EntryVersion, At: at.Format(time.RFC3339Nano), Kind: kind, Message: "m1"}
	}
	tests := []struct {
		name    string
		entries []dissent.EntryRecord
		want    string
	}{
		{"in order", []dissent.EntryRecord{rec("message.created", t0), rec("message.submitted", t0.Add(time.Hour)), rec("message.acknowledged", t0.Add(2*time.Hour))}, ""},
		{"within the slack", []dissent.EntryRecord{rec("message.created", t0), rec("read.text", t0.Add(time.Second)), rec("read.text", t0)}, ""},
		{"time goes backwards", []dissent.EntryRecord{rec("message.created", t0), rec("message.submitted", t0.Add(-time.Hour))}, "backwards"},
		{"acknowledged before submitted", []dissent.EntryRecord{rec("message.created", t0), rec("message.acknowledged", t0.Add(time.Hour))}, "acknowledged while draft"},
		{"submitted twice", []dissent.EntryRecord{rec("message.created", t0), rec("message.submitted", t0.Add(time.Hour)), rec("message.submitted", t0.Add(2*time.Hour))}, "submitted while submitted"},
		{"an act before creation", []dissent.EntryRecord{rec("message.submitted", t0)}, "before its creation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReplay()
			var err error
			for i, e := range tt.entries {
				if err = r.apply(int64(i), e); err != nil {
					break
				}
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("replay = %v; want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("replay = %v; want %q", err, tt.want)
			}
		})
	}
}
