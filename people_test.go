package dissent_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestDeploymentActsForbiddenForOthers: every use case that concerns no
// one message answers the one refusal, Forbidden (403), to anyone whose
// roles do not open it, before it reads anything: the directory, the
// credentials of others, the vocabulary, the audit overview, the office's
// lists and figures, drafting. (Before issue 18 some answered NotFound and
// some Forbidden.) Nothing is revealed: the refusal comes before the
// first read, whatever the arguments name.
func TestDeploymentActsForbiddenForOthers(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 1)
	ctx := context.Background()
	calls := []struct {
		name string
		call func(a dissent.Actor) error
		may  []string // the people of the cast who are not refused (their call may still fail otherwise)
	}{
		{"ListOrgs", func(a dissent.Actor) error { _, err := e.Svc.ListOrgs(ctx, a); return err }, []string{"admin"}},
		{"GetOrg", func(a dissent.Actor) error { _, err := e.Svc.GetOrg(ctx, a, "state"); return err }, []string{"admin"}},
		{"AddOrg", func(a dissent.Actor) error {
			_, err := e.Svc.AddOrg(ctx, a, dissent.OrgInput{ID: "neworg-" + strconv.Itoa(int(a.ID)), Name: "N"})
			return err
		}, []string{"admin"}},
		{"AddUnit", func(a dissent.Actor) error {
			_, err := e.Svc.AddUnit(ctx, a, dissent.UnitInput{ID: "newunit-" + strconv.Itoa(int(a.ID)), OrgID: "state", Name: "N"})
			return err
		}, []string{"admin"}},
		{"AddClosure", func(a dissent.Actor) error {
			return e.Svc.AddClosure(ctx, a, "state", "2030-01-0"+strconv.Itoa(int(a.ID)%9+1), "")
		}, []string{"admin"}},
		{"RemoveClosure", func(a dissent.Actor) error { return e.Svc.RemoveClosure(ctx, a, "state", "2030-01-01") }, []string{"admin"}},
		{"SetTimeZone", func(a dissent.Actor) error { return e.Svc.SetTimeZone(ctx, a, "state", "UTC") }, []string{"admin"}},
		{"SetOIDCProvider", func(a dissent.Actor) error {
			return e.Svc.SetOIDCProvider(ctx, a, dissent.OIDCProvider{OrgID: "state", Issuer: "https://idp.example", ClientID: "c"})
		}, []string{"admin"}},
		{"SearchPeople", func(a dissent.Actor) error { _, err := e.Svc.SearchPeople(ctx, a, dissent.PeopleQuery{}); return err }, []string{"admin"}},
		{"PersonDetail", func(a dissent.Actor) error { _, err := e.Svc.PersonDetail(ctx, a, a.ID); return err }, []string{"admin"}},
		{"PersonByEmail", func(a dissent.Actor) error {
			_, err := e.Svc.PersonByEmail(ctx, a, "drafter@state.example")
			return err
		}, []string{"admin"}},
		{"AddPeople", func(a dissent.Actor) error {
			_, err := e.Svc.AddPeople(ctx, a, []dissent.PersonInput{{Email: "new" + strconv.Itoa(int(a.ID)) + "@state.example", Name: "N", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}}})
			return err
		}, []string{"admin"}},
		{"ImportPeople", func(a dissent.Actor) error {
			_, err := e.Svc.ImportPeople(ctx, a, nil, nil, dissent.ImportOptions{DryRun: true})
			return err
		}, []string{"admin"}},
		{"SetRoles", func(a dissent.Actor) error {
			_, err := e.Svc.SetRoles(ctx, a, people["drafter@state.example"].ID, []dissent.Role{dissent.RoleEmployee})
			return err
		}, []string{"admin"}},
		{"SetSupervisor", func(a dissent.Actor) error { return e.Svc.SetSupervisor(ctx, a, a.ID, "") }, []string{"admin"}},
		{"SetUnit", func(a dissent.Actor) error { return e.Svc.SetUnit(ctx, a, a.ID, "") }, []string{"admin"}},
		{"UpdatePerson", func(a dissent.Actor) error {
			_, err := e.Svc.UpdatePerson(ctx, a, a.ID, dissent.PersonUpdate{})
			return err
		}, []string{"admin"}},
		{"ReactivatePerson", func(a dissent.Actor) error { return e.Svc.ReactivatePerson(ctx, a, a.ID) }, []string{"admin"}},
		{"DeactivatePerson", func(a dissent.Actor) error { return e.Svc.DeactivatePerson(ctx, a, 999999) }, []string{"admin"}},
		{"IssueToken", func(a dissent.Actor) error { _, err := e.Svc.IssueToken(ctx, a, "drafter@state.example"); return err }, nil},
		{"TokensOf", func(a dissent.Actor) error { _, err := e.Svc.TokensOf(ctx, a, "drafter@state.example"); return err }, []string{"admin"}},
		{"RevokeTokenOf", func(a dissent.Actor) error {
			return e.Svc.RevokeTokenOf(ctx, a, "drafter@state.example", "0123456789abcdef")
		}, []string{"admin"}},
		{"IssueSignInLinkFor", func(a dissent.Actor) error {
			_, err := e.Svc.IssueSignInLinkFor(ctx, a, people["drafter@state.example"].ID)
			return err
		}, []string{"admin"}},
		{"RequestSignInLink", func(a dissent.Actor) error { _, err := e.Svc.RequestSignInLink(ctx, a, 999999); return err }, []string{"admin"}},
		{"ApproveSignInLink", func(a dissent.Actor) error { _, err := e.Svc.ApproveSignInLink(ctx, a, 999999); return err }, []string{"admin"}},
		{"CancelSignInLink", func(a dissent.Actor) error { return e.Svc.CancelSignInLink(ctx, a, 999999) }, []string{"admin"}},
		{"CredentialRequests", func(a dissent.Actor) error { _, err := e.Svc.CredentialRequests(ctx, a, a.ID); return err }, []string{"admin"}},
		{"PendingRequests", func(a dissent.Actor) error { _, err := e.Svc.PendingRequests(ctx, a); return err }, []string{"admin"}},
		{"AdminVocabulary", func(a dissent.Actor) error { _, err := e.Svc.AdminVocabulary(ctx, a); return err }, []string{"admin"}},
		{"AuditOverview", func(a dissent.Actor) error { _, err := e.Svc.AuditOverview(ctx, a, 0, 0); return err }, []string{"auditor"}},
		{"Inbox", func(a dissent.Actor) error { _, err := e.Svc.Inbox(ctx, a, dissent.InboxFilter{}); return err }, []string{"officer", "director"}},
		{"InboxExport", func(a dissent.Actor) error { _, err := e.Svc.InboxExport(ctx, a, dissent.InboxFilter{}); return err }, []string{"officer", "director"}},
		{"Statistics", func(a dissent.Actor) error { _, err := e.Svc.Statistics(ctx, a, dissent.StatsFilter{}); return err }, []string{"officer", "director", "monitor"}},
		{"Distributed", func(a dissent.Actor) error { _, err := e.Svc.Distributed(ctx, a); return err }, []string{"principal"}},
		{"ReviewerConsultations", func(a dissent.Actor) error { _, err := e.Svc.ReviewerConsultations(ctx, a); return err }, []string{"reviewer"}},
		{"RotateKeys", func(a dissent.Actor) error { _, err := e.Svc.RotateKeys(ctx, a, "none", nil); return err }, nil},
		{"SignInAs", func(a dissent.Actor) error { _, err := e.Svc.SignInAs(ctx, a, a.ID, ""); return err }, nil},
	}
	cast := []string{"drafter", "officer", "director", "principal", "reviewer", "auditor", "monitor", "admin"}
	for _, c := range calls {
		for _, who := range cast {
			p, ok := people[who+"@state.example"]
			if !ok {
				t.Fatalf("no %s in the cast", who)
			}
			if slices.Contains(c.may, who) {
				continue
			}
			err := c.call(p.Actor)
			if k := dissent.ErrorKind(err); k != dissent.KindForbidden {
				t.Errorf("%s by %s: %v (kind %s); want forbidden", c.name, who, err, k)
			}
		}
		// The zero Actor, whose id is the deployment's, holds no role.
		if err := c.call(dissent.Actor{}); dissent.ErrorKind(err) != dissent.KindForbidden {
			t.Errorf("%s by the zero Actor: %v; want forbidden", c.name, err)
		}
		for _, who := range c.may {
			if err := c.call(people[who+"@state.example"].Actor); dissent.ErrorKind(err) == dissent.KindForbidden {
				t.Errorf("%s by %s: %v; want no refusal", c.name, who, err)
			}
		}
	}
	// The one-click sign-in of the demo is the deployment's alone.
	_, err := e.Svc.SignInAs(ctx, people["admin@state.example"].Actor, people["drafter@state.example"].ID, "")
	wantKind(t, "an administrator's SignInAs", err, dissent.KindForbidden)
	a, err := e.Svc.SignInAs(ctx, dissent.System, people["drafter@state.example"].ID, "")
	if err != nil || a.Email != "drafter@state.example" {
		t.Errorf("System SignInAs = %v, %v", a.Email, err)
	}
}

