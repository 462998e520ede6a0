package dissent_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

func ptr[T any](v T) *T { return &v }

// vocab adds the test vocabulary: markings UNCLASSIFIED < CONFIDENTIAL <
// SECRET, topics Trade and Health, tiers Secretary and Under Secretary.
func vocab(t *testing.T, e *servicetest.Env, admin dissent.Actor) {
	t.Helper()
	for _, x := range []struct {
		k    dissent.VocabKind
		name string
	}{{dissent.VocabClassification, "UNCLASSIFIED"}, {dissent.VocabClassification, "CONFIDENTIAL"}, {dissent.VocabClassification, "SECRET"},
		{dissent.VocabTopic, "Trade"}, {dissent.VocabTopic, "Health"}, {dissent.VocabTier, "Secretary"}, {dissent.VocabTier, "Under Secretary"}} {
		must(e.Svc.AddVocabulary(ctx, admin, x.k, x.name))
	}
}

func TestVocabulary(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	admin := p["admin@state.example"].Actor
	vocab(t, e, admin)
	for _, who := range []string{"drafter@state.example", "officer@state.example", "director@state.example"} {
		_, err := e.Svc.AddVocabulary(ctx, p[who].Actor, dissent.VocabTopic, "Mine")
		wantKind(t, "AddVocabulary by "+who, err, dissent.KindForbidden)
	}
	_, err := e.Svc.AddVocabulary(ctx, admin, dissent.VocabTopic, "Trade")
	wantKind(t, "duplicate", err, dissent.KindConflict)
	_, err = e.Svc.AddVocabulary(ctx, admin, "colour", "red")
	wantKind(t, "unknown kind", err, dissent.KindInvalid)
	_, err = e.Svc.AddVocabulary(ctx, admin, dissent.VocabTopic, strings.Repeat("x", dissent.MaxVocabName+1))
	wantKind(t, "long name", err, dissent.KindInvalid)
	if err := e.Svc.RetireVocabulary(ctx, admin, dissent.VocabTopic, "Health"); err != nil {
		t.Fatal(err)
	}
	v := must(e.Svc.GetVocabulary(ctx))
	if len(v.Classifications) != 3 || v.Classifications[2].Name != "SECRET" || v.Classifications[2].Ord != 3 || len(v.Topics) != 2 || v.Topics[1].Name != "Health" || v.Topics[1].Retired.IsZero() || !v.Topics[0].Retired.IsZero() {
		t.Errorf("GetVocabulary = %+v", v)
	}
}

