package dissent_test

import (
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestDuplicatesWorded: the store answers a repeated unique key only with
// ErrDuplicate; the Service says what exists, as a Conflict naming the field.
func TestDuplicatesWorded(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	drafter, officer, signer := p["drafter@state.example"], p["officer@state.example"], p[s[0]]
	m := draft(t, e, drafter, s[0])
	tests := []struct {
		name        string
		exists      bool // the cast holds it already; else the first call makes it
		do          func() error
		code, field string
		message     string
	}{
		{"org", true, func() error {
			_, err := e.Svc.AddOrg(ctx, dissent.System, dissent.OrgInput{ID: "state", Name: "Again"})
			return err
		}, "exists", "id", "an organization with id state already exists"},
		{"unit", false, func() error {
			_, err := e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "pm", OrgID: "state", Name: "PM"})
			return err
		}, "exists", "id", "a unit with id pm already exists"},
		{"closure", false, func() error {
			return e.Svc.AddClosure(ctx, dissent.System, "state", "2030-01-02", "Snow")
		}, "exists", "date", "that day is already a closure"},
		{"person", true, func() error {
			_, err := e.Svc.AddPeople(ctx, dissent.System, []dissent.PersonInput{{Email: "officer@state.example", Name: "Again", OrgID: "state", Roles: dissent.Roles{dissent.RoleOfficer}}})
			return err
		}, "exists", "email", "a person with e-mail officer@state.example already exists"},
		{"co-author", false, func() error {
			return e.Svc.AddCoauthor(ctx, drafter.Actor, m.ID, "outsider@state.example")
		}, "exists", "email", "already a co-author"},
		{"signature", false, func() error {
			_, err := e.Svc.Sign(ctx, signer.Actor, m.ID, m.ContentHash, 0)
			return err
		}, "already_signed", "", "you have already signed this version"},
		{"feed", false, func() error {
			_, err := e.Svc.AddFeed(ctx, officer.Actor, "https://news.example/feed.xml")
			return err
		}, "exists", "url", "this feed is already polled"},
		{"passkey", false, func() error {
			return e.Svc.AddPasskey(ctx, drafter.Actor, dissent.Passkey{ID: []byte("pk-1"), Credential: []byte("{}")})
		}, "exists", "passkey", "this passkey is already registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.exists {
				if err := tt.do(); err != nil {
					t.Fatalf("first time: %v", err)
				}
			}
			err := tt.do()
			de := dissent.AsError(err)
			if err == nil || de.Kind != dissent.KindConflict || de.Code != tt.code || de.Field != tt.field || de.Message != tt.message {
				t.Errorf("second time: %#v; want a conflict %s on %q: %q", de, tt.code, tt.field, tt.message)
			}
		})
	}
}
