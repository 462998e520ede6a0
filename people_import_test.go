package dissent_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

func parse(t *testing.T, csv string) ([]dissent.PersonInput, []int) {
	t.Helper()
	in, lines, err := dissent.ParsePeopleCSVLines(strings.NewReader(csv))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return in, lines
}

// TestImportSync: a sync updates, never removes the admin role, refuses an
// administrator granting themselves a content role, finds a cycle through
// the directory, and a dry run changes nothing.
func TestImportSync(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	admin := people["admin@state.example"]
	const head = "email,name,org,unit,supervisor,roles\n"

	in, lines := parse(t, head+"admin@state.example,Admin Renamed,state,,,employee\nnew@state.example,New,state,,,employee\n")
	rep, err := e.Svc.ImportPeople(ctx, dissent.System, in, lines, dissent.ImportOptions{Sync: true, DryRun: true})
	if err != nil || len(rep.Added) != 1 || len(rep.Updated) != 1 || !rep.DryRun {
		t.Fatalf("dry run = %+v, %v", rep, err)
	}
	if _, err := e.Svc.PersonByEmail(ctx, dissent.System, "new@state.example"); err == nil {
		t.Error("the dry run added a person")
	}
	if _, err := e.Svc.ImportPeople(ctx, dissent.System, in, lines, dissent.ImportOptions{Sync: true}); err != nil {
		t.Fatal(err)
	}
	p, _ := e.Svc.PersonByEmail(ctx, dissent.System, "admin@state.example")
	if p.Name != "Admin Renamed" || !p.Roles.Has(dissent.RoleAdmin) || !p.Roles.Has(dissent.RoleEmployee) {
		t.Errorf("after the sync the administrator is %+v; want renamed, still admin, and employee", p)
	}

	in, lines = parse(t, head+"admin@state.example,Admin,state,,,admin;auditor\n")
	_, err = e.Svc.ImportPeople(ctx, admin.Actor, in, lines, dissent.ImportOptions{Sync: true})
	var les dissent.LineErrors
	if !errors.As(err, &les) || len(les) != 1 || les[0].Line != 2 || les[0].Field != "roles" {
		t.Errorf("an administrator syncs themselves the auditor role: %v; want line 2, roles", err)
	}

	// boss supervises supervisor, who supervises the drafter: making boss
	// report to the drafter is a cycle through the directory.
	in, lines = parse(t, head+"boss@state.example,Boss,state,,drafter@state.example,employee;officer\n")
	_, err = e.Svc.ImportPeople(ctx, dissent.System, in, lines, dissent.ImportOptions{Sync: true})
	if !errors.As(err, &les) || len(les) != 1 || !strings.Contains(les[0].Message, "cycle") {
		t.Errorf("a cycle through the directory: %v", err)
	}

	_, err = e.Svc.ImportPeople(ctx, dissent.System, in, lines, dissent.ImportOptions{DeactivateMissing: true})
	wantKind(t, "--deactivate-missing without --sync", err, dissent.KindInvalid)
}
