package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// submit moves a message to submitted at the given time, with deadlines
// two and thirty days later (the store does not count working days).
func submit(t *testing.T, s dissent.Store, id dissent.MessageID, at time.Time) {
	t.Helper()
	ctx := context.Background()
	update(t, s, func(tx dissent.Tx) error {
		m, err := tx.LockMessage(ctx, id)
		if err != nil {
			return err
		}
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			return err
		}
		m.State, m.SubmittedAt, m.Updated = dissent.StateSubmitted, at, at
		m.AcknowledgeBy = at.Add(48 * time.Hour).In(ny)
		m.ReplyBy = at.Add(30 * 24 * time.Hour).In(ny)
		return tx.UpdateMessage(ctx, m)
	})
}

// testInbox checks the bulk metadata listing against Relation, message by
// message and person by person, and the titles and consultations lists.
func testInbox(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m1 := newMessage(t, s, f.drafter, mid(1)) // in sup's and boss's chain
	m2 := newMessage(t, s, f.other, mid(2))   // nobody's chain
	m3 := newMessage(t, s, f.other, mid(3))   // stays a draft
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: m2.ID, Version: 1, PersonID: f.drafter, ContentHash: m2.ContentHash, Signed: t0}, false); err != nil {
			return err
		}
		if _, err := tx.AddInvitations(ctx, m1.ID, []dissent.PersonID{f.other}, f.drafter, t0); err != nil {
			return err
		}
		return nil
	})
	submit(t, s, m1.ID, t0.Add(time.Hour))
	submit(t, s, m2.ID, t0.Add(2*time.Hour))
	var cid int64
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.Assign(ctx, m2.ID, f.sup, f.sup, t0); err != nil {
			return err
		}
		if err := tx.AddDistribution(ctx, m1.ID, []dissent.PersonID{f.boss}, t0.Add(3*time.Hour)); err != nil {
			return err
		}
		if err := tx.AddEndorser(ctx, m2.ID, f.boss, t0); err != nil {
			return err
		}
		if err := tx.AddCoauthor(ctx, m1.ID, f.other, t0); err != nil {
			return err
		}
		var err error
		cid, err = tx.InsertConsultation(ctx, dissent.Consultation{MessageID: m2.ID, ReviewerID: f.boss, RequestBy: f.sup, Due: t0.Add(48 * time.Hour), Created: t0})
		if err != nil {
			return err
		}
		_, err = tx.InsertConsultation(ctx, dissent.Consultation{MessageID: m1.ID, ReviewerID: f.boss, RequestBy: f.sup, Due: t0.Add(72 * time.Hour), Created: t0.Add(time.Minute)})
		return err
	})

	people := map[string]dissent.PersonID{"drafter": f.drafter, "sup": f.sup, "boss": f.boss, "other": f.other, "nobody": 0}
	for name, p := range people {
		for _, now := range []time.Time{t0.Add(4 * time.Hour), t0.Add(50 * time.Hour)} {
			view(t, s, func(tx dissent.Tx) error {
				metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: p, Now: now})
				if err != nil {
					return err
				}
				if len(metas) != 2 {
					t.Fatalf("SubmittedMeta(%s) lists %d messages; want the 2 submitted", name, len(metas))
				}
				// Relations gives, for every message listed (the draft
				// too), what Relation gives for each.
				rels, err := tx.Relations(ctx, []dissent.MessageID{m1.ID, m2.ID, m3.ID}, p, now)
				if err != nil {
					return err
				}
				for _, id := range []dissent.MessageID{m1.ID, m2.ID, m3.ID} {
					want := dissent.Facts{}
					if p != 0 {
						if want, err = tx.Relation(ctx, id, p, now); err != nil {
							return err
						}
					}
					if got, ok := rels[id]; !ok || got != want {
						t.Errorf("Relations(%s, %v): message %s = %+v (listed %v); want %+v (as Relation)", name, now, id, got, ok, want)
					}
				}
				// MessageTitlesOf lists what MessagesOf lists, with the
				// drafter and the title and no other text.
				full, err := tx.MessagesOf(ctx, p)
				if err != nil {
					return err
				}
				titles, err := tx.MessageTitlesOf(ctx, p)
				if err != nil {
					return err
				}
				if len(titles) != len(full) {
					t.Errorf("MessageTitlesOf(%s) lists %d messages; MessagesOf %d", name, len(titles), len(full))
				}
				for i := range min(len(titles), len(full)) {
					g, w := titles[i], full[i]
					if g.ID != w.ID || g.DrafterID != w.DrafterID || g.Title.Reveal() != w.Title.Reveal() || g.State != w.State || !g.Created.Equal(w.Created) ||
						g.Body.Reveal() != "" || g.Summary.Reveal() != "" || len(g.Attachments) != 0 {
						t.Errorf("MessageTitlesOf(%s)[%d] = %+v; want %+v with only the title", name, i, g, w)
					}
					h, err := tx.MessageHeader(ctx, w.ID)
					if err != nil {
						return err
					}
					if h.ID != w.ID || h.DrafterID != w.DrafterID || h.Title.Reveal() != w.Title.Reveal() || h.State != w.State || !h.SubmittedAt.Equal(w.SubmittedAt) ||
						h.Body.Reveal() != "" || h.Summary.Reveal() != "" || len(h.Attachments) != 0 {
						t.Errorf("MessageHeader(%s) = %+v; want %+v with only the title", w.ID, h, w)
					}
				}
				for _, m := range metas {
					if m.ID == m3.ID {
						t.Errorf("SubmittedMeta lists the draft")
					}
					full, err := tx.Message(ctx, m.ID)
					if err != nil {
						return err
					}
					want := dissent.Facts{Submitted: true}
					if p != 0 {
						if want, err = tx.Relation(ctx, m.ID, p, now); err != nil {
							return err
						}
						want.Drafter, want.Submitted = full.DrafterID == p, true
					}
					if m.Facts != want {
						t.Errorf("SubmittedMeta(%s, %v): message %s facts = %+v; want %+v (as Relation)", name, now, m.ID, m.Facts, want)
					}
					if m.State != full.State || m.OrgID != full.OrgID || m.SignatureCount != full.SignatureCount ||
						!m.SubmittedAt.Equal(full.SubmittedAt) || !m.AcknowledgeBy.Equal(full.AcknowledgeBy) ||
						!m.ReplyBy.Equal(full.ReplyBy) || m.ReplyDays != full.ReplyDays ||
						!m.AcknowledgedAt.Equal(full.AcknowledgedAt) || !m.RepliedAt.Equal(full.RepliedAt) {
						t.Errorf("SubmittedMeta: message %s = %+v; want the metadata of %+v", m.ID, m, full)
					}
					if wantAssigned := p == f.sup && m.ID == m2.ID; m.Assigned != wantAssigned {
						t.Errorf("SubmittedMeta(%s): message %s assigned = %v; want %v", name, m.ID, m.Assigned, wantAssigned)
					}
				}
				return nil
			})
		}
	}

	view(t, s, func(tx dissent.Tx) error {
		metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.boss, Now: t0, Distributed: true})
		if err != nil {
			return err
		}
		if len(metas) != 1 || metas[0].ID != m1.ID || !metas[0].DistributedAt.Equal(t0.Add(3*time.Hour)) || !metas[0].Facts.Distributed {
			t.Errorf("SubmittedMeta(boss, distributed) = %+v; want m1 distributed at %v", metas, t0.Add(3*time.Hour))
		}
		if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.other, Now: t0, Distributed: true}); err != nil || len(metas) != 0 {
			t.Errorf("SubmittedMeta(other, distributed) = %+v, %v; want none", metas, err)
		}
		if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.boss, Now: t0, Distributed: true, States: []dissent.State{dissent.StateSubmitted}}); err != nil || len(metas) != 1 {
			t.Errorf("SubmittedMeta(boss, distributed, submitted) = %+v, %v; want m1", metas, err)
		}
		for _, states := range [][]dissent.State{{dissent.StateClosed}, {dissent.StateAcknowledged, dissent.StateReplied}} {
			if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Now: t0, States: states}); err != nil || len(metas) != 0 {
				t.Errorf("SubmittedMeta(states %v) = %+v, %v; want none", states, metas, err)
			}
		}
		if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.sup, Now: t0, IDs: []dissent.MessageID{m2.ID, m3.ID}}); err != nil || len(metas) != 1 || metas[0].ID != m2.ID || !metas[0].Assigned {
			t.Errorf("SubmittedMeta(sup, ids m2 and the draft m3) = %+v, %v; want m2 only, assigned", metas, err)
		}
		if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Now: t0, IDs: []dissent.MessageID{m1.ID}, States: []dissent.State{dissent.StateClosed}}); err != nil || len(metas) != 0 {
			t.Errorf("SubmittedMeta(id m1, closed) = %+v, %v; want none", metas, err)
		}
		if metas, err = tx.SubmittedMeta(ctx, dissent.MetaQuery{Now: t0, States: []dissent.State{dissent.StateClosed, dissent.StateSubmitted}}); err != nil || len(metas) != 2 {
			t.Errorf("SubmittedMeta(closed or submitted) = %+v, %v; want both", metas, err)
		}

		titles, err := tx.Titles(ctx, []dissent.MessageID{m2.ID, m1.ID})
		if err != nil {
			return err
		}
		if got := titles[m1.ID].Reveal(); got != "title "+string(m1.ID) {
			t.Errorf("Titles[m1] = %q", got)
		}
		if got := titles[m2.ID].Reveal(); got != "title "+string(m2.ID) {
			t.Errorf("Titles[m2] = %q", got)
		}
		if _, err := tx.Titles(ctx, []dissent.MessageID{dissent.MessageID(mid(99))}); kindOf(err) != dissent.KindNotFound {
			t.Errorf("Titles(missing) error = %v; want not found", err)
		}

		cs, err := tx.ConsultationsFor(ctx, f.boss)
		if err != nil {
			return err
		}
		if len(cs) != 2 || cs[0].MessageID != m1.ID || cs[1].MessageID != m2.ID || cs[1].ID != cid ||
			!cs[1].Due.Equal(t0.Add(48*time.Hour)) || cs[1].RequestBy != f.sup || cs[1].ReviewerID != f.boss {
			t.Errorf("ConsultationsFor(boss) = %+v; want m1's then m2's", cs)
		}
		if cs, err := tx.ConsultationsFor(ctx, f.other); err != nil || len(cs) != 0 {
			t.Errorf("ConsultationsFor(other) = %+v, %v; want none", cs, err)
		}
		return nil
	})
}

