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

// testOwnSignature: a person's newest active signature on a message.
func testOwnSignature(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	check := func(what string, person dissent.PersonID, wantV, wantMin int) {
		t.Helper()
		view(t, s, func(tx dissent.Tx) error {
			v, min, err := tx.OwnSignature(ctx, m.ID, person)
			if err != nil || v != wantV || min != wantMin {
				t.Errorf("%s: OwnSignature = %d, %d, %v; want %d, %d", what, v, min, err, wantV, wantMin)
			}
			return nil
		})
	}
	check("the drafter", f.drafter, 1, 0)
	check("someone who never signed", f.other, 0, 0)
	update(t, s, func(tx dissent.Tx) error {
		return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: f.other, ContentHash: m.ContentHash, MinCosigners: 3, Signed: t0}, false)
	})
	check("a conditional signer", f.other, 1, 3)
	h2 := dissent.ContentHash("t2", "", "b2")
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.AddVersion(ctx, dissent.Version{MessageID: m.ID, Number: 2, Title: dissent.NewText("t2"), Body: dissent.NewText("b2"), ContentHash: h2, AuthorID: f.drafter, Created: t0}); err != nil {
			return err
		}
		return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 2, PersonID: f.other, ContentHash: h2, Signed: t0}, false)
	})
	check("after signing version 2", f.other, 2, 0)
	update(t, s, func(tx dissent.Tx) error {
		_, err := tx.WithdrawSignatures(ctx, m.ID, f.other, t0)
		return err
	})
	check("after withdrawing", f.other, 0, 0)
}
