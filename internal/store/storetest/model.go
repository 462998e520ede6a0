package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testVocabulary: entries are ordered per kind, a duplicate name is a
// conflict on "name", retiring keeps the entry with its time, and retiring a
// missing one is NotFound.
func testVocabulary(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	for _, e := range []dissent.VocabEntry{{Kind: dissent.VocabClassification, Name: "UNCLASSIFIED"}, {Kind: dissent.VocabClassification, Name: "SECRET"},
		{Kind: dissent.VocabTopic, Name: "Trade"}, {Kind: dissent.VocabTier, Name: "Secretary"}} {
		update(t, s, func(tx dissent.Tx) error {
			e.Created = t0
			_, err := tx.AddVocab(ctx, e)
			return err
		})
	}
	err := s.Update(ctx, func(tx dissent.Tx) error {
		_, err := tx.AddVocab(ctx, dissent.VocabEntry{Kind: dissent.VocabTopic, Name: "Trade", Created: t0})
		return err
	})
	if e, ok := err.(*dissent.Error); !ok || e.Kind != dissent.KindConflict || e.Field != "name" {
		t.Errorf("duplicate AddVocab = %v; want a conflict on name", err)
	}
	update(t, s, func(tx dissent.Tx) error { return tx.RetireVocab(ctx, dissent.VocabTopic, "Trade", t0.Add(1)) })
	if err := s.Update(ctx, func(tx dissent.Tx) error { return tx.RetireVocab(ctx, dissent.VocabTier, "nobody", t0) }); kindOf(err) != dissent.KindNotFound {
		t.Errorf("RetireVocab(missing) = %v; want NotFound", err)
	}
	view(t, s, func(tx dissent.Tx) error {
		es, err := tx.Vocab(ctx)
		if err != nil {
			return err
		}
		var got []string
		for _, e := range es {
			got = append(got, string(e.Kind)+":"+e.Name+":"+strconv.Itoa(e.Ord)+":"+boolStr(!e.Retired.IsZero()))
		}
		want := []string{"classification:UNCLASSIFIED:1:false", "classification:SECRET:2:false", "tier:Secretary:1:false", "topic:Trade:1:true"}
		if len(got) != len(want) {
			t.Fatalf("Vocab = %v; want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Vocab[%d] = %s; want %s", i, got[i], want[i])
			}
		}
		return nil
	})
}

// testMessageModel: classification, topic, tier, related messages and
// attachments round-trip through Message, Versions and SubmittedMeta; an
// attachment's bytes come back whole, and only under its own message.
func testMessageModel(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	other := newMessage(t, s, f.drafter, mid(2))
	m := newMessage(t, s, f.drafter, mid(1))
	content := bytes.Repeat([]byte("annex \x00\xff"), 1000)
	sum := sha256.Sum256(content)
	att := dissent.Attachment{ID: mid(77), MessageID: m.ID, Name: dissent.NewText("annex A.pdf"), Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Created: t0}
	h2 := dissent.Content{Title: "v2", Summary: "s", Body: "b", Classification: "SECRET", Topic: "Trade", Attachments: []string{att.SHA256}}.Hash()
	update(t, s, func(tx dissent.Tx) error {
		got, err := tx.LockMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		if err := tx.InsertAttachment(ctx, att, content); err != nil {
			return err
		}
		got.Version, got.ContentHash, got.Classification, got.Topic, got.Attachments = 2, h2, "SECRET", "Trade", []dissent.Attachment{att}
		got.Title, got.Summary, got.Body = dissent.NewText("v2"), dissent.NewText("s"), dissent.NewText("b")
		if err := tx.AddVersion(ctx, dissent.Version{MessageID: m.ID, Number: 2, Title: got.Title, Summary: got.Summary, Body: got.Body,
			ContentHash: h2, AuthorID: f.drafter, Created: t0, Classification: "SECRET", Topic: "Trade", Attachments: got.Attachments}); err != nil {
			return err
		}
		got.Tier, got.Related = "Secretary", []dissent.MessageID{other.ID}
		got.State, got.SubmittedAt = dissent.StateSubmitted, t0
		return tx.UpdateMessage(ctx, got)
	})
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Message(ctx, m.ID)
		if err != nil {
			return err
		}
		if got.Classification != "SECRET" || got.Topic != "Trade" || got.Tier != "Secretary" || len(got.Related) != 1 || got.Related[0] != other.ID {
			t.Errorf("Message model fields = %q %q %q %v", got.Classification, got.Topic, got.Tier, got.Related)
		}
		if len(got.Attachments) != 1 || got.Attachments[0].Name.Reveal() != "annex A.pdf" || got.Attachments[0].SHA256 != att.SHA256 || got.Attachments[0].Size != att.Size {
			t.Errorf("Attachments = %+v", got.Attachments)
		}
		vs, err := tx.Versions(ctx, m.ID)
		if err != nil || len(vs) != 2 || len(vs[0].Attachments) != 0 || vs[0].Classification != "" || len(vs[1].Attachments) != 1 || vs[1].Topic != "Trade" {
			t.Errorf("Versions = %+v, %v", vs, err)
		}
		a, b, err := tx.AttachmentContent(ctx, m.ID, att.ID)
		if err != nil || !bytes.Equal(b, content) || a.Name.Reveal() != "annex A.pdf" {
			t.Errorf("AttachmentContent = %v, %d bytes, %v", a, len(b), err)
		}
		if _, _, err := tx.AttachmentContent(ctx, other.ID, att.ID); kindOf(err) != dissent.KindNotFound {
			t.Errorf("AttachmentContent under another message = %v; want NotFound", err)
		}
		metas, err := tx.SubmittedMeta(ctx, dissent.MetaQuery{Reader: f.other, Now: t0})
		if err != nil || len(metas) != 1 || metas[0].Topic != "Trade" || metas[0].Tier != "Secretary" {
			t.Errorf("SubmittedMeta = %+v, %v; want topic and tier", metas, err)
		}
		return nil
	})
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// testTierDistribution: a tier's list is replaced whole, and lists are
// kept apart by tier.
func testTierDistribution(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.SetTierDistribution(ctx, "Secretary", []string{"a@x.example", "b@x.example"}); err != nil {
			return err
		}
		return tx.SetTierDistribution(ctx, "Deputy", []string{"c@x.example"})
	})
	update(t, s, func(tx dissent.Tx) error {
		return tx.SetTierDistribution(ctx, "Secretary", []string{"b@x.example", "d@x.example"})
	})
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.TierDistribution(ctx)
		if err != nil {
			return err
		}
		if len(got) != 2 || fmt.Sprint(got["Secretary"]) != "[b@x.example d@x.example]" || fmt.Sprint(got["Deputy"]) != "[c@x.example]" {
			t.Errorf("TierDistribution = %v", got)
		}
		return nil
	})
}
