// Package storetest is the conformance suite every dissent.Store backend
// must pass: SQLite always, PostgreSQL when DISSENT_TEST_POSTGRES is set.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
)

// Opener returns a fresh, empty, migrated store; the test closes it.
type Opener func(t *testing.T) dissent.Store

// Run runs the whole suite against the backend.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, dissent.Store)
	}{
		{"Orgs", testOrgs},
		{"People", testPeople},
		{"Tokens", testTokens},
		{"SignInLinks", testSignInLinks},
		{"Messages", testMessages},
		{"Signatures", testSignatures},
		{"SignatureTally", testSignatureTally}, // tally.go
		{"Relation", testRelation},
		{"Signers", testSigners},
		{"Workflow", testWorkflow},
		{"Events", testEvents},
		{"Rollback", testRollback},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentSignatures", testConcurrentSignatures},
		{"ConcurrentVersions", testConcurrentVersions},
		{"ConcurrentOrgs", testConcurrentOrgs},
		{"NotFound", testNotFound},
		{"UnitMembers", testUnitMembers},
		{"OwnSignature", testOwnSignature},
		{"Directory", testDirectory}, // directory.go
		{"Inbox", testInbox},
		{"MetaFresh", testMetaFresh},
		{"Exposure", testExposure},
		{"InviteLinks", testInviteLinks},               // author.go
		{"ParticipationIndex", testParticipationIndex}, // pseudonym.go
		{"Vocabulary", testVocabulary},                 // vocabulary.go
		{"MessageModel", testMessageModel},             // vocabulary.go
		{"TierDistribution", testTierDistribution},     // vocabulary.go
	}
	tests = append(tests, jobTests...) // jobs.go
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

var t0 = time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC)

func update(t *testing.T, s dissent.Store, fn func(tx dissent.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// integrate gives every pending log entry its leaf index, as the log's
// integrator does (on SQLite the writer already has).
func integrate(t *testing.T, s dissent.Store) {
	t.Helper()
	update(t, s, func(tx dissent.Tx) error {
		_, err := tx.IntegrateLog(context.Background(), 1<<30)
		return err
	})
}

func view(t *testing.T, s dissent.Store, fn func(tx dissent.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// fixture makes two orgs and people: drafter, boss (supervises drafter's
// supervisor), sup (supervises drafter), other.
type fixture struct {
	drafter, sup, boss, other dissent.PersonID
}

func seed(t *testing.T, s dissent.Store) fixture {
	t.Helper()
	var f fixture
	ctx := context.Background()
	update(t, s, func(tx dissent.Tx) error {
		for _, o := range []dissent.Org{{ID: "state", Name: "State", TimeZone: "America/New_York", Created: t0}, {ID: "usaid", Name: "USAID", TimeZone: "America/New_York", Created: t0}} {
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
		}
		var err error
		mk := func(email string, sup dissent.PersonID, roles ...dissent.Role) dissent.PersonID {
			if err != nil {
				return 0
			}
			var id dissent.PersonID
			id, err = tx.CreatePerson(ctx, dissent.Person{Email: email, Name: email, OrgID: "state", SupervisorID: sup, Roles: roles, Created: t0})
			return id
		}
		f.boss = mk("boss@x.example", 0, dissent.RoleEmployee, dissent.RolePrincipal)
		f.sup = mk("sup@x.example", f.boss, dissent.RoleEmployee, dissent.RoleOfficer)
		f.drafter = mk("drafter@x.example", f.sup, dissent.RoleEmployee)
		f.other = mk("other@x.example", 0, dissent.RoleEmployee)
		return err
	})
	return f
}

func newMessage(t *testing.T, s dissent.Store, drafter dissent.PersonID, id string) dissent.Message {
	t.Helper()
	ctx := context.Background()
	h := dissent.ContentHash("title "+id, "summary", "body")
	m := dissent.Message{ID: dissent.MessageID(id), OrgID: "state", DrafterID: drafter, State: dissent.StateDraft, Version: 1,
		ContentHash: h, Title: dissent.NewText("title " + id), Summary: dissent.NewText("summary"), Body: dissent.NewText("body"),
		SignatureCount: 1, Created: t0, Updated: t0, ReplyDays: 30}
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.CreateMessage(ctx, m, dissent.Version{MessageID: m.ID, Number: 1, Title: m.Title, Summary: m.Summary, Body: m.Body, ContentHash: h, AuthorID: drafter, Created: t0}); err != nil {
			return err
		}
		return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: drafter, ContentHash: h, Signed: t0}, false)
	})
	return m
}

