package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// TestTallyOfOlderVersions: a version signed before the count was kept (a
// deployment migrated to 00070, which writes no row) has no signature_tallies
// row. SignatureMinimums then counts the rows, and the first change of a
// signature on the version stores the count, which later changes keep.
func TestTallyOfOlderVersions(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const id = dissent.MessageID("00000000000000000000000000000001")
	h := dissent.ContentHash("t", "s", "b")
	var people []dissent.PersonID
	err := db.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "o", Name: "O", TimeZone: "UTC", Created: t0}); err != nil {
			return err
		}
		for _, e := range []string{"a@x.example", "b@x.example", "c@x.example", "d@x.example"} {
			p, err := tx.CreatePerson(ctx, dissent.Person{Email: e, Name: e, OrgID: "o", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
			if err != nil {
				return err
			}
			people = append(people, p)
		}
		m := dissent.Message{ID: id, OrgID: "o", DrafterID: people[0], State: dissent.StateDraft, Version: 1, ContentHash: h,
			Title: dissent.NewText("t"), Summary: dissent.NewText("s"), Body: dissent.NewText("b"), SignatureCount: 1, Created: t0, Updated: t0, ReplyDays: 30}
		if err := tx.CreateMessage(ctx, m, dissent.Version{MessageID: id, Number: 1, Title: m.Title, Summary: m.Summary, Body: m.Body, ContentHash: h, AuthorID: people[0], Created: t0}); err != nil {
			return err
		}
		for i, p := range people[:3] {
			if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: id, Version: 1, PersonID: p, ContentHash: h, MinCosigners: i / 2 * 5, Signed: t0}, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tally := func() (int, bool) {
		t.Helper()
		var n int
		err := db.write.QueryRowContext(ctx, `SELECT unconditional FROM signature_tallies WHERE message_id = ? AND version = 1`, string(id)).Scan(&n)
		if err != nil {
			return 0, false
		}
		return n, true
	}
	if n, ok := tally(); !ok || n != 2 {
		t.Fatalf("kept count = %d (row %v); want 2", n, ok)
	}
	// As before the migration: no row.
	if _, err := db.write.ExecContext(ctx, `DELETE FROM signature_tallies`); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want []int) {
		t.Helper()
		err := db.View(ctx, func(tx dissent.Tx) error {
			mins, err := tx.SignatureMinimums(ctx, id, 1)
			slices.Sort(mins)
			if err != nil || !slices.Equal(mins, want) {
				t.Errorf("%s: SignatureMinimums = %v, %v; want %v", step, mins, err, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("without a kept count", []int{0, 0, 5})
	if _, ok := tally(); ok {
		t.Fatal("reading made a count; only a change of a signature should")
	}
	sign := func(p dissent.PersonID) {
		t.Helper()
		if err := db.Update(ctx, func(tx dissent.Tx) error {
			return tx.InsertSignature(ctx, dissent.Signature{MessageID: id, Version: 1, PersonID: p, ContentHash: h, Signed: t0}, false)
		}); err != nil {
			t.Fatal(err)
		}
	}
	sign(people[3])
	if n, ok := tally(); !ok || n != 3 {
		t.Fatalf("after a signature the kept count = %d (row %v); want 3", n, ok)
	}
	check("with the count made", []int{0, 0, 0, 5})
	// A withdrawal is the first change: the count is made after it.
	if _, err := db.write.ExecContext(ctx, `DELETE FROM signature_tallies`); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx dissent.Tx) error {
		_, err := tx.WithdrawSignatures(ctx, id, people[1], t0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n, ok := tally(); !ok || n != 2 {
		t.Fatalf("after a withdrawal the kept count = %d (row %v); want 2", n, ok)
	}
	check("after the withdrawal", []int{0, 0, 5})
}
