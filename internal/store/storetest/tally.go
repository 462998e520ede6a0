package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testSignatureTally: SignatureMinimums reads the kept count of a version's
// unconditional signatures (migration 00070); after every way a signature
// changes — added with and without a minimum, refused as a duplicate,
// rolled back with its transaction, withdrawn from two versions at once,
// signed again — it must equal what a count of the rows gives, version by
// version.
func testSignatureTally(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	var people []dissent.PersonID
	update(t, s, func(tx dissent.Tx) error {
		for i := range 4 {
			id, err := tx.CreatePerson(ctx, dissent.Person{Email: fmt.Sprintf("t%d@x.example", i), Name: "t", OrgID: "state", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
			if err != nil {
				return err
			}
			people = append(people, id)
		}
		return nil
	})
	h2 := dissent.ContentHash("v2", "", "b2")
	sign := func(p dissent.PersonID, v, minimum int) error {
		h := m.ContentHash
		if v == 2 {
			h = h2
		}
		return s.Update(ctx, func(tx dissent.Tx) error {
			return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: v, PersonID: p, ContentHash: h, MinCosigners: minimum, Signed: t0}, false)
		})
	}
	errRollback := errors.New("roll back")
	steps := []struct {
		name string
		do   func() error
		want map[int][]int // the minimums of each version's active signatures
	}{
		{"unconditional", func() error { return sign(people[0], 1, 0) }, map[int][]int{1: {0, 0}}},
		{"conditional", func() error { return sign(people[1], 1, 2) }, map[int][]int{1: {0, 0, 2}}},
		{"duplicate refused", func() error {
			if err := sign(people[0], 1, 0); !errors.Is(err, dissent.ErrDuplicate) {
				return fmt.Errorf("second signature: %v; want ErrDuplicate", err)
			}
			return nil
		}, map[int][]int{1: {0, 0, 2}}},
		{"rolled back", func() error {
			err := s.Update(ctx, func(tx dissent.Tx) error {
				if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: people[2], ContentHash: m.ContentHash, Signed: t0}, false); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				return fmt.Errorf("the update returned %v; want the rollback", err)
			}
			return nil
		}, map[int][]int{1: {0, 0, 2}}},
		{"new version", func() error {
			return s.Update(ctx, func(tx dissent.Tx) error {
				if err := tx.AddVersion(ctx, dissent.Version{MessageID: m.ID, Number: 2, Title: dissent.NewText("v2"), Body: dissent.NewText("b2"), ContentHash: h2, AuthorID: f.drafter, Created: t0}); err != nil {
					return err
				}
				return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 2, PersonID: f.drafter, ContentHash: h2, Signed: t0}, false)
			})
		}, map[int][]int{1: {0, 0, 2}, 2: {0}}},
		{"second version signed", func() error { return sign(people[0], 2, 0) }, map[int][]int{1: {0, 0, 2}, 2: {0, 0}}},
		{"withdrawn from both versions", func() error {
			return s.Update(ctx, func(tx dissent.Tx) error {
				vs, err := tx.WithdrawSignatures(ctx, m.ID, people[0], t0)
				if err == nil && !slices.Equal(vs, []int{1, 2}) {
					err = fmt.Errorf("withdrew versions %v; want [1 2]", vs)
				}
				return err
			})
		}, map[int][]int{1: {0, 2}, 2: {0}}},
		{"conditional withdrawn", func() error {
			return s.Update(ctx, func(tx dissent.Tx) error {
				_, err := tx.WithdrawSignatures(ctx, m.ID, people[1], t0)
				return err
			})
		}, map[int][]int{1: {0}, 2: {0}}},
		{"signed again", func() error { return sign(people[0], 1, 0) }, map[int][]int{1: {0, 0}, 2: {0}}},
		{"others", func() error {
			for _, p := range people[1:] {
				if err := sign(p, 2, 0); err != nil {
					return err
				}
			}
			return sign(people[0], 2, 1)
		}, map[int][]int{1: {0, 0}, 2: {0, 0, 0, 0, 1}}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want := st.want
		view(t, s, func(tx dissent.Tx) error {
			for v := 1; v <= 2; v++ {
				mins, err := tx.SignatureMinimums(ctx, m.ID, v)
				slices.Sort(mins)
				if err != nil || !slices.Equal(mins, want[v]) {
					t.Errorf("%s: SignatureMinimums(version %d) = %v, %v; want %v", st.name, v, mins, err, want[v])
				}
				n, err := tx.CountSignatures(ctx, m.ID, v)
				if err != nil || n != len(want[v]) {
					t.Errorf("%s: CountSignatures(version %d) = %d, %v; want %d", st.name, v, n, err, len(want[v]))
				}
			}
			return nil
		})
	}
}