func mid(n int) string { return fmt.Sprintf("%032x", n) }

func kindOf(err error) dissent.Kind { return dissent.ErrorKind(err) }

func testOrgs(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	seed(t, s)
	view(t, s, func(tx dissent.Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		if len(orgs) != 2 || orgs[0].ID != "state" || orgs[1].ID != "usaid" {
			t.Errorf("Orgs() = %+v; want state then usaid, in creation order", orgs)
		}
		o, err := tx.Org(ctx, "usaid")
		if err != nil || o.Name != "USAID" || o.TimeZone != "America/New_York" || !o.Created.Equal(t0) {
			t.Errorf("Org(usaid) = %+v, %v", o, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx dissent.Tx) error {
		return tx.CreateOrg(ctx, dissent.Org{ID: "state", Name: "again", TimeZone: "UTC", Created: t0})
	})
	if !errors.Is(err, dissent.ErrDuplicate) {
		t.Errorf("CreateOrg(duplicate) error = %v; want ErrDuplicate", err)
	}
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.CreateUnit(ctx, dissent.Unit{ID: "pm", OrgID: "state", Name: "Political-Military Affairs"}); err != nil {
			return err
		}
		if err := tx.CreateUnit(ctx, dissent.Unit{ID: "pm-rsat", OrgID: "state", Name: "Regional Security", ParentID: "pm"}); err != nil {
			return err
		}
		return tx.AddClosure(ctx, "state", "2023-11-06", "executive order")
	})
	view(t, s, func(tx dissent.Tx) error {
		u, err := tx.Unit(ctx, "pm-rsat")
		if err != nil || u.ParentID != "pm" || u.OrgID != "state" {
			t.Errorf("Unit(pm-rsat) = %+v, %v", u, err)
		}
		c, err := tx.Closures(ctx, "state")
		if err != nil || len(c) != 1 || c[0] != "2023-11-06" {
			t.Errorf("Closures(state) = %v, %v; want [2023-11-06]", c, err)
		}
		return nil
	})
}

