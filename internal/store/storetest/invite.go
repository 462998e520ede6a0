package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testUnitMembers: the people of one unit (not its sub-units) with a role.
func testUnitMembers(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	seed(t, s)
	var in, officer, sub dissent.PersonID
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.CreateUnit(ctx, dissent.Unit{ID: "pm", OrgID: "state", Name: "PM"}); err != nil {
			return err
		}
		if err := tx.CreateUnit(ctx, dissent.Unit{ID: "pm-sub", OrgID: "state", Name: "PM sub", ParentID: "pm"}); err != nil {
			return err
		}
		if err := tx.CreateUnit(ctx, dissent.Unit{ID: "empty", OrgID: "state", Name: "Empty"}); err != nil {
			return err
		}
		var err error
		mk := func(email, unit string, roles ...dissent.Role) dissent.PersonID {
			if err != nil {
				return 0
			}
			var id dissent.PersonID
			id, err = tx.CreatePerson(ctx, dissent.Person{Email: email, Name: email, OrgID: "state", UnitID: unit, Roles: roles, Created: t0})
			return id
		}
		in = mk("in@x.example", "pm", dissent.RoleEmployee, dissent.RoleOfficer)
		officer = mk("officer@x.example", "pm", dissent.RoleOfficer)
		sub = mk("sub@x.example", "pm-sub", dissent.RoleEmployee)
		return err
	})
	view(t, s, func(tx dissent.Tx) error {
		tests := []struct {
			unit string
			role dissent.Role
			want []dissent.PersonID
		}{
			{"pm", dissent.RoleEmployee, []dissent.PersonID{in}},
			{"pm", dissent.RoleOfficer, []dissent.PersonID{in, officer}},
			{"pm-sub", dissent.RoleEmployee, []dissent.PersonID{sub}},
			{"empty", dissent.RoleEmployee, nil},
			{"nowhere", dissent.RoleEmployee, nil},
		}
		for _, tt := range tests {
			got, err := tx.UnitMembers(ctx, tt.unit, tt.role)
			if err != nil {
				return err
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("UnitMembers(%s, %s) = %v; want %v", tt.unit, tt.role, got, tt.want)
			}
		}
		return nil
	})
}