// testMetaFresh: the metadata listing follows every committed change to a
// submitted message, however often it is read in between, and a change
// rolled back leaves it as it was (a store may cache the listing).
func testMetaFresh(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(7))
	state := func() dissent.State {
		t.Helper()
		var st dissent.State
		view(t, s, func(tx dissent.Tx) error {
			metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.other, Now: t0})
			for _, x := range metas {
				if x.ID == m.ID {
					st = x.State
				}
			}
			return err
		})
		return st
	}
	if got := state(); got != "" {
		t.Fatalf("a draft is listed as %q; want it absent", got)
	}
	submit(t, s, m.ID, t0)
	for _, next := range []dissent.State{dissent.StateAcknowledged, dissent.StateReplied, dissent.StateClosed} {
		state() // read (and perhaps cache) before the change
		update(t, s, func(tx dissent.Tx) error {
			x, err := tx.LockMessage(ctx, m.ID)
			if err != nil {
				return err
			}
			x.State = next
			return tx.UpdateMessage(ctx, x)
		})
		if got := state(); got != next {
			t.Errorf("after the change to %s the listing says %q", next, got)
		}
	}
	// A message submitted while the listing is cached appears, and two
	// changes between two reads both show.
	m2 := newMessage(t, s, f.drafter, mid(8))
	submit(t, s, m2.ID, t0)
	listed := func(id dissent.MessageID) dissent.State {
		t.Helper()
		var st dissent.State
		view(t, s, func(tx dissent.Tx) error {
			metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.other, Now: t0})
			for _, x := range metas {
				if x.ID == id {
					st = x.State
				}
			}
			return err
		})
		return st
	}
	if got := listed(m2.ID); got != dissent.StateSubmitted {
		t.Errorf("a message submitted after the listing was read is listed as %q", got)
	}
	update(t, s, func(tx dissent.Tx) error {
		for _, id := range []dissent.MessageID{m2.ID, m2.ID, m.ID} {
			x, err := tx.LockMessage(ctx, id)
			if err != nil {
				return err
			}
			x.State, x.SignatureCount = dissent.StateAcknowledged, x.SignatureCount+1
			if err := tx.UpdateMessage(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	if a, b := listed(m.ID), listed(m2.ID); a != dissent.StateAcknowledged || b != dissent.StateAcknowledged {
		t.Errorf("after changing both: listed as %q and %q; want acknowledged", a, b)
	}
	update(t, s, func(tx dissent.Tx) error {
		x, err := tx.LockMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		x.State = dissent.StateClosed
		return tx.UpdateMessage(ctx, x)
	})

	err := s.Update(ctx, func(tx dissent.Tx) error {
		x, err := tx.LockMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		x.State = dissent.StateAcknowledged
		if err := tx.UpdateMessage(ctx, x); err != nil {
			return err
		}
		if _, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.other, Now: t0}); err != nil {
			return err
		}
		return errRolledBack
	})
	if err != errRolledBack {
		t.Fatalf("Update = %v; want the test's error", err)
	}
	if got := state(); got != dissent.StateClosed {
		t.Errorf("after a rolled-back change the listing says %q; want closed", got)
	}
}

var errRolledBack = errors.New("roll this back")