func testPeople(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	view(t, s, func(tx dissent.Tx) error {
		p, err := tx.PersonByEmail(ctx, "sup@x.example")
		if err != nil {
			return err
		}
		if p.ID != f.sup || p.SupervisorID != f.boss || !slices.Contains(p.Roles, dissent.RoleOfficer) || !slices.Contains(p.Roles, dissent.RoleEmployee) || len(p.Roles) != 2 {
			t.Errorf("PersonByEmail(sup) = %+v", p)
		}
		m, err := tx.PeopleByEmail(ctx, []string{"boss@x.example", "nobody@x.example", "drafter@x.example"})
		if err != nil {
			return err
		}
		if len(m) != 2 || m["boss@x.example"].ID != f.boss || !slices.Contains(m["boss@x.example"].Roles, dissent.RolePrincipal) || m["drafter@x.example"].SupervisorID != f.sup {
			t.Errorf("PeopleByEmail = %+v", m)
		}
		n, err := tx.CountPeopleWithRole(ctx, dissent.RoleEmployee)
		if err != nil || n != 4 {
			t.Errorf("CountPeopleWithRole(employee) = %d, %v; want 4", n, err)
		}
		return nil
	})
	err := s.Update(ctx, func(tx dissent.Tx) error {
		_, err := tx.CreatePerson(ctx, dissent.Person{Email: "other@x.example", Name: "dup", OrgID: "state", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
		return err
	})
	if !errors.Is(err, dissent.ErrDuplicate) {
		t.Errorf("CreatePerson(duplicate e-mail) error = %v; want ErrDuplicate", err)
	}
	// More people than one chunk of bound parameters.
	var emails []string
	update(t, s, func(tx dissent.Tx) error {
		for i := range 1200 {
			e := fmt.Sprintf("bulk%04d@x.example", i)
			emails = append(emails, e)
			if _, err := tx.CreatePerson(ctx, dissent.Person{Email: e, Name: e, OrgID: "usaid", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx dissent.Tx) error {
		m, err := tx.PeopleByEmail(ctx, emails)
		if err != nil || len(m) != 1200 {
			t.Errorf("PeopleByEmail(1200) found %d, %v", len(m), err)
		}
		return nil
	})
}

func testTokens(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	h := bytes.Repeat([]byte{7}, 32)
	update(t, s, func(tx dissent.Tx) error { return tx.CreateToken(ctx, f.other, h, t0) })
	view(t, s, func(tx dissent.Tx) error {
		r, p, err := tx.TokenByHash(ctx, h)
		if err != nil || p.ID != f.other || r.PersonID != f.other {
			t.Errorf("TokenByHash = %+v, %+v, %v; want other", r, p, err)
		}
		if _, _, err := tx.TokenByHash(ctx, bytes.Repeat([]byte{8}, 32)); kindOf(err) != dissent.KindNotFound {
			t.Errorf("TokenByHash(unknown) error = %v; want not found", err)
		}
		return nil
	})
}

func testSignInLinks(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	h := bytes.Repeat([]byte{1}, 32)
	expired := bytes.Repeat([]byte{2}, 32)
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.CreateSignInLink(ctx, f.other, h, t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.CreateSignInLink(ctx, f.other, expired, t0.Add(-time.Second))
	})
	var got dissent.PersonID
	update(t, s, func(tx dissent.Tx) error {
		var err error
		got, err = tx.UseSignInLink(ctx, h, t0)
		return err
	})
	if got != f.other {
		t.Errorf("UseSignInLink = %d; want %d", got, f.other)
	}
	for name, hash := range map[string][]byte{"reused": h, "expired": expired} {
		err := s.Update(ctx, func(tx dissent.Tx) error { _, err := tx.UseSignInLink(ctx, hash, t0); return err })
		if kindOf(err) != dissent.KindNotFound {
			t.Errorf("UseSignInLink(%s) error = %v; want not found", name, err)
		}
	}
}

func testMessages(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	newMessage(t, s, f.other, mid(2))
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Message(ctx, m.ID)
		if err != nil {
			return err
		}
		if got.Title.Reveal() != "title "+mid(1) || got.ContentHash != m.ContentHash || got.State != dissent.StateDraft || !got.Created.Equal(t0) || !got.SubmittedAt.IsZero() || !got.AcknowledgeBy.IsZero() {
			t.Errorf("Message = %+v", got)
		}
		return nil
	})
	ny, _ := time.LoadLocation("America/New_York")
	ackBy := time.Date(2023, 11, 7, 23, 59, 59, 999999999, ny)
	h2 := dissent.ContentHash("v2", "s", "b")
	update(t, s, func(tx dissent.Tx) error {
		got, err := tx.LockMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		got.Version, got.ContentHash = 2, h2
		if err := tx.AddVersion(ctx, dissent.Version{MessageID: m.ID, Number: 2, Title: dissent.NewText("v2"), Summary: dissent.NewText("s"), Body: dissent.NewText("b"), ContentHash: h2, AuthorID: f.drafter, Created: t0}); err != nil {
			return err
		}
		got.State, got.SubmittedAt, got.AcknowledgeBy, got.ReplyBy = dissent.StateSubmitted, t0, ackBy, ackBy.AddDate(0, 1, 0)
		got.ExtensionNote = dissent.NewText("because")
		return tx.UpdateMessage(ctx, got)
	})
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Message(ctx, m.ID)
		if err != nil {
			return err
		}
		if got.Version != 2 || got.Title.Reveal() != "v2" || got.ContentHash != h2 || got.State != dissent.StateSubmitted || got.ExtensionNote.Reveal() != "because" {
			t.Errorf("Message after update = %+v", got)
		}
		if got.AcknowledgeBy.Format(time.DateOnly) != "2023-11-07" || !got.AcknowledgeBy.Equal(ackBy) || !got.SubmittedAt.Equal(t0) {
			t.Errorf("deadline round trip: AcknowledgeBy = %v (%s); want %v", got.AcknowledgeBy, got.AcknowledgeBy.Format(time.DateOnly), ackBy)
		}
		vs, err := tx.Versions(ctx, m.ID)
		if err != nil || len(vs) != 2 || vs[0].Title.Reveal() != "title "+mid(1) || vs[1].ContentHash != h2 {
			t.Errorf("Versions = %+v, %v", vs, err)
		}
		mine, err := tx.MessagesOf(ctx, f.drafter)
		if err != nil || len(mine) != 1 || mine[0].ID != m.ID {
			t.Errorf("MessagesOf(drafter) = %v, %v; want only %s", mine, err, m.ID)
		}
		sub, err := tx.SubmittedMessages(ctx)
		if err != nil || len(sub) != 1 || sub[0].ID != m.ID {
			t.Errorf("SubmittedMessages = %v, %v; want only %s", sub, err, m.ID)
		}
		return nil
	})
}

