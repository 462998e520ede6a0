package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// testDirectory covers dissent.DirectoryTx: units, the people search with
// its pages and filters, roles, units of people, zones, closures and
// recent events.
func testDirectory(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	update(t, s, func(tx dissent.Tx) error {
		for _, u := range []dissent.Unit{{ID: "b", OrgID: "state", Name: "B"}, {ID: "a", OrgID: "state", Name: "A", ParentID: "b"}, {ID: "k", OrgID: "usaid", Name: "Kenya"}} {
			if err := tx.CreateUnit(ctx, u); err != nil {
				return err
			}
		}
		for i := range 25 {
			org := "state"
			if i%5 == 0 {
				org = "usaid"
			}
			roles := []dissent.Role{dissent.RoleEmployee}
			if i == 7 {
				roles = append(roles, dissent.RoleAuditor)
			}
			if _, err := tx.CreatePerson(ctx, dissent.Person{Email: fmt.Sprintf("p%02d@y.example", i), Name: fmt.Sprintf("Person_%02d", i), OrgID: org, Roles: roles, Created: t0}); err != nil {
				return err
			}
		}
		_, err := tx.CreatePerson(ctx, dissent.Person{Email: "zoe@y.example", Name: "Ångström Zoe", OrgID: "state", Roles: []dissent.Role{dissent.RoleAdmin}, Created: t0})
		return err
	})
	view(t, s, func(tx dissent.Tx) error {
		us, err := tx.Units(ctx, "state")
		if err != nil || len(us) != 2 || us[0].ID != "a" || us[0].ParentID != "b" || us[1].ParentID != "" {
			t.Errorf("Units(state) = %+v, %v; want a (under b), b", us, err)
		}
		if us, err := tx.Units(ctx, "nowhere"); err != nil || len(us) != 0 {
			t.Errorf("Units(nowhere) = %+v, %v; want none", us, err)
		}
		// Pages of 10 in e-mail order cover the 25 exactly once.
		var all []string
		after := ""
		for range 10 {
			ps, err := tx.SearchPeople(ctx, dissent.PeopleQuery{Prefix: "p", After: after, Limit: 10})
			if err != nil {
				return err
			}
			for _, p := range ps {
				all = append(all, p.Email)
				if len(p.Roles) == 0 {
					t.Errorf("SearchPeople: %s has no roles", p.Email)
				}
			}
			if len(ps) < 10 {
				break
			}
			after = ps[len(ps)-1].Email
		}
		if len(all) != 25 || !slices.IsSorted(all) || all[0] != "p00@y.example" {
			t.Errorf("pages of prefix p = %v; want p00..p24 in order", all)
		}
		for _, tt := range []struct {
			q    dissent.PeopleQuery
			want int
		}{
			{dissent.PeopleQuery{Prefix: "p1"}, 10},
			{dissent.PeopleQuery{Prefix: "person_1"}, 10}, // by name, case folded
			{dissent.PeopleQuery{Prefix: "person%"}, 0},   // LIKE wildcards are literal
			{dissent.PeopleQuery{Prefix: "person_"}, 25},
			{dissent.PeopleQuery{Prefix: "p", OrgID: "usaid"}, 5},
			{dissent.PeopleQuery{Role: dissent.RoleAuditor}, 1},
			{dissent.PeopleQuery{Prefix: "zoe"}, 1},
			{dissent.PeopleQuery{}, 30},
			{dissent.PeopleQuery{Limit: 3}, 3},
		} {
			ps, err := tx.SearchPeople(ctx, tt.q)
			if err != nil || len(ps) != tt.want {
				t.Errorf("SearchPeople(%+v) = %d people, %v; want %d", tt.q, len(ps), err, tt.want)
			}
		}
		if ps, _ := tx.SearchPeople(ctx, dissent.PeopleQuery{Role: dissent.RoleAuditor}); len(ps) == 1 && (ps[0].Email != "p07@y.example" || ps[0].Roles.String() != "employee;auditor") {
			t.Errorf("auditor = %+v", ps[0])
		}
		for org, want := range map[string]int{"": 30, "state": 25, "usaid": 5} {
			if n, err := tx.CountPeople(ctx, org); err != nil || n != want {
				t.Errorf("CountPeople(%q) = %d, %v; want %d", org, n, err, want)
			}
		}
		return nil
	})
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.SetRoles(ctx, f.other, dissent.Roles{dissent.RoleEmployee, dissent.RoleReviewer}); err != nil {
			return err
		}
		if err := tx.SetUnit(ctx, f.other, "a"); err != nil {
			return err
		}
		if err := tx.SetOrgTimeZone(ctx, "usaid", "Africa/Nairobi"); err != nil {
			return err
		}
		for _, d := range []string{"2030-01-03", "2030-01-02"} {
			if err := tx.AddClosure(ctx, "state", d, "snow "+d); err != nil {
				return err
			}
		}
		return tx.RemoveClosure(ctx, "state", "2030-01-03")
	})
	view(t, s, func(tx dissent.Tx) error {
		p, err := tx.Person(ctx, f.other)
		if err != nil || p.Roles.String() != "employee;reviewer" || p.UnitID != "a" {
			t.Errorf("after SetRoles and SetUnit: %+v, %v", p, err)
		}
		if o, err := tx.Org(ctx, "usaid"); err != nil || o.TimeZone != "Africa/Nairobi" {
			t.Errorf("after SetOrgTimeZone: %+v, %v", o, err)
		}
		cs, err := tx.ClosureList(ctx, "state")
		if err != nil || len(cs) != 1 || cs[0] != (dissent.Closure{Date: "2030-01-02", Reason: "snow 2030-01-02"}) {
			t.Errorf("ClosureList = %+v, %v", cs, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx dissent.Tx) error { return tx.RemoveClosure(ctx, "state", "2030-01-03") })
	if kindOf(err) != dissent.KindNotFound {
		t.Errorf("RemoveClosure of a day that is none: %v; want NotFound", err)
	}
	err = s.Update(ctx, func(tx dissent.Tx) error { return tx.SetOrgTimeZone(ctx, "nowhere", "UTC") })
	if kindOf(err) != dissent.KindNotFound {
		t.Errorf("SetOrgTimeZone of a missing org: %v; want NotFound", err)
	}
	err = s.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.SetUnit(ctx, f.other, ""); err != nil {
			return err
		}
		p, err := tx.Person(ctx, f.other)
		if err == nil && p.UnitID != "" {
			t.Errorf("SetUnit(\"\") left unit %q", p.UnitID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Recent events: newest first, pages by index, protected actors hidden.
	m := newMessage(t, s, f.drafter, mid(9))
	update(t, s, func(tx dissent.Tx) error {
		for i := range 5 {
			if err := tx.AppendEvent(ctx, dissent.Event{At: t0.Add(time.Duration(i) * time.Minute), ActorID: f.sup, ActorRole: dissent.RoleAdmin, Kind: "person.added", Detail: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return tx.AppendEvent(ctx, dissent.Event{At: t0.Add(time.Hour), ActorID: f.drafter, ActorEmail: "drafter@x.example", ActorRole: dissent.RoleEmployee,
			Kind: "signature.added", MessageID: m.ID, Protected: true})
	})
	integrate(t, s)
	view(t, s, func(tx dissent.Tx) error {
		n, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		// Sequence numbers start at 1; with every entry integrated, entry
		// n is leaf n-1.
		es, err := tx.RecentEvents(ctx, n+1, 3)
		if err != nil || len(es) != 3 {
			t.Fatalf("RecentEvents(%d, 3) = %d events, %v", n, len(es), err)
		}
		if es[0].ID != n || es[0].Leaf != n-1 || es[0].Kind != "signature.added" || !es[0].Protected || es[0].ActorID != 0 || es[0].MessageID != m.ID {
			t.Errorf("newest event = %+v; want the protected signature without its actor", es[0])
		}
		if es[1].ID != n-1 || es[1].ActorID != f.sup || es[1].Detail != "4" || es[1].Protected || !es[1].At.Equal(t0.Add(4*time.Minute)) {
			t.Errorf("second event = %+v", es[1])
		}
		older, err := tx.RecentEvents(ctx, es[2].ID, 100)
		if err != nil || int64(len(older)) != es[2].ID-1 || (len(older) > 0 && older[len(older)-1].ID != 1) {
			t.Errorf("RecentEvents(before %d) = %d events, %v", es[2].ID, len(older), err)
		}
		return nil
	})
}
