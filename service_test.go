package dissent_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

var ctx = context.Background()

func wantKind(t *testing.T, what string, err error, kind dissent.Kind) {
	t.Helper()
	if got := dissent.ErrorKind(err); err == nil || got != kind {
		t.Errorf("%s: error = %v (kind %v); want kind %v", what, err, got, kind)
	}
}

// must returns v, and stops the test (by panicking, which the testing
// package reports with the stack) if err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// draft creates a message by the drafter and invites the given people.
func draft(t *testing.T, e *servicetest.Env, drafter servicetest.Actor, invite ...string) dissent.Message {
	t.Helper()
	m := must(e.Svc.CreateMessage(ctx, drafter.Actor, dissent.Draft{Title: "On the war", Summary: "Change course.", Body: "We recommend a ceasefire."}))
	if len(invite) > 0 {
		must(e.Svc.Invite(ctx, drafter.Actor, m.ID, invite))
	}
	return m
}

// signerEmails lists the names shown, then one "(withheld)" for each
// signature counted but not shown.
func signerEmails(l dissent.SignerList) []string {
	var out []string
	for _, v := range l.Signers {
		out = append(out, v.Email)
	}
	for range l.Total - len(l.Signers) {
		out = append(out, "(withheld)")
	}
	return out
}

func TestConditionalSignaturesStaySealed(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 4)
	m := draft(t, e, p["drafter@state.example"], s...)
	sign := func(i, min int) dissent.Message {
		t.Helper()
		return must(e.Svc.Sign(ctx, p[s[i]].Actor, m.ID, m.ContentHash, min))
	}
	if got := sign(1, 3).SignatureCount; got != 1 {
		t.Errorf("after a conditional signature needing 3 others: count = %d; want 1", got)
	}
	names := must(e.Svc.Signers(ctx, p["drafter@state.example"].Actor, m.ID))
	if got := signerEmails(names); len(got) != 1 || got[0] != "drafter@state.example" {
		t.Errorf("drafter sees signers %v; want only themselves (the conditional one is sealed)", got)
	}
	if got := sign(2, 0).SignatureCount; got != 2 {
		t.Errorf("count = %d; want 2", got)
	}
	if got := sign(3, 0).SignatureCount; got != 4 {
		t.Errorf("with 3 others the quorum is met: count = %d; want 4", got)
	}
	names = must(e.Svc.Signers(ctx, p["drafter@state.example"].Actor, m.ID))
	if len(names.Signers) != 4 || names.Total != 4 {
		t.Errorf("after the quorum, drafter sees %v; want 4 signers", signerEmails(names))
	}
	// Withdrawing one unconditional signature reseals the conditional one.
	if got := must(e.Svc.Unsign(ctx, p[s[3]].Actor, m.ID)).SignatureCount; got != 2 {
		t.Errorf("after a withdrawal count = %d; want 2 (conditional resealed)", got)
	}
}

func TestEditAsksSignersAgain(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	d := p["drafter@state.example"]
	m := draft(t, e, d, s...)
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0))
	m2 := must(e.Svc.EditMessage(ctx, d.Actor, m.ID, dissent.Draft{Title: "On the war", Body: "We recommend a ceasefire now."}))
	if m2.Version != 2 || m2.ContentHash == m.ContentHash || m2.SignatureCount != 1 {
		t.Errorf("after edit: version %d, count %d; want version 2, count 1 (only the drafter)", m2.Version, m2.SignatureCount)
	}
	_, err := e.Svc.Sign(ctx, p[s[0]].Actor, m.ID, m.ContentHash, 0)
	if de := dissent.AsError(err); de.Kind != dissent.KindConflict || de.Field != "content_hash" {
		t.Errorf("signing the old version: error = %v; want a conflict on content_hash", err)
	}
	if got := must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m2.ContentHash, 0)).SignatureCount; got != 2 {
		t.Errorf("re-signing v2: count = %d; want 2", got)
	}
	_, err = e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash)
	wantKind(t, "submitting with the old hash", err, dissent.KindConflict)
	sub := must(e.Svc.Submit(ctx, d.Actor, m.ID, m2.ContentHash))
	if sub.SignatureCount != 2 || sub.Version != 2 {
		t.Errorf("submitted: count %d version %d; want 2, 2", sub.SignatureCount, sub.Version)
	}
}