func testSignatures(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	sig := dissent.Signature{MessageID: m.ID, Version: 1, PersonID: f.other, ContentHash: m.ContentHash, MinCosigners: 3, Signed: t0}
	update(t, s, func(tx dissent.Tx) error { return tx.InsertSignature(ctx, sig, false) })
	err := s.Update(ctx, func(tx dissent.Tx) error { return tx.InsertSignature(ctx, sig, false) })
	if !errors.Is(err, dissent.ErrDuplicate) {
		t.Errorf("second active signature error = %v; want ErrDuplicate", err)
	}
	view(t, s, func(tx dissent.Tx) error {
		mins, err := tx.SignatureMinimums(ctx, m.ID, 1)
		if err != nil || len(mins) != 2 || mins[0] != 0 || mins[1] != 3 {
			t.Errorf("SignatureMinimums = %v, %v; want [0 3]", mins, err)
		}
		return nil
	})
	var versions []int
	update(t, s, func(tx dissent.Tx) error {
		var err error
		versions, err = tx.WithdrawSignatures(ctx, m.ID, f.other, t0)
		return err
	})
	if len(versions) != 1 || versions[0] != 1 {
		t.Errorf("WithdrawSignatures = %v; want [1]", versions)
	}
	// After withdrawal the person may sign again.
	update(t, s, func(tx dissent.Tx) error { return tx.InsertSignature(ctx, sig, false) })
	view(t, s, func(tx dissent.Tx) error {
		c, err := tx.CountSignatures(ctx, m.ID, 1)
		if err != nil || c != 2 {
			t.Errorf("CountSignatures = %d, %v; want 2", c, err)
		}
		return nil
	})
}

func testRelation(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	update(t, s, func(tx dissent.Tx) error {
		if _, err := tx.AddInvitations(ctx, m.ID, []dissent.PersonID{f.other}, f.drafter, t0); err != nil {
			return err
		}
		if _, err := tx.InsertConsultation(ctx, dissent.Consultation{MessageID: m.ID, ReviewerID: f.other, RequestBy: f.sup, Due: t0.Add(48 * time.Hour), Created: t0}); err != nil {
			return err
		}
		return tx.AddDistribution(ctx, m.ID, []dissent.PersonID{f.boss}, t0)
	})
	tests := []struct {
		who  dissent.PersonID
		now  time.Time
		want dissent.Facts
	}{
		{f.drafter, t0, dissent.Facts{Signer: true}},
		{f.sup, t0, dissent.Facts{InChain: true}},
		{f.boss, t0, dissent.Facts{InChain: true, Distributed: true}},
		{f.other, t0, dissent.Facts{Invitee: true, Consulted: true}},
		{f.other, t0.Add(49 * time.Hour), dissent.Facts{Invitee: true}}, // consultation expired
	}
	view(t, s, func(tx dissent.Tx) error {
		for _, tt := range tests {
			got, err := tx.Relation(ctx, m.ID, tt.who, tt.now)
			if err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("Relation(person %d, %v) = %+v; want %+v", tt.who, tt.now, got, tt.want)
			}
		}
		return nil
	})
}

func testSigners(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	update(t, s, func(tx dissent.Tx) error {
		return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: f.other, ContentHash: m.ContentHash, Signed: t0.Add(time.Second)}, false)
	})
	for _, tt := range []struct {
		reader       dissent.PersonID
		withheldOf   dissent.PersonID
		anyWithheld  bool
		readerString string
	}{
		{f.boss, f.drafter, true, "boss"},
		{f.sup, f.drafter, true, "sup"},
		{f.other, 0, false, "other"},
	} {
		view(t, s, func(tx dissent.Tx) error {
			rows, err := tx.Signers(ctx, m.ID, 1, tt.reader)
			if err != nil {
				return err
			}
			if len(rows) != 2 || rows[0].PersonID != f.drafter || rows[1].PersonID != f.other {
				t.Fatalf("Signers = %+v; want drafter then other", rows)
			}
			for _, r := range rows {
				if want := tt.anyWithheld && r.PersonID == tt.withheldOf; r.Withheld != want {
					t.Errorf("Signers(reader %s): person %d withheld = %v; want %v", tt.readerString, r.PersonID, r.Withheld, want)
				}
			}
			return nil
		})
	}
}

