package dissent_test

import (
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestInviteLink: a link made by the drafter lets an employee join and
// sign; a non-employee, a forged or revoked link, and a submitted message
// are refused; joining twice is harmless; outsiders cannot make links.
func TestInviteLink(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 1)
	drafter, outsider, joiner := cast["drafter@state.example"], cast["outsider@state.example"], cast["signer0000@usaid.example"]
	officer := cast["officer@state.example"]
	m := must(e.Svc.CreateMessage(ctx, drafter.Actor, dissent.Draft{Title: "Link", Body: "Join us."}))

	_, err := e.Svc.CreateInviteLink(ctx, outsider.Actor, m.ID)
	wantKind(t, "an outsider's link", err, dissent.KindNotFound)

	sec := must(e.Svc.CreateInviteLink(ctx, drafter.Actor, m.ID))
	if !strings.HasPrefix(sec.Reveal(), "dsi_") || len(sec.Reveal()) != 47 {
		t.Fatalf("link secret %q; want dsi_ and 43 characters", sec.Reveal())
	}
	if got := must(e.Svc.GetMessage(ctx, drafter.Actor, m.ID)); got.State != dissent.StateCirculating {
		t.Errorf("state after making a link = %s; want circulating", got.State)
	}

	// Before joining the joiner cannot see the message; after, they can sign.
	_, err = e.Svc.GetMessage(ctx, joiner.Actor, m.ID)
	wantKind(t, "reading before joining", err, dissent.KindNotFound)
	for range 2 { // twice: harmless
		if id := must(e.Svc.JoinByLink(ctx, joiner.Actor, sec)); id != m.ID {
			t.Fatalf("JoinByLink = %s; want %s", id, m.ID)
		}
	}
	v := must(e.Svc.GetMessage(ctx, joiner.Actor, m.ID))
	if !v.Text || v.Title.Reveal() != "Link" {
		t.Errorf("after joining the joiner reads text=%v", v.Text)
	}
	if got := must(e.Svc.Sign(ctx, joiner.Actor, m.ID, v.ContentHash, 0)); got.SignatureCount != 2 {
		t.Errorf("signatures after the joiner signed = %d; want 2", got.SignatureCount)
	}

	_, err = e.Svc.JoinByLink(ctx, officer.Actor, sec)
	wantKind(t, "an officer who is no employee joining", err, dissent.KindForbidden)
	_, err = e.Svc.JoinByLink(ctx, outsider.Actor, dissent.NewSecret("dsi_forged"))
	wantKind(t, "a forged link", err, dissent.KindNotFound)
	_, err = e.Svc.JoinByLink(ctx, outsider.Actor, dissent.NewSecret("dsn_"+sec.Reveal()[4:]))
	wantKind(t, "a token of another kind", err, dissent.KindNotFound)

	if n := must(e.Svc.RevokeInviteLinks(ctx, drafter.Actor, m.ID)); n != 1 {
		t.Errorf("RevokeInviteLinks = %d; want 1", n)
	}
	_, err = e.Svc.JoinByLink(ctx, outsider.Actor, sec)
	wantKind(t, "a revoked link", err, dissent.KindNotFound)

	// A link to a message that is submitted leads nowhere.
	sec2 := must(e.Svc.CreateInviteLink(ctx, drafter.Actor, m.ID))
	v = must(e.Svc.GetMessage(ctx, drafter.Actor, m.ID))
	must(e.Svc.Submit(ctx, drafter.Actor, m.ID, v.ContentHash))
	_, err = e.Svc.JoinByLink(ctx, outsider.Actor, sec2)
	wantKind(t, "a link to a submitted message", err, dissent.KindNotFound)
	_, err = e.Svc.CreateInviteLink(ctx, drafter.Actor, m.ID)
	wantKind(t, "a link to a submitted message", err, dissent.KindConflict)

	// The audit log still agrees with the database.
	if _, err := e.Log.Verify(ctx, nil); err != nil {
		t.Errorf("Verify after links and joins: %v", err)
	}
}