func TestMessageModelFields(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	admin := p["admin@state.example"].Actor
	vocab(t, e, admin)
	drafter, outsider := p["drafter@state.example"].Actor, p["outsider@state.example"].Actor
	mine := draft(t, e, p["drafter@state.example"])
	theirs := draft(t, e, p["outsider@state.example"])

	// Unknown values are refused naming the field.
	for _, tt := range []struct {
		field string
		d     dissent.Draft
	}{
		{"classification", dissent.Draft{Classification: ptr("TOP SECRET")}},
		{"topic", dissent.Draft{Topic: ptr("Weather")}},
		{"tier", dissent.Draft{Tier: ptr("King")}},
		{"related[0]", dissent.Draft{Related: &[]string{string(theirs.ID)}}}, // one the drafter may not see
		{"related[0]", dissent.Draft{Related: &[]string{"nonsense"}}},
	} {
		tt.d.Title, tt.d.Body = "T", "B"
		_, err := e.Svc.CreateMessage(ctx, drafter, tt.d)
		if de, ok := err.(*dissent.Error); !ok || de.Field != tt.field {
			t.Errorf("CreateMessage(%+v) = %v; want an error on %s", tt.d, err, tt.field)
		}
	}

	d := dissent.Draft{Title: "On trade", Body: "Text.", Classification: ptr("CONFIDENTIAL"), Topic: ptr("Trade"), Tier: ptr("Secretary"), Related: &[]string{string(mine.ID)}}
	m := must(e.Svc.CreateMessage(ctx, drafter, d))
	want := dissent.Content{Title: "On trade", Body: "Text.", Classification: "CONFIDENTIAL", Topic: "Trade"}.Hash()
	if m.ContentHash != want || m.Classification != "CONFIDENTIAL" || m.Topic != "Trade" || m.Tier != "Secretary" {
		t.Errorf("CreateMessage = %+v; want hash %s", m, want)
	}
	// An edit without the model's fields keeps them (the core story's PUT).
	m2 := must(e.Svc.EditMessage(ctx, drafter, m.ID, dissent.Draft{Title: "On trade", Body: "Text."}))
	if m2.Version != 1 || m2.ContentHash != want {
		t.Errorf("edit with the same text and no model fields = version %d, %s; want unchanged", m2.Version, m2.ContentHash)
	}
	// Changing the marking makes a new version.
	m3 := must(e.Svc.EditMessage(ctx, drafter, m.ID, dissent.Draft{Title: "On trade", Body: "Text.", Classification: ptr("SECRET")}))
	if m3.Version != 2 || m3.ContentHash == want {
		t.Errorf("edit of the marking = version %d; want 2 and a new hash", m3.Version)
	}

	// The invitee sees the message but not the related one: it is left out.
	must(e.Svc.Invite(ctx, drafter, m.ID, []string{s[0]}))
	v := must(e.Svc.GetMessage(ctx, p[s[0]].Actor, m.ID))
	if len(v.Related) != 0 || v.Classification != "SECRET" {
		t.Errorf("invitee's view: related %v, classification %q; want no related", v.Related, v.Classification)
	}
	v = must(e.Svc.GetMessage(ctx, drafter, m.ID))
	if len(v.Related) != 1 || v.Related[0] != mine.ID {
		t.Errorf("drafter's view: related %v; want %s", v.Related, mine.ID)
	}

	// A retired topic stays on the message that carries it, and cannot be
	// newly chosen.
	if err := e.Svc.RetireVocabulary(ctx, admin, dissent.VocabTopic, "Trade"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.EditMessage(ctx, drafter, m.ID, dissent.Draft{Title: "On trade", Body: "Text 2.", Topic: ptr("Trade")}); err != nil {
		t.Errorf("edit keeping a retired topic: %v", err)
	}
	_, err := e.Svc.CreateMessage(ctx, outsider, dissent.Draft{Title: "T", Body: "B", Topic: ptr("Trade")})
	if de, ok := err.(*dissent.Error); !ok || de.Code != "retired_value" || de.Field != "topic" {
		t.Errorf("new message with a retired topic = %v; want retired_value on topic", err)
	}

	// Above the deployment's accredited level: refused.
	e.Svc.SetAccreditedLevel("CONFIDENTIAL")
	_, err = e.Svc.CreateMessage(ctx, outsider, dissent.Draft{Title: "T", Body: "B", Classification: ptr("SECRET")})
	if de, ok := err.(*dissent.Error); !ok || de.Code != "above_accreditation" || de.Field != "classification" {
		t.Errorf("marking above accreditation = %v; want above_accreditation", err)
	}
	must(e.Svc.CreateMessage(ctx, outsider, dissent.Draft{Title: "T", Body: "B", Classification: ptr("CONFIDENTIAL")}))
}

func TestAttachments(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	drafter := p["drafter@state.example"].Actor
	signer := p[s[0]].Actor
	m := draft(t, e, p["drafter@state.example"], s[0])
	must(e.Svc.Sign(ctx, signer, m.ID, m.ContentHash, 0))

	annex := []byte("%PDF-1.4 annex bytes")
	a := must(e.Svc.AddAttachment(ctx, drafter, m.ID, `C:\Users\x\annex.pdf`, annex))
	if a.Name.Reveal() != "annex.pdf" || a.Size != int64(len(annex)) || len(a.SHA256) != 64 {
		t.Errorf("AddAttachment = %+v", a)
	}
	v := must(e.Svc.GetMessage(ctx, drafter, m.ID))
	if v.Version != 2 || len(v.Attachments) != 1 || v.SignatureCount != 1 {
		t.Errorf("after attaching: version %d, %d attachments, %d signatures; want 2, 1, 1 (the signer must sign again)", v.Version, len(v.Attachments), v.SignatureCount)
	}
	if want := (dissent.Content{Title: "On the war", Summary: "Change course.", Body: "We recommend a ceasefire.", Attachments: []string{a.SHA256}}).Hash(); v.ContentHash != want {
		t.Errorf("content hash = %s; want %s (the annex's hash is in it)", v.ContentHash, want)
	}
	// The signer reads it; the read is recorded. An outsider cannot.
	_, got, err := e.Svc.GetAttachment(ctx, signer, m.ID, a.ID)
	if err != nil || !bytes.Equal(got, annex) {
		t.Fatalf("GetAttachment by the signer = %q, %v", got, err)
	}
	_, _, err = e.Svc.GetAttachment(ctx, p["outsider@state.example"].Actor, m.ID, a.ID)
	wantKind(t, "GetAttachment by an outsider", err, dissent.KindNotFound)
	log := must(e.Svc.AccessLog(ctx, drafter, m.ID))
	if len(log) == 0 || log[len(log)-1].Kind != "attachment" {
		t.Errorf("access log = %+v; want the attachment read", log)
	}
	// The signer may not attach (not an author).
	_, err = e.Svc.AddAttachment(ctx, signer, m.ID, "x.txt", []byte("x"))
	wantKind(t, "AddAttachment by a signer", err, dissent.KindForbidden)

	// Limits: the size and the count, 413 with nothing stored.
	e.Svc.SetAttachmentLimits(10, 2)
	_, err = e.Svc.AddAttachment(ctx, drafter, m.ID, "big.bin", make([]byte, 11))
	if de, ok := err.(*dissent.Error); !ok || de.Kind != dissent.KindTooLarge || de.Limit != 10 {
		t.Errorf("too large = %v; want too_large with limit 10", err)
	}
	must(e.Svc.AddAttachment(ctx, drafter, m.ID, "b.txt", []byte("b")))
	_, err = e.Svc.AddAttachment(ctx, drafter, m.ID, "c.txt", []byte("c"))
	if de, ok := err.(*dissent.Error); !ok || de.Kind != dissent.KindTooLarge || de.Limit != 2 {
		t.Errorf("too many = %v; want too_large with limit 2", err)
	}
	v = must(e.Svc.GetMessage(ctx, drafter, m.ID))
	if v.Version != 3 || len(v.Attachments) != 2 {
		t.Errorf("after the refusals: version %d, %d attachments; want 3, 2", v.Version, len(v.Attachments))
	}
	// Removing makes a new version; the old version keeps the annex.
	m4 := must(e.Svc.RemoveAttachment(ctx, drafter, m.ID, a.ID))
	if m4.Version != 4 || len(m4.Attachments) != 1 {
		t.Errorf("RemoveAttachment: version %d, %d attachments", m4.Version, len(m4.Attachments))
	}
	_, _, err = e.Svc.GetAttachment(ctx, drafter, m.ID, a.ID)
	wantKind(t, "GetAttachment of a removed file", err, dissent.KindNotFound)
	vs := must(e.Svc.Versions(ctx, drafter, m.ID))
	if len(vs) != 4 || len(vs[1].Attachments) != 1 || vs[1].Attachments[0].ID != a.ID {
		t.Errorf("Versions keep the annexes: %+v", vs)
	}
	// Once submitted, nothing changes.
	must(e.Svc.Submit(ctx, drafter, m.ID, m4.ContentHash))
	_, err = e.Svc.AddAttachment(ctx, drafter, m.ID, "late.txt", []byte("x"))
	wantKind(t, "AddAttachment after submission", err, dissent.KindConflict)
	_, err = e.Svc.RemoveAttachment(ctx, drafter, m.ID, m4.Attachments[0].ID)
	wantKind(t, "RemoveAttachment after submission", err, dissent.KindConflict)
}

func TestStatisticsByTopicAndTier(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	vocab(t, e, p["admin@state.example"].Actor)
	drafter := p["drafter@state.example"].Actor
	submit := func(topic, tier string) {
		d := dissent.Draft{Title: "T", Body: "B"}
		if topic != "" {
			d.Topic = ptr(topic)
		}
		if tier != "" {
			d.Tier = ptr(tier)
		}
		m := must(e.Svc.CreateMessage(ctx, drafter, d))
		must(e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash))
	}
	for range 6 {
		submit("Trade", "Secretary")
	}
	for range 2 {
		submit("Health", "Secretary")
	}
	for range 5 {
		submit("", "")
	}
	draft(t, e, p["drafter@state.example"]) // a draft counts nowhere
	st := must(e.Svc.Statistics(ctx, p["monitor@state.example"].Actor, dissent.StatsFilter{}))
	if got := fmtCounts(st.ByTopic); got != "Health=2 Trade=6 (none)=5" {
		t.Errorf("ByTopic = %s", got)
	}
	if got := fmtCounts(st.ByTier); got != "Secretary=8 (none)=5" {
		t.Errorf("ByTier = %s", got)
	}
	r := must(e.Svc.PublicReport(ctx, dissent.System, dissent.StatsFilter{}, 5))
	// Health (2) is withheld, and so is the next smallest, (none) (5), so
	// that Health cannot be recovered from the total.
	if got := fmtReport(r.ByTopic); got != "Health=withheld Trade=6 (none)=withheld" {
		t.Errorf("public ByTopic = %s", got)
	}
	if got := fmtReport(r.ByTier); got != "Secretary=8 (none)=5" {
		t.Errorf("public ByTier = %s", got)
	}
}