func testWorkflow(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	var rid, cid int64
	update(t, s, func(tx dissent.Tx) error {
		n, err := tx.AddInvitations(ctx, m.ID, []dissent.PersonID{f.other, f.boss}, f.drafter, t0)
		if err != nil || n != 2 {
			return fmt.Errorf("AddInvitations = %d, %v; want 2", n, err)
		}
		if n, err = tx.AddInvitations(ctx, m.ID, []dissent.PersonID{f.other}, f.drafter, t0); err != nil || n != 0 {
			return fmt.Errorf("AddInvitations(again) = %d, %v; want 0", n, err)
		}
		if err := tx.AddCoauthor(ctx, m.ID, f.other, t0); err != nil {
			return err
		}
		if err := tx.Assign(ctx, m.ID, f.sup, f.sup, t0); err != nil {
			return err
		}
		if rid, err = tx.InsertReply(ctx, dissent.Reply{MessageID: m.ID, AuthorID: f.sup, Body: dissent.NewText("reply"), Created: t0}); err != nil {
			return err
		}
		if cid, err = tx.InsertConsultation(ctx, dissent.Consultation{MessageID: m.ID, ReviewerID: f.other, RequestBy: f.sup, Due: t0.Add(time.Hour), Created: t0}); err != nil {
			return err
		}
		if err := tx.AddEndorser(ctx, m.ID, f.boss, t0); err != nil {
			return err
		}
		if _, err := tx.InsertMeeting(ctx, dissent.Meeting{MessageID: m.ID, HeldOn: "2023-12-01", Notes: dissent.NewText("notes"), Recorded: t0, ByID: f.sup}); err != nil {
			return err
		}
		return nil
	})
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.ApproveReply(ctx, m.ID, rid, f.boss, t0); err != nil {
			return err
		}
		if err := tx.AnswerConsultation(ctx, cid, dissent.NewText("input"), t0); err != nil {
			return err
		}
		return tx.SetEndorsement(ctx, dissent.Endorsement{MessageID: m.ID, EndorserID: f.boss, Body: dissent.NewText("I endorse"), Created: t0})
	})
	err := s.Update(ctx, func(tx dissent.Tx) error { return tx.ApproveReply(ctx, m.ID, rid, f.boss, t0) })
	if kindOf(err) != dissent.KindNotFound {
		t.Errorf("ApproveReply(twice) error = %v; want not found", err)
	}
	err = s.Update(ctx, func(tx dissent.Tx) error { return tx.AnswerConsultation(ctx, cid, dissent.NewText("again"), t0) })
	if kindOf(err) != dissent.KindNotFound {
		t.Errorf("AnswerConsultation(twice) error = %v; want not found", err)
	}
	view(t, s, func(tx dissent.Tx) error {
		rs, err := tx.Replies(ctx, m.ID)
		if err != nil || len(rs) != 1 || rs[0].Body.Reveal() != "reply" || rs[0].ApprovedBy != f.boss || rs[0].ApprovedAt.IsZero() {
			t.Errorf("Replies = %+v, %v", rs, err)
		}
		cs, err := tx.Consultations(ctx, m.ID)
		if err != nil || len(cs) != 1 || cs[0].Input.Reveal() != "input" || cs[0].AnsweredAt.IsZero() {
			t.Errorf("Consultations = %+v, %v", cs, err)
		}
		es, err := tx.Endorsements(ctx, m.ID)
		if err != nil || len(es) != 1 || es[0].Body.Reveal() != "I endorse" {
			t.Errorf("Endorsements = %+v, %v", es, err)
		}
		ms, err := tx.Meetings(ctx, m.ID)
		if err != nil || len(ms) != 1 || ms[0].HeldOn != "2023-12-01" {
			t.Errorf("Meetings = %+v, %v", ms, err)
		}
		as, err := tx.Assignees(ctx, m.ID)
		if err != nil || len(as) != 1 || as[0] != f.sup {
			t.Errorf("Assignees = %v, %v", as, err)
		}
		rel, err := tx.Relation(ctx, m.ID, f.other, t0)
		if err != nil || !rel.Coauthor || !rel.Invitee || rel.Consulted {
			t.Errorf("Relation(other) = %+v, %v; want co-author, invitee, consultation answered", rel, err)
		}
		return nil
	})
}

