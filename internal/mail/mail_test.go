package mail_test

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/mail"
	"github.com/dissent-channel/dissent/internal/mail/mailtest"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestCompose compares every kind of notice with its golden file.
func TestCompose(t *testing.T) {
	for _, kind := range dissent.NotificationKinds {
		t.Run(kind, func(t *testing.T) {
			m := dissent.OutboxMail{ID: 7, To: "someone@state.example", Kind: kind, MessageID: "0123456789abcdef0123456789abcdef"}
			subject, body := mail.Compose(m, "https://dissent.example/")
			got := "Subject: " + subject + "\n\n" + body
			path := filepath.Join("testdata", kind+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Compose(%s) =\n%s\nwant\n%s", kind, got, want)
			}
			if strings.Contains(got, "someone") {
				t.Errorf("Compose(%s) names the recipient", kind)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	ok := mail.Config{URL: "smtp://u:secret-pw@mail.example:587", From: "dissent@state.example", BaseURL: "https://dissent.example"}
	tests := []struct {
		name string
		edit func(*mail.Config)
		want string // part of the error; "" for none
	}{
		{"ok", func(*mail.Config) {}, ""},
		{"no tls on request", func(c *mail.Config) { c.URL = "smtp://relay:25/?tls=none" }, ""},
		{"scheme", func(c *mail.Config) { c.URL = "http://u:secret-pw@mail.example" }, "scheme"},
		{"no host", func(c *mail.Config) { c.URL = "smtp://u:secret-pw@:25" }, "no host"},
		{"bad port", func(c *mail.Config) { c.URL = "smtp://u:secret-pw@mail.example:99999" }, "port"},
		{"bad tls", func(c *mail.Config) { c.URL = "smtp://u:secret-pw@mail.example/?tls=maybe" }, "tls="},
		{"sender", func(c *mail.Config) { c.From = "dissent" }, "sender address"},
		{"base", func(c *mail.Config) { c.BaseURL = "" }, "base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			_, err := mail.New(nil, c, "i1")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New: %v; want an error about %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "secret-pw"):
				t.Errorf("New: error %q repeats the password", err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 4: 8 * time.Minute, 20: 6 * time.Hour} {
		if got := mail.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v; want %v", n, got, want)
		}
	}
}

// invite makes a Service with a message whose drafter invited two people,
// which queues two e-mails.
func invite(t *testing.T) (*servicetest.Env, map[string]servicetest.Actor) {
	t.Helper()
	e := servicetest.New(t)
	p, s := e.Cast(t, 2)
	ctx := context.Background()
	m, err := e.Svc.CreateMessage(ctx, p["drafter@state.example"].Actor, dissent.Draft{Title: "TITLE-MARKER", Summary: "SUMMARY-MARKER", Body: "BODY-MARKER"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, p["drafter@state.example"].Actor, m.ID, s); err != nil {
		t.Fatal(err)
	}
	return e, p
}

func sender(t *testing.T, e *servicetest.Env, srv *mailtest.Server, holder string) *mail.Sender {
	t.Helper()
	s, err := mail.New(e.Svc, mail.Config{URL: srv.URL(), From: "dissent@state.example", BaseURL: "https://dissent.example",
		TLS: &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}}, holder)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = e.Clock.Now
	return s
}

// TestSenderDelivers: queued notices go over STARTTLS, once, with nothing
// of the message in them; a temporary failure is retried after the
// back-off.
func TestSenderDelivers(t *testing.T) {
	e, _ := invite(t)
	srv := mailtest.New(t)
	s := sender(t, e, srv, "i1")
	srv.FailNext(1)
	ctx := context.Background()
	sent, failed, err := s.Flush(ctx)
	if err != nil || sent != 1 || failed != 1 {
		t.Fatalf("Flush with one refusal = %d sent, %d failed, %v; want 1, 1", sent, failed, err)
	}
	if sent, failed, _ := s.Flush(ctx); sent+failed != 0 {
		t.Errorf("Flush before the back-off = %d, %d; want nothing", sent, failed)
	}
	e.Clock.Set(e.Clock.Now().Add(mail.Backoff(1)))
	if sent, failed, err := s.Flush(ctx); sent != 1 || failed != 0 || err != nil {
		t.Errorf("Flush after the back-off = %d, %d, %v; want the retry sent", sent, failed, err)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("delivered %d; want 2", len(msgs))
	}
	to := map[string]bool{}
	for _, m := range msgs {
		to[strings.Join(m.To, ",")] = true
		if !m.TLS {
			t.Errorf("a message came without TLS")
		}
		for _, marker := range []string{"MARKER", "Name of", "drafter@"} {
			if strings.Contains(string(m.Data), marker) {
				t.Errorf("e-mail contains %q:\n%s", marker, m.Data)
			}
		}
	}
	if !to["signer0000@usaid.example"] || !to["signer0001@state.example"] {
		t.Errorf("delivered to %v; want both invitees", to)
	}
}

// TestSenderRequiresTLS: a server that offers no STARTTLS gets nothing.
func TestSenderRequiresTLS(t *testing.T) {
	e, _ := invite(t)
	srv := mailtest.NewWithoutTLS(t)
	s := sender(t, e, srv, "i1")
	sent, failed, _ := s.Flush(context.Background())
	if sent != 0 || failed != 2 || srv.Count() != 0 {
		t.Errorf("Flush to a server without STARTTLS = %d sent, %d failed, %d delivered; want 0, 2, 0", sent, failed, srv.Count())
	}
}

// TestSendersShareTheOutbox: senders of three instances flushing at once
// deliver each notice once.
func TestSendersShareTheOutbox(t *testing.T) {
	e, p := invite(t)
	ctx := context.Background()
	// More notices: every employee invited to a second and a third message.
	for range 2 {
		m, err := e.Svc.CreateMessage(ctx, p["drafter@state.example"].Actor, dissent.Draft{Title: "t", Body: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Invite(ctx, p["drafter@state.example"].Actor, m.ID, []string{"outsider@state.example", "supervisor@state.example", "signer0000@usaid.example"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := mailtest.New(t)
	var wg sync.WaitGroup
	for i := range 3 {
		s := sender(t, e, srv, "instance"+string(rune('a'+i)))
		s.Batch = 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.Flush(ctx); err != nil {
				t.Errorf("Flush: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := srv.Count(); got != 2+6 {
		t.Errorf("delivered %d; want 8 (each notice once)", got)
	}
}

// TestRealMTA sends 50 notices in one batch through Debian's exim
// (exim4-daemon-light, started by the test on loopback with STARTTLS and
// exim's default limits): each arrives once. Exim drops a session after 10
// commands other than mail transactions (smtp_accept_max_nonmail), which a
// NOOP before every message on a reused connection used to hit after ten.
func TestRealMTA(t *testing.T) {
	mta := mailtest.StartExim(t)
	e := servicetest.New(t)
	p, signers := e.Cast(t, 50)
	ctx := context.Background()
	m, err := e.Svc.CreateMessage(ctx, p["drafter@state.example"].Actor, dissent.Draft{Title: "TITLE-MARKER", Summary: "SUMMARY-MARKER", Body: "BODY-MARKER"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, p["drafter@state.example"].Actor, m.ID, signers); err != nil {
		t.Fatal(err)
	}
	if len(signers) != 50 {
		t.Fatalf("%d invitees; want 50", len(signers))
	}
	s, err := mail.New(e.Svc, mail.Config{URL: mta.URL(), From: "dissent@state.example", BaseURL: "https://dissent.example",
		TLS: &tls.Config{RootCAs: mta.Roots, MinVersion: tls.VersionTLS12}}, "i1")
	if err != nil {
		t.Fatal(err)
	}
	s.Now = e.Clock.Now
	sent, failed, err := s.Flush(ctx)
	if err != nil || sent != 50 || failed != 0 {
		t.Fatalf("Flush = %d sent, %d failed, %v; want 50 sent in one batch\n%s", sent, failed, err, mta.Log())
	}
	if sent, failed, _ := s.Flush(ctx); sent+failed != 0 {
		t.Errorf("second Flush = %d sent, %d failed; want nothing left", sent, failed)
	}
	// Exim delivers each message as it accepts it; wait for the last.
	var msgs []mailtest.Message
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if msgs, err = mta.Delivered(); err != nil {
			t.Fatal(err)
		}
		if len(msgs) >= 50 || time.Now().After(deadline) {
			break
		}
	}
	got := map[string]int{}
	for _, msg := range msgs {
		for _, to := range msg.To {
			got[to]++
		}
		for _, marker := range []string{"MARKER", "drafter@"} {
			if strings.Contains(string(msg.Data), marker) {
				t.Errorf("e-mail contains %q:\n%s", marker, msg.Data)
			}
		}
	}
	for _, to := range signers {
		if got[to] != 1 {
			t.Errorf("%s received %d notices; want 1", to, got[to])
		}
	}
	if len(msgs) != 50 {
		t.Errorf("mailbox holds %d messages; want 50\n%s", len(msgs), mta.Log())
	}
	if all, encrypted := mta.Received(); all != 50 || encrypted != 50 {
		t.Errorf("exim accepted %d messages, %d over STARTTLS; want 50, 50\n%s", all, encrypted, mta.Log())
	}
}

func TestHeaders(t *testing.T) {
	e, _ := invite(t)
	srv := mailtest.New(t)
	if _, _, err := sender(t, e, srv, "h").Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) == 0 {
		t.Fatal("nothing delivered")
	}
	host, _ := os.Hostname()
	for _, m := range msgs {
		head, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
		for _, bad := range []string{"User-Agent:", "X-Mailer:", "go-mail"} {
			if strings.Contains(head, bad) {
				t.Errorf("headers contain %q:\n%s", bad, head)
			}
		}
		if !regexp.MustCompile(`(?m)^Message-ID: <[^@>]+@dissent\.example>\r?$`).MatchString(head) {
			t.Errorf("Message-ID not under the public host:\n%s", head)
		}
		if host != "" && strings.Contains(head, "@"+host+">") {
			t.Errorf("headers name the machine %q:\n%s", host, head)
		}
	}
}

func TestAccountMail(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	svc := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: true})
	ctx := context.Background()
	np, err := svc.AddPeople(ctx, dissent.System, []dissent.PersonInput{{Email: "new@state.example", Name: "New", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}}})
	if err != nil {
		t.Fatal(err)
	}
	li, err := svc.IssueSignInLinkFor(ctx, p["admin@state.example"].Actor, np[0].ID)
	if err != nil || !li.Mailed {
		t.Fatalf("IssueSignInLinkFor = %+v, %v", li, err)
	}
	if _, _, err := svc.CreateToken(ctx, p["drafter@state.example"].Actor, "laptop"); err != nil {
		t.Fatal(err)
	}
	srv := mailtest.New(t)
	s, err := mail.New(svc, mail.Config{URL: srv.URL(), From: "dissent@state.example", BaseURL: "https://dissent.example",
		TLS: &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}}, "a")
	if err != nil {
		t.Fatal(err)
	}
	s.Now = e.Clock.Now
	if sent, failed, err := s.Flush(ctx); sent != 2 || failed != 0 || err != nil {
		t.Fatalf("Flush = %d sent, %d failed, %v; want 2 sent", sent, failed, err)
	}
	var link, notice string
	for _, m := range srv.Messages() {
		body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(m.Data))))
		switch strings.Join(m.To, ",") {
		case "new@state.example":
			link = string(body)
		case "drafter@state.example":
			notice = string(body)
		}
	}
	sec := regexp.MustCompile(`https://dissent\.example/signin/link/(dsl_[A-Za-z0-9_-]{43})`).FindStringSubmatch(link)
	if sec == nil {
		t.Fatalf("the new person's e-mail carries no sign-in link:\n%s", link)
	}
	if !strings.Contains(notice, "An API token was created on your Dissent account.") || !strings.Contains(notice, "https://dissent.example/account") {
		t.Errorf("the drafter's credential notice:\n%s", notice)
	}
	if _, err := svc.SignInWithLink(ctx, dissent.NewSecret(sec[1]), ""); err != nil {
		t.Errorf("the e-mailed link does not sign in: %v", err)
	}
}

// TestSelfServiceLinkMail: a link asked for on the sign-in page
// (MailSignInLink) reaches the person in a real SMTP conversation and signs
// them in; an unknown address gets no e-mail.
func TestSelfServiceLinkMail(t *testing.T) {
	e := servicetest.New(t)
	e.Cast(t, 0)
	svc := dissent.NewService(dissent.ServiceConfig{Store: e.DB, Now: e.Clock.Now, Mail: true})
	ctx := context.Background()
	for _, addr := range []string{"drafter@state.example", "nobody@state.example"} {
		if err := svc.MailSignInLink(ctx, addr); err != nil {
			t.Fatalf("MailSignInLink(%s): %v", addr, err)
		}
	}
	srv := mailtest.New(t)
	s, err := mail.New(svc, mail.Config{URL: srv.URL(), From: "dissent@state.example", BaseURL: "https://dissent.example",
		TLS: &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}}, "a")
	if err != nil {
		t.Fatal(err)
	}
	s.Now = e.Clock.Now
	if sent, failed, err := s.Flush(ctx); sent != 1 || failed != 0 || err != nil {
		t.Fatalf("Flush = %d sent, %d failed, %v; want 1 sent", sent, failed, err)
	}
	ms := srv.Messages()
	if len(ms) != 1 || strings.Join(ms[0].To, ",") != "drafter@state.example" {
		t.Fatalf("e-mails sent: %d; want one, to the drafter", len(ms))
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(ms[0].Data))))
	sec := regexp.MustCompile(`https://dissent\.example/signin/link/(dsl_[A-Za-z0-9_-]{43})`).FindStringSubmatch(string(body))
	if sec == nil {
		t.Fatalf("the e-mail carries no sign-in link:\n%s", body)
	}
	if a, err := svc.SignInWithLink(ctx, dissent.NewSecret(sec[1]), ""); err != nil || a.Email != "drafter@state.example" {
		t.Errorf("the e-mailed link signs in %q, %v; want the drafter", a.Email, err)
	}
}
