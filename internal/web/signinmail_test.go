package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// lockedBuffer collects a server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// linksMailed waits for the background, claims the queued e-mails and
// returns the sign-in links among them, by address.
func (e *authEnv) linksMailed(t *testing.T) map[string][]string {
	t.Helper()
	e.srv.WaitLinkMails()
	ctx := context.Background()
	ms, err := e.Svc.ClaimMail(ctx, "test", e.Clock.Now(), time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range ms {
		if m.Account && m.Kind == dissent.NoticeLinkMailed {
			out[m.To] = append(out[m.To], m.Link.Reveal())
		}
		if err := e.Svc.MailSent(ctx, m.ID, "test", e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// answer is what a client sees of a response: status, the headers that
// could differ, body.
type answer struct {
	status             int
	location, cookie   string
	retryAfter, length string
	body               string
}

func askLink(t *testing.T, e *authEnv, c *http.Client, email string) answer {
	t.Helper()
	body, k, v := form(url.Values{"email": {email}})
	resp, page := do(t, c, "POST", e.base+"/signin/email", body, k, v)
	a := answer{status: resp.StatusCode, location: resp.Header.Get("Location"), cookie: strings.Join(resp.Header.Values("Set-Cookie"), ";"),
		retryAfter: resp.Header.Get("Retry-After"), body: page}
	if a.status == http.StatusSeeOther {
		resp, page := do(t, c, "GET", e.base+a.location, nil)
		a.body, a.length = page, resp.Header.Get("Content-Length")
	}
	return a
}

// TestSignInEmailSameAnswer: the sign-in page's form answers the same,
// byte for byte, for a person who may sign in, an unknown address, a
// deactivated person and an address an administrator just changed; only
// the first gets a link; neither the address nor the link is logged.
func TestSignInEmailSameAnswer(t *testing.T) {
	logs := &lockedBuffer{}
	e := newAuthEnvWith(t, web.Limits{}, true, logs)
	ctx := context.Background()
	admin := e.people["admin@state.example"].Actor
	if err := e.Svc.DeactivatePerson(ctx, admin, e.people["outsider@state.example"].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.UpdatePerson(ctx, admin, e.people["officer2@state.example"].ID, dissent.PersonUpdate{Email: "admins-own@state.example"}); err != nil {
		t.Fatal(err)
	}
	e.linksMailed(t) // the notices so far

	resp, page := do(t, browser(t), "GET", e.base+"/signin", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `action="/signin/email"`) || !strings.Contains(page, "E-mail me a sign-in link") {
		t.Fatalf("GET /signin = %d; want the form:\n%s", resp.StatusCode, page)
	}
	addrs := []string{"drafter@state.example", "nobody@state.example", "outsider@state.example", "admins-own@state.example", "Nobody.Else@Example.org"}
	var first answer
	for i, addr := range addrs {
		a := askLink(t, e, browser(t), addr)
		if i == 0 {
			first = a
			if a.status != http.StatusSeeOther || a.location != "/signin?done=link_sent" || !strings.Contains(a.body, "a one-time sign-in link is on its way") {
				t.Fatalf("the answer = %d → %q:\n%s", a.status, a.location, a.body)
			}
			continue
		}
		if a != first {
			t.Errorf("the answer for %s differs from the one for %s:\n%+v\n%+v", addr, addrs[0], a, first)
		}
		if strings.Contains(a.body, addr) || strings.Contains(a.location, addr) {
			t.Errorf("the answer repeats the address %s", addr)
		}
	}
	links := e.linksMailed(t)
	if len(links) != 1 || len(links["drafter@state.example"]) != 1 {
		t.Fatalf("links e-mailed %v; want one, to the drafter", links)
	}
	for _, addr := range addrs {
		if strings.Contains(strings.ToLower(logs.String()), strings.ToLower(addr)) {
			t.Errorf("the server's log names %s", addr)
		}
	}
	if strings.Contains(logs.String(), links["drafter@state.example"][0]) || strings.Contains(logs.String(), "dsl_") {
		t.Error("the server's log holds the link")
	}

	// A malformed address is refused beside the field, kept, and the same
	// for everyone; no link.
	resp, page = do(t, browser(t), "POST", e.base+"/signin/email", strings.NewReader("email=not+an+address"), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 400 || !strings.Contains(page, `value="not an address"`) || !strings.Contains(page, `<span class="field-error" id="signin-email-err" role="alert">Enter your e-mail address`) ||
		!strings.Contains(page, `aria-describedby="email-link-hint signin-email-err"`) {
		t.Errorf("a malformed address = %d; want 400 with the error beside the field, the input kept:\n%s", resp.StatusCode, page)
	}

	// A deployment that sends no e-mail offers no form, and refuses a POST.
	plain := newAuthEnv(t, web.Limits{})
	if _, page := do(t, browser(t), "GET", plain.base+"/signin", nil); strings.Contains(page, `action="/signin/email"`) {
		t.Error("a deployment without e-mail offers to e-mail a link")
	}
	if a := askLink(t, plain, browser(t), "drafter@state.example"); a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "sends no e-mail") {
		t.Errorf("POST /signin/email without e-mail = %d", a.status)
	}
}

// TestSignInEmailRateLimits: past the per-address (e-mail) limit the
// answer stays the same and nothing more is sent, for a known and an
// unknown address alike; past the per-client limit, both get the same 429.
func TestSignInEmailRateLimits(t *testing.T) {
	t.Run("per e-mail address", func(t *testing.T) {
		e := newAuthEnvWith(t, web.Limits{LinkMailsPerEmail: web.Rate{Every: time.Hour, Burst: 2}}, true, os.Stderr)
		e.linksMailed(t)
		var first answer
		for i := range 3 {
			for _, addr := range []string{"drafter@state.example", "nobody@state.example"} {
				a := askLink(t, e, browser(t), addr)
				if i == 0 && addr == "drafter@state.example" {
					first = a
				} else if a != first {
					t.Errorf("request %d for %s answered %+v; want %+v", i+1, addr, a, first)
				}
			}
		}
		if got := e.linksMailed(t); len(got) != 1 || len(got["drafter@state.example"]) != 2 {
			t.Errorf("links e-mailed %v; want 2, to the drafter (the limit)", got)
		}
	})
	t.Run("per client", func(t *testing.T) {
		e := newAuthEnvWith(t, web.Limits{LinkMailsPerAddress: web.Rate{Every: time.Hour, Burst: 3}}, true, os.Stderr)
		for range 3 {
			if a := askLink(t, e, browser(t), "nobody@state.example"); a.status != http.StatusSeeOther {
				t.Fatalf("within the limit: %d", a.status)
			}
		}
		known := askLink(t, e, browser(t), "drafter@state.example")
		unknown := askLink(t, e, browser(t), "nobody2@state.example")
		if known.status != http.StatusTooManyRequests || known.retryAfter == "" || !strings.Contains(known.body, "Too many sign-in links asked for from your address") {
			t.Errorf("past the client's limit = %d (Retry-After %q):\n%s", known.status, known.retryAfter, known.body)
		}
		if known != unknown {
			t.Errorf("past the client's limit, a known and an unknown address differ:\n%+v\n%+v", known, unknown)
		}
		if got := e.linksMailed(t); len(got) != 0 {
			t.Errorf("links e-mailed %v; want none", got)
		}
	})
}

// TestSignInLinkPage: the page a link opens has the site's layout and a
// button; a used, expired or forged link says so and offers a new one (by
// e-mail where the deployment sends it, else from the administrator).
func TestSignInLinkPage(t *testing.T) {
	for _, mail := range []bool{true, false} {
		e := newAuthEnvWith(t, web.Limits{}, mail, os.Stderr)
		sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, "drafter@state.example")
		if err != nil {
			t.Fatal(err)
		}
		resp, page := do(t, browser(t), "GET", e.base+"/signin/link/"+sec.Reveal(), nil)
		if resp.StatusCode != 200 || !strings.Contains(page, `<header class="site">`) || !strings.Contains(page, `id="link-signin"`) ||
			!strings.Contains(page, "add a passkey") || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET the link page = %d:\n%s", resp.StatusCode, page)
		}
		if resp := e.signInWithLink(t, browser(t), "drafter@state.example"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
		body, k, v := form(url.Values{"secret": {sec.Reveal()}})
		if resp, _ := do(t, browser(t), "POST", e.base+"/signin/link", body, k, v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d", resp.StatusCode)
		}
		for _, secret := range []string{sec.Reveal(), "dsl_forged", ""} {
			body, k, v := form(url.Values{"secret": {secret}})
			resp, page := do(t, browser(t), "POST", e.base+"/signin/link", body, k, v)
			want := "Ask your administrator for a new one."
			if mail {
				want = "Ask for a new one below."
			}
			if resp.StatusCode != 401 || !strings.Contains(page, "This link has been used or has expired") || !strings.Contains(page, want) ||
				strings.Contains(page, `action="/signin/email"`) != mail || !strings.Contains(page, `<header class="site">`) || strings.Contains(page, "dsl_") {
				t.Errorf("mail %v: a used or forged link (%q) = %d:\n%s", mail, secret, resp.StatusCode, page)
			}
		}
	}
}
