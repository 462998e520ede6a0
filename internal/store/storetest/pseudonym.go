package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testParticipationIndex: a person's messages are found through the
// participation index whatever their number (past several probe windows),
// a withdrawn signer who is nothing else on a message loses it while one
// still invited keeps it, and the management chain is found per message.
func testParticipationIndex(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	const n = 23 // past the windows of 4, 8 and 16
	var all []dissent.MessageID
	for i := range n {
		m := newMessage(t, s, f.drafter, mid(100+i))
		all = append(all, m.ID)
		// other signs every message; on the odd ones they were invited.
		update(t, s, func(tx dissent.Tx) error {
			if i%2 == 1 {
				if _, err := tx.AddInvitations(ctx, m.ID, []dissent.PersonID{f.other}, f.drafter, t0); err != nil {
					return err
				}
			}
			return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: f.other, ContentHash: m.ContentHash, Signed: t0}, false)
		})
	}
	ids := func(p dissent.PersonID) []dissent.MessageID {
		t.Helper()
		var out []dissent.MessageID
		view(t, s, func(tx dissent.Tx) error {
			ms, err := tx.MessagesOf(ctx, p)
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return err
		})
		slices.Sort(out)
		return out
	}
	if got := ids(f.drafter); !slices.Equal(got, all) {
		t.Errorf("MessagesOf(drafter) = %d messages; want %d", len(got), len(all))
	}
	if got := ids(f.other); !slices.Equal(got, all) {
		t.Errorf("MessagesOf(signer) = %d messages; want %d", len(got), len(all))
	}
	// other withdraws from the first six: the even ones leave their index,
	// the odd ones (still invited) stay, and the rest stay findable.
	var want []dissent.MessageID
	for i, id := range all {
		if i < 6 {
			update(t, s, func(tx dissent.Tx) error {
				_, err := tx.WithdrawSignatures(ctx, id, f.other, t0)
				return err
			})
		}
		if i >= 6 || i%2 == 1 {
			want = append(want, id)
		}
	}
	if got := ids(f.other); !slices.Equal(got, want) {
		t.Errorf("after withdrawals MessagesOf(signer) = %v; want %v", got, want)
	}
	// The chain: sup supervises the drafter of every message; nobody
	// supervises other.
	view(t, s, func(tx dissent.Tx) error {
		for _, tt := range []struct {
			reader  dissent.PersonID
			inChain bool
		}{{f.sup, true}, {f.boss, true}, {f.other, false}, {f.drafter, false}} {
			rel, err := tx.Relation(ctx, all[len(all)-1], tt.reader, t0)
			if err != nil {
				return err
			}
			if rel.InChain != tt.inChain {
				t.Errorf("Relation(reader %d).InChain = %v; want %v", tt.reader, rel.InChain, tt.inChain)
			}
		}
		return nil
	})
}
