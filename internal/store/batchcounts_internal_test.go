package store

import (
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

func init() { checkCountsCache = true }

// TestBatchCountsCache: callers of one writer's batch sign, withdraw from,
// edit and fail on two messages in random orders. With checkCountsCache on,
// every message and quorum served from the batch's cache is compared with
// the database's, and a difference fails the caller and so the test; the
// cache must also be used (a batch of signers reads each message once).
func TestBatchCountsCache(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ids := []dissent.MessageID{"00000000000000000000000000000001", "00000000000000000000000000000002"}
	h := dissent.ContentHash("t", "s", "b")
	var people []dissent.PersonID
	err := db.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "o", Name: "O", TimeZone: "UTC", Created: t0}); err != nil {
			return err
		}
		for i := range 200 {
			p, err := tx.CreatePerson(ctx, dissent.Person{Email: fmt.Sprintf("p%d@x.example", i), Name: "P", OrgID: "o", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
			if err != nil {
				return err
			}
			people = append(people, p)
		}
		for _, id := range ids {
			m := dissent.Message{ID: id, OrgID: "o", DrafterID: people[0], State: dissent.StateDraft, Version: 1, ContentHash: h,
				Title: dissent.NewText("t"), Summary: dissent.NewText("s"), Body: dissent.NewText("b"), SignatureCount: 1, Created: t0, Updated: t0, ReplyDays: 30}
			if err := tx.CreateMessage(ctx, m, dissent.Version{MessageID: id, Number: 1, Title: m.Title, Summary: m.Summary, Body: m.Body, ContentHash: h, AuthorID: people[0], Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := mathrand.New(mathrand.NewPCG(17, 3))
	signed := map[dissent.MessageID][]dissent.PersonID{}
	next := 1
	at := t0
	// sign is the service's co-signature as the store sees it (Sign's
	// mutateCounts): the message and its quorums read, the signature
	// inserted, the count written; fail makes it fail after writing.
	sign := func(id dissent.MessageID, p dissent.PersonID, min int, fail bool) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			m, err := tx.LockMessageCounts(ctx, id)
			if err != nil {
				return err
			}
			q, err := tx.SignatureQuorums(ctx, id, m.Version)
			if err != nil {
				return err
			}
			if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: id, Version: m.Version, PersonID: p, ContentHash: m.ContentHash, MinCosigners: min, Signed: at}, false); err != nil {
				return err
			}
			if min > 0 {
				q.Conditional = append(q.Conditional, min)
			} else {
				q.Unconditional++
			}
			m.SignatureCount, m.Updated = q.Count(), at
			if err := tx.UpdateMessageCounts(ctx, m); err != nil {
				return err
			}
			if fail {
				return errors.New("refused after writing")
			}
			return nil
		}
	}
	withdraw := func(id dissent.MessageID, p dissent.PersonID) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			m, err := tx.LockMessageCounts(ctx, id)
			if err != nil {
				return err
			}
			if _, err := tx.WithdrawSignatures(ctx, id, p, at); err != nil {
				return err
			}
			q, err := tx.SignatureQuorums(ctx, id, m.Version)
			if err != nil {
				return err
			}
			m.SignatureCount, m.Updated = q.Count(), at
			return tx.UpdateMessageCounts(ctx, m)
		}
	}
	// edit writes the message's row another way (a column LockMessageCounts
	// reads), as any other act on it would.
	edit := func(id dissent.MessageID) func(dissent.Tx) error {
		return func(tx dissent.Tx) error {
			m, err := tx.LockMessage(ctx, id)
			if err != nil {
				return err
			}
			m.ReplyDays++
			m.Updated = at
			return tx.UpdateMessage(ctx, m)
		}
	}
	var signers int
	for round := range 40 {
		var fns []func(dissent.Tx) error
		var failing []int
		for range 2 + rng.IntN(12) {
			at = at.Add(time.Second)
			id := ids[rng.IntN(len(ids))]
			switch k := rng.IntN(10); {
			case k < 6 && next < len(people):
				min := 0
				if rng.IntN(4) == 0 {
					min = 1 + rng.IntN(5)
				}
				fail := round >= 20 && rng.IntN(8) == 0 // the later rounds also undo
				if fail {
					failing = append(failing, len(fns))
				} else {
					signed[id] = append(signed[id], people[next])
					signers++
				}
				fns = append(fns, sign(id, people[next], min, fail))
				next++
			case k < 8 && len(signed[id]) > 0:
				i := rng.IntN(len(signed[id]))
				fns = append(fns, withdraw(id, signed[id][i]))
				signed[id] = append(signed[id][:i], signed[id][i+1:]...)
			default:
				fns = append(fns, edit(id))
			}
		}
		runBatchOf(t, db, failing, fns...)
	}
	if hits := db.counts.countsHits.Load(); hits < int64(signers)/3 {
		t.Fatalf("%d signers, %d messages from the batches' cache; want more than a third", signers, hits)
	}
	// Each message's count is what its remaining signatures make.
	for _, id := range ids {
		err := db.View(ctx, func(tx dissent.Tx) error {
			m, err := tx.Message(ctx, id)
			if err != nil {
				return err
			}
			q, err := tx.SignatureQuorums(ctx, id, 1)
			if err != nil {
				return err
			}
			if m.SignatureCount != q.Count() {
				return fmt.Errorf("message %s counts %d signatures; its quorums make %d", id, m.SignatureCount, q.Count())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
