package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testInviteLinks: a link leads to its message until revoked; revoking
// counts only live links; an unknown hash is NotFound.
func testInviteLinks(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, "0123456789abcdef0123456789abcdef")
	a, b := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.CreateInviteLink(ctx, m.ID, a, t0); err != nil {
			return err
		}
		return tx.CreateInviteLink(ctx, m.ID, b, t0)
	})
	view(t, s, func(tx dissent.Tx) error {
		id, err := tx.InviteLinkMessage(ctx, a)
		if err != nil || id != m.ID {
			t.Errorf("InviteLinkMessage(a) = %q, %v; want %q", id, err, m.ID)
		}
		if _, err := tx.InviteLinkMessage(ctx, bytes.Repeat([]byte{3}, 32)); dissent.ErrorKind(err) != dissent.KindNotFound {
			t.Errorf("InviteLinkMessage(unknown) error = %v; want NotFound", err)
		}
		return nil
	})
	for i, want := range []int{2, 0} {
		update(t, s, func(tx dissent.Tx) error {
			n, err := tx.RevokeInviteLinks(ctx, m.ID, t0)
			if n != want {
				t.Errorf("RevokeInviteLinks #%d = %d; want %d", i+1, n, want)
			}
			return err
		})
	}
	view(t, s, func(tx dissent.Tx) error {
		if _, err := tx.InviteLinkMessage(ctx, b); dissent.ErrorKind(err) != dissent.KindNotFound {
			t.Errorf("InviteLinkMessage of a revoked link: %v; want NotFound", err)
		}
		return nil
	})
}
