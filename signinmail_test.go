package dissent_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// mailedLinks claims the queued account e-mails and returns the sign-in
// links among them, by address.
func mailedLinks(t *testing.T, svc *dissent.Service, now time.Time) map[string][]dissent.Secret {
	t.Helper()
	ms, err := svc.ClaimMail(context.Background(), "test", now, time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]dissent.Secret{}
	for _, m := range ms {
		if m.Account && m.Kind == dissent.NoticeLinkMailed {
			out[m.To] = append(out[m.To], m.Link)
		}
		if err := svc.MailSent(context.Background(), m.ID, "test", now); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestMailSignInLink: "E-mail me a sign-in link" sends a link to a person
// who may sign in, through the one path that issues links, and nothing —
// with the same answer — to an unknown address, a deactivated person, or
// an account whose address an administrator changed; the audit trail's
// entry names no one; without e-mail nothing is issued.
func TestMailSignInLink(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	svc := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: true})
	ctx := context.Background()
	admin, drafter := people["admin@state.example"], people["drafter@state.example"]
	gone := e.AddPeople(t, servicetest.Person{Email: "gone@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})["gone@state.example"]
	if err := svc.DeactivatePerson(ctx, admin.Actor, gone.ID); err != nil {
		t.Fatal(err)
	}
	moved := e.AddPeople(t, servicetest.Person{Email: "moved@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})["moved@state.example"]
	if _, err := svc.UpdatePerson(ctx, admin.Actor, moved.ID, dissent.PersonUpdate{Email: "admins-own@state.example"}); err != nil {
		t.Fatal(err)
	}
	mailedLinks(t, svc, e.Clock.Now()) // the notices so far

	before, err := svc.AuditOverview(ctx, people["auditor@state.example"].Actor, 0, dissent.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"Drafter@State.example ", "nobody@state.example", "gone@state.example", "admins-own@state.example"} {
		if err := svc.MailSignInLink(ctx, addr); err != nil {
			t.Errorf("MailSignInLink(%q) = %v; want nil, whoever it is", addr, err)
		}
	}
	if err := svc.MailSignInLink(ctx, "not an address"); dissent.ErrorKind(err) != dissent.KindInvalid {
		t.Errorf("a malformed address: %v; want Invalid", err)
	}
	links := mailedLinks(t, svc, e.Clock.Now())
	if len(links) != 1 || len(links[drafter.Email]) != 1 {
		t.Fatalf("links e-mailed to %v; want one, to %s only", links, drafter.Email)
	}

	// The audit trail gained one entry, naming no one.
	after, err := svc.AuditOverview(ctx, people["auditor@state.example"].Actor, 0, dissent.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	// The newest entry before (by its index: a leaf, or on PostgreSQL a
	// sequence number while it waits to be integrated) marks what is new.
	last := int64(-1)
	for _, ev := range before.Events {
		last = max(last, ev.Index)
	}
	var added []dissent.EventView
	for _, ev := range after.Events {
		if ev.Index > last && ev.Kind != "state.changed" { // the e-mails' bookkeeping
			added = append(added, ev)
		}
	}
	if len(added) != 1 || added[0].Kind != "signin_link.requested" || added[0].ActorID != 0 || added[0].Detail != "" {
		t.Errorf("the audit trail gained %+v; want one signin_link.requested naming no one", added)
	}
	for _, ev := range added {
		if strings.Contains(ev.Detail, strconv.FormatInt(int64(drafter.ID), 10)) || strings.Contains(ev.Detail, "drafter") {
			t.Errorf("an audit entry names the person: %+v", ev)
		}
	}

	// The link is listed on the person's account page as theirs, and signs in once.
	v, err := svc.Account(ctx, drafter.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Links) == 0 || v.Links[0].IssuedBy != dissent.IssuedBySelf || v.Notices[0].Kind != dissent.NoticeLinkMailed {
		t.Errorf("the account shows links %+v, notices %+v; want the self-issued link, told", v.Links, v.Notices)
	}
	if exp := v.Links[0].Expires.Sub(e.Clock.Now()); exp < dissent.SignInLinkTTL || exp > dissent.SignInLinkTTL+time.Hour || v.Links[0].Expires.Truncate(time.Hour) != v.Links[0].Expires {
		t.Errorf("the link expires at %v (now %v); want on the hour, 24 to 25 hours on", v.Links[0].Expires, e.Clock.Now())
	}
	if a, err := svc.SignInWithLink(ctx, links[drafter.Email][0], ""); err != nil || a.ID != drafter.ID {
		t.Fatalf("the e-mailed link signs in %v, %v; want the drafter", a.ID, err)
	}
	if _, err := svc.SignInWithLink(ctx, links[drafter.Email][0], ""); dissent.ErrorKind(err) != dissent.KindUnauthenticated {
		t.Errorf("the link a second time: %v; want Unauthenticated", err)
	}

	// The person whose address was changed gets a link again once they
	// act on their account themself (they add a token, say, signed in by a
	// link two administrators approved).
	if _, _, err := svc.CreateToken(ctx, dissent.Actor{Person: moved.Person}, "laptop"); err != nil {
		t.Fatal(err)
	}
	if err := svc.MailSignInLink(ctx, "admins-own@state.example"); err != nil {
		t.Fatal(err)
	}
	if got := mailedLinks(t, svc, e.Clock.Now()); len(got["admins-own@state.example"]) != 1 {
		t.Errorf("after the person's own act, links %v; want one", got)
	}

	// Without e-mail, nothing is issued, and the answer is the same.
	if err := e.Svc.MailSignInLink(ctx, drafter.Email); err != nil {
		t.Errorf("without e-mail: %v; want nil", err)
	}
	if v2, err := e.Svc.Account(ctx, drafter.Actor); err != nil || len(v2.Links) != len(v.Links) {
		t.Errorf("without e-mail the drafter has %d links (%v); want %d", len(v2.Links), err, len(v.Links))
	}
}

// TestMailSignInLinkNotPushedOut: a page of notices made on purpose cannot
// push an administrator's change of address out of sight.
func TestMailSignInLinkNotPushedOut(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	svc := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: false})
	ctx := context.Background()
	admin := people["admin@state.example"]
	second := e.AddPeople(t, servicetest.Person{Email: "admin2@state.example", Roles: []dissent.Role{dissent.RoleAdmin}})["admin2@state.example"]
	v := e.AddPeople(t, servicetest.Person{Email: "victim@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})["victim@state.example"]
	if _, err := svc.UpdatePerson(ctx, admin.Actor, v.ID, dissent.PersonUpdate{Email: "admins-own@state.example"}); err != nil {
		t.Fatal(err)
	}
	for range 60 { // each request tells the person; a second administrator cancels it
		r, err := svc.RequestSignInLink(ctx, admin.Actor, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.CancelSignInLink(ctx, second.Actor, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	mailing := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: true})
	if err := mailing.MailSignInLink(ctx, "admins-own@state.example"); err != nil {
		t.Fatal(err)
	}
	if got := mailedLinks(t, mailing, e.Clock.Now()); len(got) != 0 {
		t.Errorf("links %v; want none", got)
	}
}