func TestSetRolesRules(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	admin := people["admin@state.example"].Actor
	for _, r := range dissent.ContentRoles {
		_, err := e.Svc.SetRoles(ctx, admin, admin.ID, []dissent.Role{dissent.RoleAdmin, r})
		wantKind(t, "self-grant "+string(r), err, dissent.KindForbidden)
	}
	// The command line may; then the administrator may keep the role.
	if _, err := e.Svc.SetRoles(ctx, dissent.System, admin.ID, []dissent.Role{dissent.RoleAdmin, dissent.RoleMonitor}); err != nil {
		t.Fatalf("System grants monitor: %v", err)
	}
	admin.Roles = dissent.Roles{dissent.RoleAdmin, dissent.RoleMonitor}
	if _, err := e.Svc.SetRoles(ctx, admin, admin.ID, []dissent.Role{dissent.RoleAdmin, dissent.RoleMonitor, dissent.RoleEmployee}); err != nil {
		t.Errorf("keeping a role granted by another: %v", err)
	}
	_, err := e.Svc.SetRoles(ctx, admin, admin.ID, []dissent.Role{dissent.RoleEmployee})
	wantKind(t, "the last administrator drops the role", err, dissent.KindConflict)
	_, err = e.Svc.SetRoles(ctx, admin, people["officer@state.example"].ID, nil)
	wantKind(t, "no roles", err, dissent.KindInvalid)
	p, err := e.Svc.SetRoles(ctx, admin, people["officer@state.example"].ID, []dissent.Role{dissent.RoleOfficer, dissent.RoleDirector, dissent.RoleOfficer})
	if err != nil || p.Roles.String() != "officer;director" {
		t.Errorf("SetRoles(officer, director, officer) = %v, %v", p.Roles, err)
	}
}