func fmtCounts(cs []dissent.StatsCount) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label+"="+strconv.Itoa(c.N))
	}
	return strings.Join(out, " ")
}

func fmtReport(cs []dissent.ReportCount) string {
	var out []string
	for _, c := range cs {
		v := "withheld"
		if c.Count != nil {
			v = strconv.Itoa(*c.Count)
		}
		out = append(out, c.Label+"="+v)
	}
	return strings.Join(out, " ")
}

func TestTierDistribution(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	vocab(t, e, p["admin@state.example"].Actor)
	officer, drafter := p["officer@state.example"].Actor, p["drafter@state.example"].Actor
	err := e.Svc.SetTierDistribution(ctx, drafter, "Secretary", []string{"principal@state.example"})
	wantKind(t, "SetTierDistribution by an employee", err, dissent.KindForbidden)
	err = e.Svc.SetTierDistribution(ctx, officer, "Secretary", []string{"drafter@state.example"})
	if de, ok := err.(*dissent.Error); !ok || de.Field != "emails[0]" {
		t.Errorf("a list with a non-principal = %v; want an error on emails[0]", err)
	}
	err = e.Svc.SetTierDistribution(ctx, officer, "Emperor", nil)
	if de, ok := err.(*dissent.Error); !ok || de.Field != "tier" {
		t.Errorf("an unknown tier = %v; want an error on tier", err)
	}
	if err := e.Svc.SetTierDistribution(ctx, officer, "Secretary", []string{"Principal@State.example"}); err != nil {
		t.Fatal(err)
	}
	lists := must(e.Svc.TierDistributions(ctx, officer))
	if got := strings.Join(lists["Secretary"], ","); got != "principal@state.example" {
		t.Errorf("TierDistributions = %v", lists)
	}
	m := must(e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "T", Body: "B", Tier: ptr("Secretary")}))
	must(e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash))
	v := must(e.Svc.GetMessage(ctx, officer, m.ID))
	if strings.Join(v.DefaultDistribution, ",") != "principal@state.example" {
		t.Errorf("the officer's view offers %v; want the tier's list", v.DefaultDistribution)
	}
	if v := must(e.Svc.GetMessage(ctx, drafter, m.ID)); len(v.DefaultDistribution) != 0 {
		t.Errorf("the drafter's view offers %v; want nothing (not theirs to distribute)", v.DefaultDistribution)
	}
}