func TestSubmissionFreezes(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	d := p["drafter@state.example"]
	m := draft(t, e, d, s...)
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	_, err := e.Svc.Sign(ctx, p[s[0]].Actor, m.ID, m.ContentHash, 0)
	wantKind(t, "signing after submission", err, dissent.KindConflict)
	_, err = e.Svc.Unsign(ctx, p[s[1]].Actor, m.ID)
	wantKind(t, "withdrawing a signature after submission", err, dissent.KindConflict)
	_, err = e.Svc.EditMessage(ctx, d.Actor, m.ID, dissent.Draft{Title: "x", Body: "y"})
	wantKind(t, "editing after submission", err, dissent.KindConflict)
	_, err = e.Svc.Invite(ctx, d.Actor, m.ID, []string{"outsider@state.example"})
	wantKind(t, "inviting after submission", err, dissent.KindConflict)
	got := must(e.Svc.GetMessage(ctx, d.Actor, m.ID))
	if got.SignatureCount != 2 || got.State != dissent.StateSubmitted {
		t.Errorf("after illegal steps: count %d, state %s; want 2, submitted", got.SignatureCount, got.State)
	}
}

func TestManagementChain(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 3)
	d := p["drafter@state.example"]
	// The principal supervises signer 1.
	more := e.AddPeople(t, servicetest.Person{Email: "chief@state.example", Roles: []dissent.Role{dissent.RolePrincipal}},
		servicetest.Person{Email: "deputy@state.example", Supervisor: "chief@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})
	m := draft(t, e, d, append(s, "deputy@state.example")...)
	must(e.Svc.Sign(ctx, more["deputy@state.example"].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	off := p["officer@state.example"].Actor

	// boss is an officer and the drafter's second-line supervisor: recused.
	boss := p["boss@state.example"].Actor
	_, err := e.Svc.GetMessage(ctx, boss, m.ID)
	wantKind(t, "officer in the drafter's chain reads", err, dissent.KindNotFound)
	_, err = e.Svc.Acknowledge(ctx, boss, m.ID)
	wantKind(t, "officer in the drafter's chain acknowledges", err, dissent.KindNotFound)
	// A recused officer is refused as a message that does not exist is.
	_, errNone := e.Svc.GetMessage(ctx, boss, "0123456789abcdef0123456789abcdef")
	if err == nil || errNone == nil || err.Error() != errNone.Error() || dissent.ErrorKind(err) != dissent.ErrorKind(errNone) {
		t.Errorf("recused officer's refusal %v; for a message that does not exist %v; want the same", err, errNone)
	}
	// Refusals to assign are worded the same whatever the reason: the
	// officer in the chain, the drafter (taking part), a person without
	// the role, an unknown address.
	refusal := func(email string) string {
		t.Helper()
		err := e.Svc.Assign(ctx, off, m.ID, email)
		de := dissent.AsError(err)
		if de == nil {
			t.Fatalf("assigning %s: %v; want a refusal", email, err)
		}
		return fmt.Sprintf("%s/%s/%s/%s", de.Kind, de.Code, de.Field, strings.ReplaceAll(de.Message, email, "ADDRESS"))
	}
	want := refusal("nobody@state.example")
	for _, who := range []string{"boss@state.example", "drafter@state.example", "monitor@state.example"} {
		if got := refusal(who); got != want {
			t.Errorf("assigning %s is refused as %q; an unknown address as %q; want the same", who, got, want)
		}
	}
	// Statistics count every message, whatever the reader's recusal.
	recused := must(e.Svc.Statistics(ctx, boss, dissent.StatsFilter{}))
	other := must(e.Svc.Statistics(ctx, off, dissent.StatsFilter{}))
	if !reflect.DeepEqual(recused, other) {
		t.Errorf("statistics of the recused officer:\n%+v\nof another officer:\n%+v\nwant the same", recused, other)
	}
	list := must(e.Svc.ListMessages(ctx, boss))
	if len(list) != 0 {
		t.Errorf("officer in the chain lists %d messages; want 0", len(list))
	}
	if err := e.Svc.Assign(ctx, off, m.ID, "officer2@state.example"); err != nil {
		t.Errorf("assigning an officer outside the chain: %v", err)
	}

	// The chief, a principal, reads the text but not the name of the deputy.
	must(e.Svc.Acknowledge(ctx, off, m.ID))
	if err := e.Svc.Distribute(ctx, off, m.ID, []string{"chief@state.example"}); err != nil {
		t.Fatal(err)
	}
	chief := more["chief@state.example"].Actor
	v := must(e.Svc.GetMessage(ctx, chief, m.ID))
	if !v.Text || v.Body.Reveal() == "" {
		t.Error("a principal cannot read the text distributed to them")
	}
	names := signerEmails(must(e.Svc.Signers(ctx, chief, m.ID)))
	if strings.Contains(strings.Join(names, " "), "deputy@") || !strings.Contains(strings.Join(names, " "), "(withheld)") {
		t.Errorf("the deputy's supervisor sees signers %v; want the deputy withheld", names)
	}
	// Others see the deputy's name.
	names = signerEmails(must(e.Svc.Signers(ctx, p["officer2@state.example"].Actor, m.ID)))
	if !strings.Contains(strings.Join(names, " "), "deputy@") {
		t.Errorf("an officer outside the chain sees signers %v; want the deputy", names)
	}
}

func TestWhoSeesWhat(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	d := p["drafter@state.example"]
	m := draft(t, e, d, s...)
	for _, who := range []string{"officer@state.example", "director@state.example", "monitor@state.example", "auditor@state.example", "admin@state.example", "outsider@state.example", "principal@state.example", "reviewer@state.example"} {
		_, err := e.Svc.GetMessage(ctx, p[who].Actor, m.ID)
		wantKind(t, who+" reads a draft", err, dissent.KindNotFound)
	}
	must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	for _, who := range []string{"admin@state.example", "outsider@state.example", "principal@state.example", "reviewer@state.example"} {
		_, err := e.Svc.GetMessage(ctx, p[who].Actor, m.ID)
		wantKind(t, who+" reads a submitted message", err, dissent.KindNotFound)
	}
	mon := must(e.Svc.GetMessage(ctx, p["monitor@state.example"].Actor, m.ID))
	if mon.Text || mon.Title.Reveal() != "" || mon.Body.Reveal() != "" || mon.AcknowledgeBy.IsZero() {
		t.Errorf("monitor view: text %v, title %q; want metadata only with deadlines", mon.Text, mon.Title.Reveal())
	}
	_, err := e.Svc.Signers(ctx, p["monitor@state.example"].Actor, m.ID)
	wantKind(t, "monitor reads names", err, dissent.KindForbidden)
	if l := must(e.Svc.ListMessages(ctx, p["admin@state.example"].Actor)); len(l) != 0 {
		t.Errorf("the administrator lists %d messages; want 0", len(l))
	}

	// A reviewer reads the text, never names, and only while consulted.
	off := p["officer@state.example"].Actor
	must(e.Svc.Consult(ctx, off, m.ID, "reviewer@state.example", "2023-11-20"))
	rev := p["reviewer@state.example"].Actor
	v := must(e.Svc.GetMessage(ctx, rev, m.ID))
	if !v.Text || len(v.Replies) != 0 || len(v.Endorsements) != 0 {
		t.Errorf("reviewer view: text %v; want text and nothing else", v.Text)
	}
	_, err = e.Svc.Signers(ctx, rev, m.ID)
	wantKind(t, "reviewer reads names", err, dissent.KindForbidden)
	if err := e.Svc.GiveInput(ctx, rev, m.ID, "Our bureau disagrees."); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.GetMessage(ctx, rev, m.ID)
	wantKind(t, "reviewer reads after giving input", err, dissent.KindNotFound)
}

func TestAccessLogRecordsReads(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	d := p["drafter@state.example"]
	m := draft(t, e, d, s...)
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.GetMessage(ctx, d.Actor, m.ID)) // the author's own read is not recorded
	must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	must(e.Svc.GetMessage(ctx, p["officer@state.example"].Actor, m.ID))
	must(e.Svc.Signers(ctx, p["director@state.example"].Actor, m.ID))
	must(e.Svc.GetMessage(ctx, p["monitor@state.example"].Actor, m.ID)) // metadata only: not a read of text
	log := must(e.Svc.AccessLog(ctx, p[s[1]].Actor, m.ID))
	var got []string
	for _, a := range log {
		got = append(got, a.Kind+":"+string(a.Role)+":"+a.Name)
	}
	want := []string{"text:officer:Name of officer@state.example", "names:director:Name of director@state.example"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("access log = %v; want %v", got, want)
	}
	_, err := e.Svc.AccessLog(ctx, p["officer@state.example"].Actor, m.ID)
	wantKind(t, "an officer reads the access log", err, dissent.KindForbidden)
}

func TestDeadlinesAndWorkflow(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	d := p["drafter@state.example"]
	m := draft(t, e, d)
	sub := must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	if got := sub.AcknowledgeBy.Format(time.DateOnly); got != "2023-11-07" {
		t.Errorf("acknowledge by %s; want 2023-11-07", got)
	}
	if got := sub.ReplyBy.Format(time.DateOnly); got != "2023-12-19" {
		t.Errorf("reply by %s; want 2023-12-19", got)
	}
	off, dir := p["officer@state.example"].Actor, p["director@state.example"].Actor
	_, _, err := e.Svc.Reply(ctx, dir, m.ID, "early")
	wantKind(t, "reply before acknowledgement", err, dissent.KindConflict)
	_, err = e.Svc.Extend(ctx, off, m.ID, 60, "r")
	wantKind(t, "an officer extends", err, dissent.KindForbidden)
	_, err = e.Svc.Extend(ctx, dir, m.ID, 30, "r")
	wantKind(t, "extend to 30", err, dissent.KindInvalid)
	x := must(e.Svc.Extend(ctx, dir, m.ID, 60, "Consulting two bureaus."))
	if got := x.ReplyBy.Format(time.DateOnly); got != "2024-02-02" {
		t.Errorf("extended reply by %s; want 2024-02-02", got)
	}
	_, err = e.Svc.Extend(ctx, dir, m.ID, 45, "again")
	wantKind(t, "a second extension", err, dissent.KindConflict)
	must(e.Svc.Acknowledge(ctx, off, m.ID))
	_, err = e.Svc.Withdraw(ctx, d.Actor, m.ID)
	wantKind(t, "withdraw after acknowledgement", err, dissent.KindConflict)
	r, _, err := e.Svc.Reply(ctx, off, m.ID, "Draft reply for approval.")
	if err != nil {
		t.Fatal(err)
	}
	if st := must(e.Svc.GetMessage(ctx, d.Actor, m.ID)); st.State != dissent.StateAcknowledged || len(st.Replies) != 0 {
		t.Errorf("after an officer's draft reply the author sees state %s and %d replies; want acknowledged and none", st.State, len(st.Replies))
	}
	_, err = e.Svc.ApproveReply(ctx, off, m.ID, r.ID)
	wantKind(t, "an officer approves", err, dissent.KindForbidden)
	must(e.Svc.ApproveReply(ctx, dir, m.ID, r.ID))
	v := must(e.Svc.GetMessage(ctx, d.Actor, m.ID))
	if v.State != dissent.StateReplied || len(v.Replies) != 1 || v.ExtensionNote.Reveal() != "Consulting two bureaus." {
		t.Errorf("author sees state %s, %d replies, extension %q", v.State, len(v.Replies), v.ExtensionNote.Reveal())
	}
	must(e.Svc.RecordMeeting(ctx, off, m.ID, "2024-01-10", "Met the Deputy Secretary."))
	must(e.Svc.Close(ctx, off, m.ID))
	_, err = e.Svc.Reopen(ctx, off, m.ID, "new facts")
	wantKind(t, "an officer reopens", err, dissent.KindForbidden)
	if st := must(e.Svc.Reopen(ctx, dir, m.ID, "New facts.")).State; st != dissent.StateAcknowledged {
		t.Errorf("reopened state %s; want acknowledged", st)
	}
}

// TestSubmitRacesSignatures: signatures racing a submission either land
// before it, and count, or fail; none lands after.
func TestSubmitRacesSignatures(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 60)
	d := p["drafter@state.example"]
	m := draft(t, e, d, s...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i, email := range s {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Svc.Sign(ctx, p[email].Actor, m.ID, m.ContentHash, 0)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if dissent.AsError(err).Code != "illegal_transition" {
				t.Errorf("signer %d: %v", i, err)
			}
		}()
		if i == 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash); err != nil {
					t.Errorf("submit: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	v := must(e.Svc.GetMessage(ctx, d.Actor, m.ID))
	names := must(e.Svc.Signers(ctx, d.Actor, m.ID))
	if v.SignatureCount != ok+1 || len(names.Signers) != ok+1 {
		t.Errorf("%d signatures succeeded; count %d, %d names; want %d", ok, v.SignatureCount, len(names.Signers), ok+1)
	}
}

func TestConcurrentAcknowledge(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	d := p["drafter@state.example"]
	m := draft(t, e, d)
	must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := []string{"officer@state.example", "officer2@state.example", "director@state.example"}[i%3]
			_, errs[i] = e.Svc.Acknowledge(ctx, p[who].Actor, m.ID)
		}()
	}
	wg.Wait()
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		} else if dissent.ErrorKind(err) != dissent.KindConflict {
			t.Errorf("acknowledge: %v", err)
		}
	}
	if n != 1 {
		t.Errorf("%d of 8 concurrent acknowledgements succeeded; want exactly 1", n)
	}
}