func testEvents(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	update(t, s, func(tx dissent.Tx) error {
		for _, e := range []dissent.Event{
			{At: t0, ActorID: f.drafter, ActorRole: dissent.RoleEmployee, Kind: "message.submitted", MessageID: m.ID, Detail: "v1"},
			{At: t0.Add(time.Minute), ActorID: f.sup, ActorRole: dissent.RoleOfficer, Kind: "read.text", MessageID: m.ID},
			{At: t0.Add(2 * time.Minute), ActorID: f.boss, ActorRole: dissent.RolePrincipal, Kind: "read.names", MessageID: m.ID},
			{At: t0.Add(3 * time.Minute), ActorID: f.other, ActorRole: dissent.RoleEmployee, Kind: "signature.added", MessageID: m.ID, Protected: true, ActorEmail: "other@x.example"},
			{At: t0, Kind: "org.added", Detail: "x"},
		} {
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx dissent.Tx) error {
		es, err := tx.Events(ctx, m.ID)
		if err != nil || len(es) != 4 || es[0].Kind != "message.submitted" || es[1].ActorID != f.sup || es[3].ActorID != f.other {
			t.Errorf("Events = %+v, %v", es, err)
		}
		// Given classes, only the events of those classes.
		for _, c := range []struct {
			classes []dissent.EventClass
			want    []string
		}{
			{[]dissent.EventClass{dissent.ClassStep}, []string{"message.submitted"}},
			{[]dissent.EventClass{dissent.ClassRead}, []string{"read.text", "read.names"}},
			{[]dissent.EventClass{dissent.ClassAct}, []string{"signature.added"}},
			{[]dissent.EventClass{dissent.ClassStep, dissent.ClassAct}, []string{"message.submitted", "signature.added"}},
		} {
			es, err := tx.Events(ctx, m.ID, c.classes...)
			var kinds []string
			for _, e := range es {
				kinds = append(kinds, e.Kind)
			}
			if err != nil || !slices.Equal(kinds, c.want) {
				t.Errorf("Events(%v) = %v, %v; want %v", c.classes, kinds, err, c.want)
			}
		}
		if es, err := tx.Events(ctx, m.ID, dissent.ClassAct); err != nil || len(es) != 1 || es[0].ActorID != f.other || !es[0].Protected {
			t.Errorf("Events(act) = %+v, %v; want the signer's act, its actor opened", es, err)
		}
		if es, err := tx.Events(ctx, "", dissent.ClassRead); err != nil || len(es) != 0 {
			t.Errorf("Events(no message, reads) = %+v, %v; want none", es, err)
		}
		al, err := tx.AccessLog(ctx, m.ID)
		if err != nil {
			return err
		}
		if len(al) != 2 || al[0].Kind != "text" || al[0].Role != dissent.RoleOfficer || al[1].Kind != "names" || al[1].Name != "boss@x.example" || !al[1].At.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("AccessLog = %+v", al)
		}
		// The five entries of the one transaction (written together on
		// PostgreSQL) are numbered in the order appended, with or without a
		// message.
		recent, err := tx.RecentEvents(ctx, math.MaxInt64, 5)
		if err != nil {
			return err
		}
		var kinds []string
		for i, e := range recent {
			kinds = append(kinds, e.Kind)
			if i > 0 && e.ID >= recent[i-1].ID {
				t.Errorf("RecentEvents: event %d numbered %d after %d; want descending", i, e.ID, recent[i-1].ID)
			}
		}
		if want := []string{"org.added", "signature.added", "read.names", "read.text", "message.submitted"}; !slices.Equal(kinds, want) {
			t.Errorf("RecentEvents kinds = %v; want %v", kinds, want)
		}
		if len(recent) == 4 && (recent[0].MessageID != "" || recent[1].MessageID != m.ID) {
			t.Errorf("RecentEvents messages = %q, %q; want none, %s", recent[0].MessageID, recent[1].MessageID, m.ID)
		}
		return nil
	})
}

