package dissent_test

import (
	"context"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestDirectoryNotFoundForOthers: the directory's use cases answer
// NotFound to anyone but an administrator, and the audit overview to
// anyone but an auditor, so that no page reveals what it would show.
func TestDirectoryNotFoundForOthers(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 1)
	ctx := context.Background()
	for _, email := range []string{"drafter@state.example", "officer@state.example", "auditor@state.example", "monitor@state.example"} {
		a := people[email].Actor
		_, err := e.Svc.ListOrgs(ctx, a)
		wantKind(t, email+" ListOrgs", err, dissent.KindNotFound)
		_, err = e.Svc.GetOrg(ctx, a, "state")
		wantKind(t, email+" GetOrg", err, dissent.KindNotFound)
		_, err = e.Svc.SearchPeople(ctx, a, dissent.PeopleQuery{})
		wantKind(t, email+" SearchPeople", err, dissent.KindNotFound)
		_, err = e.Svc.PersonDetail(ctx, a, a.ID)
		wantKind(t, email+" PersonDetail", err, dissent.KindNotFound)
		_, err = e.Svc.SetRoles(ctx, a, a.ID, []dissent.Role{dissent.RoleAdmin})
		wantKind(t, email+" SetRoles", err, dissent.KindNotFound)
		wantKind(t, email+" SetSupervisor", e.Svc.SetSupervisor(ctx, a, a.ID, ""), dissent.KindNotFound)
		wantKind(t, email+" SetUnit", e.Svc.SetUnit(ctx, a, a.ID, ""), dissent.KindNotFound)
		wantKind(t, email+" SetTimeZone", e.Svc.SetTimeZone(ctx, a, "state", "UTC"), dissent.KindNotFound)
		wantKind(t, email+" RemoveClosure", e.Svc.RemoveClosure(ctx, a, "state", "2030-01-01"), dissent.KindNotFound)
		if email != "auditor@state.example" {
			_, err = e.Svc.AuditOverview(ctx, a, 0, 0)
			wantKind(t, email+" AuditOverview", err, dissent.KindNotFound)
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
