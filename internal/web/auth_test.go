package web_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auth/oidctest"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

// authEnv is a server on http://localhost:PORT (WebAuthn wants a host name)
// with the seed cast, and a fake identity provider for the state org.
type authEnv struct {
	*servicetest.Env
	base   string
	srv    *web.Server
	people map[string]servicetest.Actor
	idp    *oidctest.Provider
}

func newAuthEnv(t *testing.T, limits web.Limits) *authEnv {
	t.Helper()
	return newAuthEnvWith(t, limits, false, os.Stderr)
}

// newAuthEnvWith is newAuthEnv for a deployment that sends e-mail (mail)
// or not, logging from the error level to logs (every level when logs is
// not os.Stderr).
func newAuthEnvWith(t *testing.T, limits web.Limits, mail bool, logs io.Writer) *authEnv {
	t.Helper()
	e := servicetest.New(t)
	people, _ := e.Cast(t, 2)
	if mail {
		e.SendMail()
	}
	level := slog.LevelError
	if logs != os.Stderr {
		level = slog.LevelDebug
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	srv := web.New(e.Svc, web.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})), Auth: web.AuthOptions{PublicURL: base, Limits: limits}})
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	idp := oidctest.New(t, "dissent-test")
	if err := e.Svc.SetOIDCProvider(context.Background(), dissent.System, dissent.OIDCProvider{OrgID: "state", Issuer: idp.Issuer(), ClientID: "dissent-test"}); err != nil {
		t.Fatal(err)
	}
	return &authEnv{Env: e, base: base, srv: srv, people: people, idp: idp}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see each step.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		// Every page any test fetches shows its errors as sentences, once.
		checkErrorsShown(t, method+" "+u, string(b))
	}
	return resp, string(b)
}

func form(v url.Values) (io.Reader, string, string) {
	return strings.NewReader(v.Encode()), "Content-Type", "application/x-www-form-urlencoded"
}

// signInWithLink spends a fresh one-time link for email in the browser.
func (e *authEnv) signInWithLink(t *testing.T, c *http.Client, email string) *http.Response {
	t.Helper()
	sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, email)
	if err != nil {
		t.Fatal(err)
	}
	body, k, v := form(url.Values{"secret": {sec.Reveal()}})
	resp, _ := do(t, c, "POST", e.base+"/signin/link", body, k, v)
	return resp
}

func sessionCookie(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "dissent_session" {
			return ck.Value
		}
	}
	return ""
}

