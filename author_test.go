package dissent_test

import (
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestMessageViewCan: the actions a view offers are exactly the policy's
// answers for the reader, before and after submission.
func TestMessageViewCan(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	m := draft(t, e, p["drafter@state.example"], s[0])
	check := func(who string, want map[dissent.Action]bool) {
		t.Helper()
		a := p[who].Actor
		v, err := e.Svc.GetMessage(ctx, a, m.ID)
		if err != nil {
			t.Fatalf("GetMessage as %s: %v", who, err)
		}
		for _, act := range dissent.AllActions() {
			policy := dissent.OnMessage(act) && dissent.Decide(a.Roles, act, v.Facts)
			if got := v.Can[act]; got != policy {
				t.Errorf("%s: Can[%s] = %v; Decide says %v", who, act, got, policy)
			}
		}
		for act, w := range want {
			if v.Can[act] != w {
				t.Errorf("%s: Can[%s] = %v; want %v", who, act, v.Can[act], w)
			}
		}
	}
	check("drafter@state.example", map[dissent.Action]bool{dissent.ActEdit: true, dissent.ActSubmit: true, dissent.ActUnsign: false, dissent.ActAcknowledge: false})
	check(s[0], map[dissent.Action]bool{dissent.ActSign: true, dissent.ActEdit: false, dissent.ActReadNames: false})
	if _, err := e.Svc.GetMessage(ctx, p["officer@state.example"].Actor, m.ID); dissent.ErrorKind(err) != dissent.KindNotFound {
		t.Errorf("officer reads a draft: %v; want not found", err)
	}
	must(e.Svc.Submit(ctx, p["drafter@state.example"].Actor, m.ID, m.ContentHash))
	check("officer@state.example", map[dissent.Action]bool{dissent.ActAcknowledge: true, dissent.ActApproveReply: false, dissent.ActEdit: false})
	check("director@state.example", map[dissent.Action]bool{dissent.ActApproveReply: true, dissent.ActExtend: true})
	check("monitor@state.example", map[dissent.Action]bool{dissent.ActSee: true, dissent.ActReadText: false})
}

func TestInviteUnit(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter := p["drafter@state.example"]
	must(e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "pm", OrgID: "state", Name: "PM"}))
	must(e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "empty", OrgID: "state", Name: "Nobody"}))
	people := must(e.Svc.AddPeople(ctx, dissent.System, []dissent.PersonInput{
		{Email: "pm1@state.example", Name: "One", OrgID: "state", UnitID: "pm", Roles: []dissent.Role{dissent.RoleEmployee}},
		{Email: "pm2@state.example", Name: "Two", OrgID: "state", UnitID: "pm", Roles: []dissent.Role{dissent.RoleEmployee}},
		{Email: "pmofficer@state.example", Name: "Officer", OrgID: "state", UnitID: "pm", Roles: []dissent.Role{dissent.RoleOfficer}},
	}))
	m := draft(t, e, drafter)
	tests := []struct {
		name  string
		who   dissent.Actor
		unit  string
		kind  dissent.Kind
		field string
		added int
	}{
		{"malformed unit", drafter.Actor, "PM!", dissent.KindInvalid, "unit", 0},
		{"unknown unit", drafter.Actor, "nowhere", dissent.KindInvalid, "unit", 0},
		{"empty unit", drafter.Actor, "empty", dissent.KindUnprocessable, "unit", 0},
		{"outsider", p["outsider@state.example"].Actor, "pm", dissent.KindNotFound, "", 0},
		{"the unit's employees", drafter.Actor, "pm", 0, "", 2},
		{"again: nobody new", drafter.Actor, "pm", 0, "", 0},
	}
	for _, tt := range tests {
		n, err := e.Svc.InviteUnit(ctx, tt.who, m.ID, tt.unit)
		if tt.kind != 0 {
			if de := dissent.AsError(err); err == nil || de.Kind != tt.kind || de.Field != tt.field {
				t.Errorf("%s: InviteUnit error = %v; want kind %v on field %q", tt.name, err, tt.kind, tt.field)
			}
			continue
		}
		if err != nil || n != tt.added {
			t.Errorf("%s: InviteUnit = %d, %v; want %d invited", tt.name, n, err, tt.added)
		}
	}
	v := must(e.Svc.GetMessage(ctx, dissent.Actor{Person: people[0].Person}, m.ID))
	if v.State != dissent.StateCirculating || !v.Can[dissent.ActSign] {
		t.Errorf("an invited unit member sees state %s, may sign %v; want circulating, true", v.State, v.Can[dissent.ActSign])
	}
	if _, err := e.Svc.GetMessage(ctx, dissent.Actor{Person: people[2].Person}, m.ID); dissent.ErrorKind(err) != dissent.KindNotFound {
		t.Errorf("the unit's officer (no employee role) was invited: %v", err)
	}
}

func TestAutosave(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	drafter := p["drafter@state.example"].Actor
	m := draft(t, e, p["drafter@state.example"])
	got := must(e.Svc.Autosave(ctx, drafter, m.ID, dissent.Draft{Title: "On the war", Body: "Typed on."}))
	if got.Version != 2 {
		t.Errorf("autosave of a draft: version %d; want 2", got.Version)
	}
	_, err := e.Svc.Autosave(ctx, drafter, m.ID, dissent.Draft{Title: ""})
	wantKind(t, "autosave with no title", err, dissent.KindInvalid)
	_, err = e.Svc.Autosave(ctx, p["outsider@state.example"].Actor, m.ID, dissent.Draft{Title: "x"})
	wantKind(t, "autosave by an outsider", err, dissent.KindNotFound)
	must(e.Svc.Invite(ctx, drafter, m.ID, s))
	_, err = e.Svc.Autosave(ctx, drafter, m.ID, dissent.Draft{Title: "On the war", Body: "More."})
	wantKind(t, "autosave of a circulating message", err, dissent.KindConflict)
	if v := must(e.Svc.GetMessage(ctx, drafter, m.ID)); v.Version != 2 || v.Body.Reveal() != "Typed on." {
		t.Errorf("after a refused autosave: version %d, body changed %v", v.Version, v.Body.Reveal() != "Typed on.")
	}
}

// TestPrintMessageRecorded: a printout is a recorded read, even the
// drafter's own.
func TestPrintMessageRecorded(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter := p["drafter@state.example"].Actor
	m := draft(t, e, p["drafter@state.example"])
	if _, err := e.Svc.PrintMessage(ctx, p["outsider@state.example"].Actor, m.ID); dissent.ErrorKind(err) != dissent.KindNotFound {
		t.Errorf("outsider prints: %v; want not found", err)
	}
	v := must(e.Svc.PrintMessage(ctx, drafter, m.ID))
	if v.Body.Reveal() != "We recommend a ceasefire." {
		t.Errorf("printed body = %q", v.Body.Reveal())
	}
	log := must(e.Svc.AccessLog(ctx, drafter, m.ID))
	if len(log) != 1 || log[0].Kind != "print" {
		t.Errorf("access log after a print = %+v; want one print", log)
	}
}