func TestSetSupervisorRefusesCycles(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	id := func(email string) dissent.PersonID { return people[email].ID }
	// boss ← supervisor ← drafter
	for _, tt := range []struct {
		who, sup string
		kind     dissent.Kind
	}{
		{"boss@state.example", "drafter@state.example", dissent.KindInvalid},
		{"boss@state.example", "boss@state.example", dissent.KindInvalid},
		{"boss@state.example", "nobody@state.example", dissent.KindInvalid},
		{"boss@state.example", "not an address", dissent.KindInvalid},
		{"drafter@state.example", "boss@state.example", 0},
		{"drafter@state.example", "", 0},
	} {
		err := e.Svc.SetSupervisor(ctx, dissent.System, id(tt.who), tt.sup)
		if tt.kind == 0 {
			if err != nil {
				t.Errorf("SetSupervisor(%s, %q) = %v", tt.who, tt.sup, err)
			}
			continue
		}
		wantKind(t, "SetSupervisor("+tt.who+", "+tt.sup+")", err, tt.kind)
	}
}

func TestSearchPeopleLimits(t *testing.T) {
	e := servicetest.New(t)
	e.Cast(t, 0)
	ctx := context.Background()
	for _, q := range []dissent.PeopleQuery{{Limit: -1}, {Limit: dissent.MaxPageSize + 1}, {Role: "wizard"}, {Prefix: "a\x00"}} {
		_, err := e.Svc.SearchPeople(ctx, dissent.System, q)
		wantKind(t, "SearchPeople", err, dissent.KindInvalid)
	}
	pg, err := e.Svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{Prefix: " OFFICER", Limit: 1})
	if err != nil || len(pg.People) != 1 || pg.People[0].Email != "officer2@state.example" && pg.People[0].Email != "officer@state.example" || pg.Next == "" || pg.Total != 12 {
		t.Errorf("SearchPeople(OFFICER, 1) = %+v, %v; want one officer, a next page, total 12", pg, err)
	}
}