func TestBadDrafts(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	d := p["drafter@state.example"].Actor
	tests := []struct {
		name  string
		draft dissent.Draft
		field string
		limit int
	}{
		{"title 201 characters", dissent.Draft{Title: strings.Repeat("t", 201), Body: "b"}, "title", 200},
		{"no title", dissent.Draft{Title: " ", Body: "b"}, "title", 0},
		{"body 100,001 characters", dissent.Draft{Title: "t", Body: strings.Repeat("b", 100_001)}, "body", 100_000},
		{"summary too long", dissent.Draft{Title: "t", Summary: strings.Repeat("s", 2001)}, "summary", 2000},
		{"invalid UTF-8", dissent.Draft{Title: "t\xff", Body: "b"}, "title", 0},
		{"control character", dissent.Draft{Title: "t", Body: "b\x07"}, "body", 0},
	}
	for _, tt := range tests {
		_, err := e.Svc.CreateMessage(ctx, d, tt.draft)
		de := dissent.AsError(err)
		if de.Kind != dissent.KindInvalid || de.Field != tt.field || de.Limit != tt.limit {
			t.Errorf("%s: error = %+v; want invalid %s limit %d", tt.name, de, tt.field, tt.limit)
		}
	}
	if l := must(e.Svc.ListMessages(ctx, d)); len(l) != 0 {
		t.Errorf("bad drafts left %d messages behind", len(l))
	}
	// The boundary itself is fine.
	must(e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: strings.Repeat("é", 200), Body: strings.Repeat("b", 100_000)}))
}