func testRollback(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.AddClosure(ctx, "state", "2024-01-02", "x"); err != nil {
			return err
		}
		if _, err := tx.CreatePerson(ctx, dissent.Person{Email: "ghost@x.example", Name: "g", OrgID: "state", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v; want boom", err)
	}
	view(t, s, func(tx dissent.Tx) error {
		if _, err := tx.PersonByEmail(ctx, "ghost@x.example"); kindOf(err) != dissent.KindNotFound {
			t.Errorf("person from a failed Update exists: %v", err)
		}
		if c, _ := tx.Closures(ctx, "state"); len(c) != 0 {
			t.Errorf("closure from a failed Update exists: %v", c)
		}
		return nil
	})
	// A panic in one caller's function fails that caller only.
	err = s.Update(ctx, func(tx dissent.Tx) error { panic("bad request") })
	if err == nil {
		t.Error("Update with a panicking function returned nil")
	}
	update(t, s, func(tx dissent.Tx) error { return tx.AddClosure(ctx, "state", "2024-01-03", "after panic") })
	_ = f
}

// testConcurrentUpdates: read-modify-write of one row from many goroutines
// loses no update, and failing callers do not disturb the others.
func testConcurrentUpdates(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fail := (w+i)%5 == 0
				err := s.Update(ctx, func(tx dissent.Tx) error {
					got, err := tx.LockMessage(ctx, m.ID)
					if err != nil {
						return err
					}
					got.SignatureCount++
					if err := tx.UpdateMessage(ctx, got); err != nil {
						return err
					}
					if fail {
						return errors.New("planned failure")
					}
					return nil
				})
				if (err != nil) != fail {
					errs <- fmt.Errorf("worker %d step %d: err = %v, planned failure %v", w, i, err, fail)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	failures := 0
	for w := range workers {
		for i := range each {
			if (w+i)%5 == 0 {
				failures++
			}
		}
	}
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Message(ctx, m.ID)
		if err != nil {
			return err
		}
		if want := 1 + workers*each - failures; got.SignatureCount != want {
			t.Errorf("after %d concurrent increments (%d failing), count = %d; want %d", workers*each, failures, got.SignatureCount, want)
		}
		return nil
	})
}

// testConcurrentSignatures: many people, some twice, sign at once; each
// active signature exists exactly once.
func testConcurrentSignatures(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	const people = 100
	ids := make([]dissent.PersonID, people)
	update(t, s, func(tx dissent.Tx) error {
		for i := range ids {
			var err error
			if ids[i], err = tx.CreatePerson(ctx, dissent.Person{Email: fmt.Sprintf("p%d@x.example", i), Name: "p", OrgID: "usaid", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := range 2 * people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Update(ctx, func(tx dissent.Tx) error {
				return tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: ids[i%people], ContentHash: m.ContentHash, Signed: t0}, false)
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, dissent.ErrDuplicate):
				conflicts++
			default:
				t.Errorf("InsertSignature: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != people || conflicts != people {
		t.Errorf("%d signatures from %d people (each twice): %d succeeded, %d conflicts; want %d and %d", 2*people, people, ok, conflicts, people, people)
	}
	view(t, s, func(tx dissent.Tx) error {
		n, err := tx.CountSignatures(ctx, m.ID, 1)
		if err != nil || n != people+1 {
			t.Errorf("CountSignatures = %d, %v; want %d", n, err, people+1)
		}
		// The kept count saw every concurrent signature once.
		mins, err := tx.SignatureMinimums(ctx, m.ID, 1)
		if err != nil || len(mins) != people+1 {
			t.Errorf("SignatureMinimums holds %d, %v; want %d", len(mins), err, people+1)
		}
		return nil
	})
}

func testNotFound(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	seed(t, s)
	view(t, s, func(tx dissent.Tx) error {
		checks := map[string]error{}
		_, checks["Org"] = tx.Org(ctx, "nope")
		_, checks["Unit"] = tx.Unit(ctx, "nope")
		_, checks["Person"] = tx.Person(ctx, 424242)
		_, checks["PersonByEmail"] = tx.PersonByEmail(ctx, "nope@x.example")
		_, checks["Message"] = tx.Message(ctx, dissent.MessageID(mid(99)))
		for name, err := range checks {
			if kindOf(err) != dissent.KindNotFound {
				t.Errorf("%s(missing) error = %v; want not found", name, err)
			}
		}
		return nil
	})
	err := s.Update(ctx, func(tx dissent.Tx) error {
		return tx.UpdateMessage(ctx, dissent.Message{ID: dissent.MessageID(mid(99)), State: dissent.StateDraft})
	})
	if kindOf(err) != dissent.KindNotFound {
		t.Errorf("UpdateMessage(missing) error = %v; want not found", err)
	}
}
