package dissent_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

func noticeKinds(t *testing.T, e *servicetest.Env, a dissent.Actor) []string {
	t.Helper()
	v, err := e.Svc.Account(context.Background(), a)
	if err != nil {
		t.Fatalf("Account(%s): %v", a.Email, err)
	}
	var out []string
	for _, n := range v.Notices {
		out = append(out, n.Kind)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, kind dissent.Kind, code string) {
	t.Helper()
	wantKind(t, what, err, kind)
	if e := dissent.AsError(err); err != nil && e.Code != code {
		t.Errorf("%s: code %q (%v); want %q", what, e.Code, err, code)
	}
}

// TestAdminCannotActAsAnother plays issue 11's attack: an administrator
// tries to get a credential for a plain employee who has signed in. Every
// route is refused; the route through a second administrator works and the
// victim is told of every credential issued for them.
func TestAdminCannotActAsAnother(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	admin, drafter := people["admin@state.example"], people["drafter@state.example"]

	// The drafter uses their token: their account is now in use.
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(drafter.Token), ""); err != nil {
		t.Fatal(err)
	}
	before := noticeKinds(t, e, drafter.Actor)

	_, err := e.Svc.IssueSignInLinkFor(ctx, admin.Actor, drafter.ID)
	wantCode(t, "an administrator's link for a person who signed in", err, dissent.KindForbidden, "signed_in_before")
	_, err = e.Svc.IssueSignInLink(ctx, admin.Actor, drafter.Email)
	wantCode(t, "the same by e-mail", err, dissent.KindForbidden, "signed_in_before")
	_, err = e.Svc.IssueToken(ctx, admin.Actor, drafter.Email)
	wantCode(t, "an administrator's token for another", err, dissent.KindForbidden, "token_for_other")
	_, err = e.Svc.AddPeople(ctx, admin.Actor, []dissent.PersonInput{{Email: "new@state.example", Name: "New", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}, WantToken: true}})
	wantCode(t, "an administrator's import with tokens", err, dissent.KindForbidden, "token_for_other")
	if got := noticeKinds(t, e, drafter.Actor); !slices.Equal(got, before) {
		t.Errorf("refusals told the drafter %v; want nothing new (had %v)", got, before)
	}

	// One administrator asks; they cannot approve their own request.
	req, err := e.Svc.RequestSignInLink(ctx, admin.Actor, drafter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := noticeKinds(t, e, drafter.Actor); len(got) == 0 || got[0] != dissent.NoticeLinkRequested {
		t.Errorf("after the request the drafter's notices are %v; want %s first", got, dissent.NoticeLinkRequested)
	}
	_, err = e.Svc.ApproveSignInLink(ctx, admin.Actor, req.ID)
	wantCode(t, "the asking administrator approves", err, dissent.KindForbidden, "same_admin")
	_, err = e.Svc.ApproveSignInLink(ctx, drafter.Actor, req.ID)
	wantKind(t, "a non-administrator approves", err, dissent.KindForbidden)
	_, err = e.Svc.RequestSignInLink(ctx, admin.Actor, drafter.ID)
	wantCode(t, "a second request while one is open", err, dissent.KindConflict, "request_open")

	// A second administrator approves: the link is issued and the drafter
	// sees it on their account page.
	second := e.AddPeople(t, servicetest.Person{Email: "admin2@state.example", Roles: []dissent.Role{dissent.RoleAdmin}})["admin2@state.example"]
	li, err := e.Svc.ApproveSignInLink(ctx, second.Actor, req.ID)
	if err != nil || li.Secret.Reveal() == "" {
		t.Fatalf("the second administrator's approval = %+v, %v; want a link (this deployment sends no e-mail)", li, err)
	}
	_, err = e.Svc.ApproveSignInLink(ctx, second.Actor, req.ID)
	wantCode(t, "approving twice", err, dissent.KindConflict, "decided")
	v, err := e.Svc.Account(ctx, drafter.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Links) != 1 || v.Links[0].IssuedBy != dissent.IssuedByAdmins || v.Notices[0].Kind != dissent.NoticeLinkIssued {
		t.Errorf("the drafter's account shows links %+v, notices %+v; want one link by two administrators, told", v.Links, v.Notices)
	}

	// The command line on the server is outside the rule, and tells too.
	if _, err := e.Svc.IssueSignInLink(ctx, dissent.System, drafter.Email); err != nil {
		t.Errorf("the command line's link: %v", err)
	}
	if _, err := e.Svc.IssueToken(ctx, dissent.System, drafter.Email); err != nil {
		t.Errorf("the command line's token: %v", err)
	}
	if got := noticeKinds(t, e, drafter.Actor); len(got) < 2 || got[0] != dissent.NoticeTokenIssued || got[1] != dissent.NoticeLinkIssued {
		t.Errorf("after the command line's link and token the drafter's notices are %v", got)
	}

	// A first link for someone who never signed in is allowed, once: after
	// they sign in with it, the administrator is refused.
	fresh := e.AddPeople(t, servicetest.Person{Email: "fresh@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})["fresh@state.example"]
	first, err := e.Svc.IssueSignInLinkFor(ctx, admin.Actor, fresh.ID)
	if err != nil {
		t.Fatalf("a first link for a person who never signed in: %v", err)
	}
	if _, err := e.Svc.SignInWithLink(ctx, first.Secret, ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.IssueSignInLinkFor(ctx, admin.Actor, fresh.ID)
	wantCode(t, "a second link after the first sign-in", err, dissent.KindForbidden, "signed_in_before")
}

// TestFirstLinkMailed: when the deployment sends e-mail, the administrator
// never sees the link; it is queued, sealed, for the person.
func TestFirstLinkMailed(t *testing.T) {
	e := servicetest.New(t)
	e.Cast(t, 0)
	svc := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: true})
	ctx := context.Background()
	p := e.AddPeople(t, servicetest.Person{Email: "fresh@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})["fresh@state.example"]
	admin, err := svc.PersonByEmail(ctx, dissent.System, "admin@state.example")
	if err != nil {
		t.Fatal(err)
	}
	li, err := svc.IssueSignInLinkFor(ctx, dissent.Actor{Person: admin}, p.ID)
	if err != nil || !li.Mailed || li.Secret.Reveal() != "" {
		t.Fatalf("IssueSignInLinkFor with e-mail = %+v, %v; want mailed and not shown", li, err)
	}
	ms, err := svc.ClaimMail(ctx, "test", e.Clock.Now(), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found dissent.OutboxMail
	for _, m := range ms {
		if m.Account && m.To == p.Email && m.Kind == dissent.NoticeLinkMailed {
			found = m
		}
	}
	if found.Link.Reveal() == "" {
		t.Fatalf("claimed e-mails %+v; want the link for %s", ms, p.Email)
	}
	if _, err := svc.SignInWithLink(ctx, found.Link, ""); err != nil {
		t.Errorf("the e-mailed link does not sign in: %v", err)
	}
	if err := svc.MailSent(ctx, found.ID, "test", e.Clock.Now()); err != nil {
		t.Errorf("MailSent(%d): %v", found.ID, err)
	}
}

// TestDeactivation: a deactivated person cannot sign in or use a token,
// keeps their history, and can be reactivated; the last administrator
// stays.
func TestDeactivation(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	admin, drafter := people["admin@state.example"], people["drafter@state.example"]
	link, err := e.Svc.IssueSignInLink(ctx, dissent.System, drafter.Email)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.DeactivatePerson(ctx, drafter.Actor, admin.ID); dissent.ErrorKind(err) != dissent.KindForbidden {
		t.Errorf("a non-administrator deactivates: %v; want Forbidden", err)
	}
	wantCode(t, "an administrator deactivates themselves", e.Svc.DeactivatePerson(ctx, admin.Actor, admin.ID), dissent.KindForbidden, "self")
	wantCode(t, "the command line deactivates the last administrator", e.Svc.DeactivatePerson(ctx, dissent.System, admin.ID), dissent.KindConflict, "last_admin")
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(drafter.Token), ""); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.DeactivatePerson(ctx, admin.Actor, drafter.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(drafter.Token), ""); dissent.ErrorKind(err) != dissent.KindUnauthenticated {
		t.Errorf("a deactivated person's token: %v; want Unauthenticated", err)
	}
	if _, err := e.Svc.SignInWithLink(ctx, link, ""); dissent.ErrorKind(err) != dissent.KindUnauthenticated {
		t.Errorf("a deactivated person's link: %v; want Unauthenticated", err)
	}
	if _, err := e.Svc.SessionActor(ctx, drafter.ID); dissent.ErrorKind(err) != dissent.KindUnauthenticated {
		t.Errorf("a deactivated person's session: %v; want Unauthenticated", err)
	}
	_, err = e.Svc.IssueSignInLink(ctx, dissent.System, drafter.Email)
	wantCode(t, "a link for a deactivated person", err, dissent.KindForbidden, "deactivated")
	wantCode(t, "deactivating twice", e.Svc.DeactivatePerson(ctx, admin.Actor, drafter.ID), dissent.KindConflict, "deactivated")
	p, err := e.Svc.PersonByEmail(ctx, dissent.System, drafter.Email)
	if err != nil || p.Active() {
		t.Errorf("after deactivation: %+v, %v; want inactive", p, err)
	}
	if err := e.Svc.ReactivatePerson(ctx, admin.Actor, drafter.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(drafter.Token), ""); err == nil {
		t.Error("reactivation brought back a revoked token")
	}
	_, err = e.Svc.IssueSignInLinkFor(ctx, admin.Actor, drafter.ID)
	wantCode(t, "a first link after deactivating and reactivating an account in use", err, dissent.KindForbidden, "signed_in_before")
	if got := noticeKinds(t, e, drafter.Actor); len(got) < 2 || got[0] != dissent.NoticeReactivated || got[1] != dissent.NoticeDeactivated {
		t.Errorf("the drafter's notices = %v; want reactivated, deactivated", got)
	}
}

func TestUpdatePerson(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	ctx := context.Background()
	d := people["drafter@state.example"]
	for _, tt := range []struct {
		in   dissent.PersonUpdate
		kind dissent.Kind
	}{
		{dissent.PersonUpdate{Email: "not an address"}, dissent.KindInvalid},
		{dissent.PersonUpdate{Email: "officer@state.example"}, dissent.KindConflict},
		{dissent.PersonUpdate{OrgID: "nowhere"}, dissent.KindInvalid},
		{dissent.PersonUpdate{UnitID: "nounit"}, dissent.KindInvalid},
	} {
		_, err := e.Svc.UpdatePerson(ctx, dissent.System, d.ID, tt.in)
		wantKind(t, "UpdatePerson", err, tt.kind)
	}
	p, err := e.Svc.UpdatePerson(ctx, dissent.System, d.ID, dissent.PersonUpdate{Email: "Renamed@State.example", Name: "Renamed", OrgID: "usaid"})
	if err != nil || p.Email != "renamed@state.example" || p.Name != "Renamed" || p.OrgID != "usaid" {
		t.Errorf("UpdatePerson = %+v, %v", p, err)
	}
	if got := noticeKinds(t, e, d.Actor); len(got) == 0 || got[0] != dissent.NoticeEmailChanged {
		t.Errorf("after an e-mail change the person's notices are %v; want %s first", got, dissent.NoticeEmailChanged)
	}
}

// records returns the log's entries from sequence number from on, decoded,
// and one past the highest sequence number.
func records(t *testing.T, e *servicetest.Env, from int64) ([]dissent.EntryRecord, int64) {
	t.Helper()
	var entries []dissent.LogEntry
	err := e.DB.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		if entries, err = tx.LogEntries(ctx, 0, size); err != nil {
			return err
		}
		pending, err := tx.PendingEntries(ctx)
		entries = append(entries, pending...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []dissent.EntryRecord
	end := from
	for _, le := range entries {
		end = max(end, le.Seq+1)
		if le.Seq < from {
			continue
		}
		r, ok := dissent.ParseCanonicalEntry(le.Payload)
		if !ok {
			t.Fatalf("entry %d is not canonical", le.Seq)
		}
		out = append(out, r)
	}
	return out, end
}

func hasRow(r dissent.EntryRecord, table, key string) bool {
	return slices.ContainsFunc(r.Rows, func(d dissent.RowDigest) bool { return d.Table == table && d.Key == key })
}

// TestFirstUseInTheRequestsWrite: a token's first use on a request that
// changes something is written in that request's own transaction (not one
// of its own before it), in an entry apart from the signature's, whose
// protected entry must not carry the signer's row; a request that writes
// nothing leaves it to FinishActivation. Either way the account is in use
// when the request is done.
func TestFirstUseInTheRequestsWrite(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	m := draft(t, e, p["drafter@state.example"], s...)
	admin := p["admin@state.example"]

	signer := p[s[0]]
	key := strconv.FormatInt(int64(signer.ID), 10)
	updates := e.DB.Stats().Updates
	_, from := records(t, e, 0)
	a, err := e.Svc.AuthenticateTokenToWrite(ctx, dissent.NewSecret(signer.Token), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.DB.Stats().Updates - updates; n != 0 {
		t.Errorf("authenticating to write made %d write transactions; want none", n)
	}
	must(e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 0))
	if err := e.Svc.FinishActivation(ctx, a); err != nil {
		t.Fatal(err)
	}
	if n := e.DB.Stats().Updates - updates; n != 1 {
		t.Errorf("a first use that signs made %d write transactions; want 1 (the signature's)", n)
	}
	recs, _ := records(t, e, from)
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	// Two entries: the activation's apart from the signature's. PostgreSQL
	// writes it first, in the request's transaction; SQLite's writer at the
	// end of the batch, with the batch's other activations.
	act, sig := 0, 1
	if len(kinds) == 2 && kinds[0] == "signature.added" {
		act, sig = 1, 0
	}
	if len(kinds) != 2 || kinds[act] != "state.changed" || kinds[sig] != "signature.added" {
		t.Fatalf("entries %v; want the activation's and the signature's", kinds)
	}
	for _, d := range recs[act].Rows {
		if d.Table != "people" || d.Key != key {
			t.Errorf("the activation's entry records %s %s: it holds the signer's row (people %s) and nothing else", d.Table, d.Key, key)
		}
	}
	if !hasRow(recs[act], "people", key) {
		t.Errorf("the activation's entry records rows %v; want the signer's (people %s)", recs[act].Rows, key)
	}
	if hasRow(recs[sig], "people", key) || recs[sig].ActorCommit == "" {
		t.Errorf("the signature's entry (actor commitment %q) records the signer's row: it would name who signed", recs[sig].ActorCommit)
	}
	_, err = e.Svc.IssueSignInLinkFor(ctx, admin.Actor, signer.ID)
	wantCode(t, "a first link for a person whose first use signed", err, dissent.KindForbidden, "signed_in_before")

	// A first use whose write fails: FinishActivation writes it.
	other := p[s[1]]
	b, err := e.Svc.AuthenticateTokenToWrite(ctx, dissent.NewSecret(other.Token), "")
	if err != nil {
		t.Fatal(err)
	}
	last := "0"
	if strings.HasSuffix(m.ContentHash, "0") {
		last = "1"
	}
	_, err = e.Svc.Sign(ctx, b, m.ID, m.ContentHash[:len(m.ContentHash)-1]+last, 0)
	wantCode(t, "a signature of a stale version", err, dissent.KindConflict, "stale_content_hash")
	if err := e.Svc.FinishActivation(ctx, b); err != nil {
		t.Fatal(err)
	}
	_, err = e.Svc.IssueSignInLinkFor(ctx, admin.Actor, other.ID)
	wantCode(t, "a first link once the failed request is done", err, dissent.KindForbidden, "signed_in_before")
}
