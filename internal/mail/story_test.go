package mail_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	dmail "github.com/dissent-channel/dissent/internal/mail"
	"github.com/dissent-channel/dissent/internal/mail/mailtest"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestSeedStoryMailsSayNothing plays the seed story with every step that
// notifies someone (invitation, a sealed conditional signature, an edit
// that voids co-signatures, a reminder, submission, acknowledgement,
// consultation, distribution, a meeting request, an officer's reply
// awaiting approval, its approval, the sweeper's reminders, a break-glass
// read), delivers every queued e-mail to the in-process SMTP server, and
// checks each one: the one subject, the one body, and nothing in it of a
// title, a text, a name, an address, a message id or what anyone did.
func TestSeedStoryMailsSayNothing(t *testing.T) {
	ctx := context.Background()
	e := servicetest.New(t)
	p, s := e.Cast(t, 6)
	dr, off, dir, rev, pr, aud := p["drafter@state.example"], p["officer@state.example"], p["director@state.example"],
		p["reviewer@state.example"], p["principal@state.example"], p["auditor@state.example"]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "TITLE-MARKER", Summary: "SUMMARY-MARKER", Body: "BODY-MARKER first text"})
	must(err)
	_, err = e.Svc.Invite(ctx, dr.Actor, m.ID, s)
	must(err)
	_, err = e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 0)
	must(err)
	m, err = e.Svc.EditMessage(ctx, dr.Actor, m.ID, dissent.Draft{Title: "TITLE-MARKER", Summary: "SUMMARY-MARKER", Body: "BODY-MARKER second text"})
	must(err)
	_, err = e.Svc.RemindInvitees(ctx, dr.Actor, m.ID)
	must(err)
	for i, who := range s[:5] {
		_, err = e.Svc.Sign(ctx, p[who].Actor, m.ID, m.ContentHash, map[bool]int{true: 2}[i == 4])
		must(err)
	}
	_, err = e.Svc.Sign(ctx, p[s[5]].Actor, m.ID, m.ContentHash, 50) // sealed: its quorum is never met
	must(err)
	_, err = e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash)
	must(err)
	_, err = e.Svc.Acknowledge(ctx, off.Actor, m.ID)
	must(err)
	_, err = e.Svc.Consult(ctx, off.Actor, m.ID, rev.Email, "2023-11-17")
	must(err)
	must(e.Svc.Distribute(ctx, off.Actor, m.ID, []string{pr.Email}))
	must(e.Svc.RequestMeeting(ctx, pr.Actor, m.ID))
	_, err = e.Svc.Extend(ctx, dir.Actor, m.ID, 45, "REASON-MARKER")
	must(err)
	_, _, err = e.Svc.BreakGlass(ctx, aud.Actor, m.ID, "REASON-MARKER")
	must(err)
	r, _, err := e.Svc.Reply(ctx, off.Actor, m.ID, "REPLY-MARKER")
	must(err)
	e.Clock.Set(servicetest.SeedTime.Add(30 * 24 * time.Hour))
	_, err = e.Svc.Sweep(ctx, e.Clock.Now())
	must(err)
	_, err = e.Svc.ApproveReply(ctx, dir.Actor, m.ID, r.ID)
	must(err)

	srv := mailtest.New(t)
	snd := sender(t, e, srv, "i1")
	for {
		sent, failed, err := snd.Flush(ctx)
		must(err)
		if failed != 0 {
			t.Fatalf("%d e-mails failed", failed)
		}
		if sent == 0 {
			break
		}
	}
	msgs := srv.Messages()
	if len(msgs) < 20 {
		t.Fatalf("the story sent %d e-mails; want every notified step's", len(msgs))
	}
	_, wantBody := dmail.Compose(dissent.OutboxMail{}, "https://dissent.example")
	forbidden := []string{"MARKER", "Name of", "@state.example", "@usaid.example", string(m.ID),
		"signed", "signature", "co-sign", "invite", "submit", "meeting", "reply", "replied", "acknowledg", "distribut", "consult", "auditor", "principal", "read"}
	for _, x := range msgs {
		parsed, err := mail.ReadMessage(bytes.NewReader(x.Data))
		must(err)
		if got := parsed.Header.Get("Subject"); got != dmail.Subject {
			t.Errorf("to %v: subject %q; want %q", x.To, got, dmail.Subject)
		}
		var body bytes.Buffer
		var rd io.Reader = parsed.Body
		if strings.EqualFold(parsed.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			rd = quotedprintable.NewReader(rd)
		}
		_, err = body.ReadFrom(rd)
		must(err)
		b := strings.ReplaceAll(body.String(), "\r\n", "\n")
		if strings.TrimSpace(b) != strings.TrimSpace(wantBody) {
			t.Errorf("to %v: the body is not the one notice:\n%s", x.To, b)
		}
		low := strings.ToLower(b + parsed.Header.Get("Subject"))
		for _, f := range forbidden {
			if strings.Contains(low, strings.ToLower(f)) {
				t.Errorf("to %v: the e-mail contains %q:\n%s", x.To, f, b)
			}
		}
	}
}