// TestReviewerGetsAttachments: a consulted reviewer reads the annexes with
// the text, and the read is recorded.
func TestReviewerGetsAttachments(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter, officer, reviewer := p["drafter@state.example"].Actor, p["officer@state.example"].Actor, p["reviewer@state.example"].Actor
	m := draft(t, e, p["drafter@state.example"])
	a := must(e.Svc.AddAttachment(ctx, drafter, m.ID, "annex.txt", []byte("annex")))
	v := must(e.Svc.GetMessage(ctx, drafter, m.ID))
	must(e.Svc.Submit(ctx, drafter, m.ID, v.ContentHash))
	_, _, err := e.Svc.GetAttachment(ctx, reviewer, m.ID, a.ID)
	wantKind(t, "GetAttachment by a reviewer not consulted", err, dissent.KindNotFound)
	must(e.Svc.Acknowledge(ctx, officer, m.ID))
	if _, err := e.Svc.Consult(ctx, officer, m.ID, "reviewer@state.example", "2023-11-30"); err != nil {
		t.Fatal(err)
	}
	rv := must(e.Svc.GetMessage(ctx, reviewer, m.ID))
	if len(rv.Attachments) != 1 {
		t.Fatalf("the reviewer's view lists %d attachments; want 1", len(rv.Attachments))
	}
	if _, b, err := e.Svc.GetAttachment(ctx, reviewer, m.ID, a.ID); err != nil || string(b) != "annex" {
		t.Errorf("GetAttachment by the consulted reviewer = %q, %v", b, err)
	}
	log := must(e.Svc.AccessLog(ctx, drafter, m.ID))
	if len(log) == 0 || log[len(log)-1].Kind != "attachment" || log[len(log)-1].Role != dissent.RoleReviewer {
		t.Errorf("access log = %+v; want the reviewer's attachment read last", log)
	}
}