func withCookie(t *testing.T, base, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.AddCookie(&http.Cookie{Name: "dissent_session", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessionFixation: a session token the browser held before signing in
// (which an attacker could have planted) names no session afterwards.
func TestSessionFixation(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := browser(t)
	if resp, _ := do(t, c, "POST", e.base+"/signin/passkey/options", strings.NewReader("{}"), "Content-Type", "application/json"); resp.StatusCode != 200 {
		t.Fatalf("passkey options: %d", resp.StatusCode)
	}
	before := sessionCookie(c, e.base)
	if before == "" {
		t.Fatal("no session cookie before sign-in")
	}
	resp := e.signInWithLink(t, c, "drafter@state.example")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/messages?done=welcome_passkey" {
		t.Fatalf("sign in with link: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	after := sessionCookie(c, e.base)
	if after == "" || after == before {
		t.Fatalf("session token after sign-in = %q; want a new one (before %q)", after, before)
	}
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "dissent_session=") && (!strings.Contains(h, "HttpOnly") || !strings.Contains(h, "SameSite=Lax")) {
			t.Errorf("session cookie %q lacks HttpOnly or SameSite=Lax", h)
		}
	}
	if got := withCookie(t, e.base, "/api/v1/me", before); got != 401 {
		t.Errorf("GET /api/v1/me with the pre-sign-in token = %d; want 401", got)
	}
	if got := withCookie(t, e.base, "/api/v1/me", after); got != 200 {
		t.Errorf("GET /api/v1/me with the new session = %d; want 200", got)
	}
	// Signing out ends the session on the server, not just in the browser.
	resp, _ = do(t, c, "POST", e.base+"/signout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if got := withCookie(t, e.base, "/api/v1/me", after); got != 401 {
		t.Errorf("GET /api/v1/me with a signed-out session = %d; want 401", got)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c1, c2 := browser(t), browser(t)
	e.signInWithLink(t, c1, "drafter@state.example")
	e.signInWithLink(t, c2, "drafter@state.example")
	s2 := sessionCookie(c2, e.base)
	if got := withCookie(t, e.base, "/api/v1/me", s2); got != 200 {
		t.Fatalf("second session: %d", got)
	}
	if resp, _ := do(t, c1, "POST", e.base+"/signout/everywhere", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", resp.StatusCode)
	}
	if got := withCookie(t, e.base, "/api/v1/me", s2); got != 401 {
		t.Errorf("the other device's session after signing out everywhere = %d; want 401", got)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	e := servicetest.New(t)
	e.Cast(t, 1)
	srv := httptest.NewServer(web.New(e.Svc, web.Options{Logger: slog.New(slog.DiscardHandler), Auth: web.AuthOptions{IdleTimeout: 300 * time.Millisecond, Lifetime: time.Hour}}))
	t.Cleanup(srv.Close)
	ae := &authEnv{Env: e, base: srv.URL}
	c := browser(t)
	ae.signInWithLink(t, c, "drafter@state.example")
	tok := sessionCookie(c, srv.URL)
	if got := withCookie(t, srv.URL, "/api/v1/me", tok); got != 200 {
		t.Fatalf("fresh session: %d", got)
	}
	time.Sleep(450 * time.Millisecond)
	if got := withCookie(t, srv.URL, "/api/v1/me", tok); got != 401 {
		t.Errorf("session idle past its timeout = %d; want 401", got)
	}
}

func TestSignInLinks(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	sec, err := e.Svc.IssueSignInLink(ctx, dissent.System, "drafter@state.example")
	if err != nil {
		t.Fatal(err)
	}
	post := func(secret string) int {
		body, k, v := form(url.Values{"secret": {secret}})
		resp, _ := do(t, browser(t), "POST", e.base+"/signin/link", body, k, v)
		return resp.StatusCode
	}
	// GET shows a button and does not spend the link (link previews).
	if resp, _ := do(t, browser(t), "GET", e.base+"/signin/link/"+sec.Reveal(), nil); resp.StatusCode != 200 {
		t.Fatalf("GET link page: %d", resp.StatusCode)
	}
	if got := post(sec.Reveal()); got != http.StatusSeeOther {
		t.Fatalf("first use = %d; want 303", got)
	}
	if got := post(sec.Reveal()); got != 401 {
		t.Errorf("reused link = %d; want 401", got)
	}
	old, err := e.Svc.IssueSignInLink(ctx, dissent.System, "drafter@state.example")
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(servicetest.SeedTime.Add(dissent.SignInLinkTTL + time.Second))
	if got := post(old.Reveal()); got != 401 {
		t.Errorf("expired link = %d; want 401", got)
	}
	if got := post("dsl_forged"); got != 401 {
		t.Errorf("forged link = %d; want 401", got)
	}
}

func TestTokensCreateListRevoke(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := client{t: t, url: e.base}
	owner := e.people["drafter@state.example"].Token
	st, tok := c.call("POST", "/api/v1/tokens", owner, map[string]string{"label": "laptop"})
	if st != 201 || !strings.HasPrefix(tok["token"].(string), "dsn_") {
		t.Fatalf("create token: %d %v", st, tok)
	}
	fresh, id := tok["token"].(string), tok["id"].(string)
	if st, _ := c.call("GET", "/api/v1/me", fresh, nil); st != 200 {
		t.Fatalf("new token: %d", st)
	}
	st, list := c.call("GET", "/api/v1/tokens", fresh, nil)
	ts, _ := list["tokens"].([]any)
	if st != 200 || len(ts) != 2 {
		t.Fatalf("list tokens: %d %v; want 2 tokens", st, list)
	}
	for _, x := range ts {
		if _, leaked := x.(map[string]any)["token"]; leaked {
			t.Errorf("listing shows a token itself: %v", x)
		}
	}
	// Another person cannot revoke it: their view is 404.
	if st, _ := c.call("DELETE", "/api/v1/tokens/"+id, e.people["outsider@state.example"].Token, nil); st != 404 {
		t.Errorf("another person revokes the token: %d; want 404", st)
	}
	if st, _ := c.call("DELETE", "/api/v1/tokens/"+id, owner, nil); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st, body := c.call("GET", "/api/v1/me", fresh, nil); st != 401 || body["error"].(map[string]any)["code"] != "bad_token" {
		t.Errorf("revoked token: %d %v; want 401 bad_token", st, body)
	}
	if st, _ := c.call("DELETE", "/api/v1/tokens/"+id, owner, nil); st != 404 {
		t.Errorf("revoking twice: %d; want 404", st)
	}
	if st, _ := c.call("GET", "/api/v1/me", owner, nil); st != 200 {
		t.Errorf("the other token after revoking one: %d; want 200", st)
	}
}

func TestRateLimitAfterBadCredentials(t *testing.T) {
	e := newAuthEnv(t, web.Limits{FailuresPerAddress: web.Rate{Every: time.Minute, Burst: 3}})
	c := client{t: t, url: e.base}
	for i := range 3 {
		if st, _ := c.call("GET", "/api/v1/me", "dsn_wrong", nil); st != 401 {
			t.Fatalf("bad token %d: %d; want 401", i+1, st)
		}
	}
	req, _ := http.NewRequest("GET", e.base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+e.people["drafter@state.example"].Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Fatalf("after 3 bad tokens, a request with a token = %d; want 429 (no answer to guessing)", resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q; want whole seconds", ra)
	}
	body, k, v := form(url.Values{"secret": {"dsl_guess"}})
	if resp, _ := do(t, browser(t), "POST", e.base+"/signin/link", body, k, v); resp.StatusCode != 429 {
		t.Errorf("sign-in link after the limit = %d; want 429", resp.StatusCode)
	}
	// The failures are in the audit trail, bounded by the limit.
	if n := countEvents(t, e, "signin.failed"); n != 3 {
		t.Errorf("signin.failed events = %d; want 3", n)
	}
}

// countEvents reads the audit trail's events of a kind straight from the
// database file.
// countEvents counts the deployment's own events (those about no message)
// of a kind, through the store, so that it works on either backend.
func countEvents(t *testing.T, e *authEnv, kind string) int {
	t.Helper()
	var n int
	err := e.DB.View(context.Background(), func(tx dissent.Tx) error {
		evs, err := tx.Events(context.Background(), "")
		for _, ev := range evs {
			if ev.Kind == kind {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWritesPerPersonLimited(t *testing.T) {
	e := newAuthEnv(t, web.Limits{WritesPerPerson: web.Rate{Every: time.Hour, Burst: 2}})
	c := client{t: t, url: e.base}
	tok := e.people["drafter@state.example"].Token
	for i := range 2 {
		if st, _ := c.call("POST", "/api/v1/tokens", tok, map[string]string{}); st != 201 {
			t.Fatalf("write %d: %d", i+1, st)
		}
	}
	if st, body := c.call("POST", "/api/v1/tokens", tok, map[string]string{}); st != 429 || body["error"].(map[string]any)["code"] != "rate_limited" {
		t.Errorf("third write: %d %v; want 429 rate_limited", st, body)
	}
	if st, _ := c.call("POST", "/api/v1/tokens", e.people["outsider@state.example"].Token, map[string]string{}); st != 201 {
		t.Errorf("another person's write: %d; want 201 (limits are per person)", st)
	}
}

// TestEveryRouteSecured walks every registered route: each response
// carries the security headers, and each state-changing route refuses a
// cross-site browser request, signed in or not, before it acts.
func TestEveryRouteSecured(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := browser(t)
	e.signInWithLink(t, c, "drafter@state.example")
	param := regexp.MustCompile(`\{(\w+)(\.\.\.)?\}`)
	for _, pattern := range e.srv.Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "GET", pattern+"x"
		}
		path = param.ReplaceAllString(path, "0123456789abcdef0123456789abcdef")
		t.Run(pattern, func(t *testing.T) {
			// Reads as the signed-in person; writes anonymously, so that
			// the walk does not sign itself out.
			who := c
			if method != "GET" && method != "HEAD" {
				who = browser(t)
			}
			resp, _ := do(t, who, method, e.base+path, nil)
			h := resp.Header
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q; want %q", k, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.HasPrefix(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") && !strings.HasPrefix(path, "/static/") && !strings.HasPrefix(path, "/log/") &&
				path != "/api/v1/openapi.json" && path != "/report" && path != "/api/v1/report" {
				// Public documents (the script, the OpenAPI document, the
				// public audit log, the public report) may be cached;
				// nothing else may.
				t.Errorf("Cache-Control = %q; want no-store", cc)
			}
			if h.Get("Permissions-Policy") == "" {
				t.Error("no Permissions-Policy")
			}
			if method == "GET" || method == "HEAD" || method == "OPTIONS" {
				return // reads (and CORS preflights of the public log) may come from any site
			}
			for _, who := range []*http.Client{c, browser(t)} {
				resp, body := do(t, who, method, e.base+path, strings.NewReader("{}"), "Content-Type", "application/json", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "cross_origin") {
					t.Errorf("cross-site %s = %d %s; want 403 cross_origin", method, resp.StatusCode, body)
				}
			}
		})
	}
	// The session still works: no cross-site request changed anything.
	if resp, _ := do(t, c, "GET", e.base+"/account", nil); resp.StatusCode != 200 {
		t.Errorf("account page after the walk: %d", resp.StatusCode)
	}
}

func TestSingleSignOn(t *testing.T) {
	// More sign-ins and failures than the defaults allow from one address.
	e := newAuthEnv(t, web.Limits{SignInPerAddress: web.Rate{Every: time.Millisecond, Burst: 100}, FailuresPerAddress: web.Rate{Every: time.Millisecond, Burst: 100}})
	// run follows the flow: our start → IdP authorize → our callback.
	run := func(t *testing.T) (*http.Response, string) {
		t.Helper()
		c := browser(t)
		resp, _ := do(t, c, "GET", e.base+"/signin/oidc/state", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("start: %d", resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		if !strings.Contains(loc, "code_challenge_method=S256") || !strings.Contains(loc, "nonce=") || !strings.Contains(loc, "state=") {
			t.Fatalf("authorization request lacks PKCE, nonce or state: %s", loc)
		}
		resp, _ = do(t, c, "GET", loc, nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %d", resp.StatusCode)
		}
		return do(t, c, "GET", resp.Header.Get("Location"), nil)
	}
	tests := []struct {
		name    string
		email   string
		verfied bool
		tamper  func(oidctest.Claims)
		info    func(oidctest.Claims) // changes the UserInfo answer
		want    int
		code    string
	}{
		{"good", "drafter@state.example", true, nil, nil, http.StatusSeeOther, ""},
		{"wrong nonce", "drafter@state.example", true, func(c oidctest.Claims) { c["nonce"] = "other" }, nil, 401, "not made for this sign-in"},
		{"wrong audience", "drafter@state.example", true, func(c oidctest.Claims) { c["aud"] = "someone-else" }, nil, 401, "ID token is not valid"},
		{"expired token", "drafter@state.example", true, func(c oidctest.Claims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, nil, 401, "ID token is not valid"},
		{"wrong issuer", "drafter@state.example", true, func(c oidctest.Claims) { c["iss"] = "https://evil.example" }, nil, 401, "ID token is not valid"},
		{"unverified e-mail", "drafter@state.example", false, nil, nil, 401, "not verified"},
		{"unknown person", "nobody@state.example", true, nil, nil, 401, "did not identify"},
		{"person of another org", "usaid1@usaid.example", true, nil, nil, 401, "did not identify"},
		// OpenID Connect Core §5.4: the e-mail claims may come only from UserInfo.
		{"e-mail only in UserInfo", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, nil, http.StatusSeeOther, ""},
		{"e-mail verified only in UserInfo", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email_verified") }, nil, http.StatusSeeOther, ""},
		{"unverified in UserInfo", "drafter@state.example", false, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, nil, 401, "not verified"},
		{"e-mail nowhere", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, 401, "email claim is missing"},
		{"verification nowhere", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, func(c oidctest.Claims) { delete(c, "email_verified") }, 401, "email_verified claim is missing"},
		{"UserInfo of another subject", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, func(c oidctest.Claims) { c["sub"] = "sub-officer@state.example"; c["email"] = "officer@state.example" }, 401, "another subject"},
		{"UserInfo without subject", "drafter@state.example", true, func(c oidctest.Claims) { delete(c, "email"); delete(c, "email_verified") }, func(c oidctest.Claims) { delete(c, "sub") }, 401, "another subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.idp.SignInAs(tt.email, tt.verfied)
			e.idp.Tamper(tt.tamper)
			e.idp.TamperUserInfo(tt.info)
			defer e.idp.Tamper(nil)
			defer e.idp.TamperUserInfo(nil)
			resp, body := run(t)
			if resp.StatusCode != tt.want {
				t.Fatalf("callback = %d; want %d\n%s", resp.StatusCode, tt.want, body)
			}
			if loc := resp.Header.Get("Location"); tt.want == http.StatusSeeOther && !strings.Contains(loc, "?done=welcome") {
				t.Errorf("signed in, but sent to %q", resp.Header.Get("Location"))
			}
			if tt.code != "" && !strings.Contains(body, tt.code) {
				t.Errorf("the page does not say %q:\n%s", tt.code, body)
			}
		})
	}
	t.Run("foreign signing key", func(t *testing.T) {
		e.idp.SignInAs("drafter@state.example", true)
		e.idp.SignWithForeignKey(t)
		if resp, _ := run(t); resp.StatusCode != 401 {
			t.Errorf("ID token signed by another key: %d; want 401", resp.StatusCode)
		}
	})
	t.Run("forged state", func(t *testing.T) {
		c := browser(t)
		do(t, c, "GET", e.base+"/signin/oidc/state", nil)
		if resp, _ := do(t, c, "GET", e.base+"/signin/oidc/callback?code=x&state=forged", nil); resp.StatusCode != 401 {
			t.Errorf("callback with a forged state: %d; want 401", resp.StatusCode)
		}
	})
}

// TestNoSecretsInDataDir signs in every way that leaves a credential
// behind, then reads every file of the data directory: no bearer token,
// link secret or session token may appear in clear.
func TestNoSecretsInDataDir(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	var secrets []string
	c := browser(t)
	e.signInWithLink(t, c, "drafter@state.example")
	secrets = append(secrets, sessionCookie(c, e.base))
	link, err := e.Svc.IssueSignInLink(ctx, dissent.System, "officer@state.example")
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, link.Reveal(), strings.TrimPrefix(link.Reveal(), "dsl_"))
	_, tok, err := e.Svc.CreateToken(ctx, dissent.Actor{Person: e.people["drafter@state.example"].Person}, "x")
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, tok.Reveal(), strings.TrimPrefix(tok.Reveal(), "dsn_"))
	for _, p := range e.people {
		secrets = append(secrets, p.Token)
	}
	e.DB.Close() // flush the WAL into the files we read
	err = filepath.WalkDir(e.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(string(b), s) {
				t.Errorf("%s holds a credential in clear (%.8s…)", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets checked", len(secrets))
	}
}
