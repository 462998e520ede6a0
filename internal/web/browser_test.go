package web_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// chromium starts Debian's Chromium, headless, in a fresh profile. Without
// it the test skips, unless DISSENT_REQUIRE_E2E=1, when it fails.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("DISSENT_REQUIRE_E2E") == "1" {
			t.Fatal("chromium is not installed and DISSENT_REQUIRE_E2E=1: apt-get install -y chromium")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); set DISSENT_REQUIRE_E2E=1 to make this a failure")
	}
	// A profile of our own rather than t.TempDir: Chromium's helpers may
	// still be writing to it for a moment after the browser has exited.
	profile, err := os.MkdirTemp("", "dissent-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 180*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// scriptsReady waits until the page's deferred scripts have run, so that a
// click on a button they wire up is not lost (a button is visible as soon as
// it is parsed, before the scripts run).
func scriptsReady() chromedp.Action {
	return chromedp.Poll(`document.readyState === "complete"`, nil, chromedp.WithPollingInterval(20*time.Millisecond))
}

// text waits for the element to be shown and returns its text. It reads it
// in the page, not by DevTools node id: right after a navigation chromedp's
// node ids can go stale between finding an element and reading it. A
// navigation during the wait is waited out.
func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	var s string
	js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `);
		return e && e.getClientRects().length > 0 ? e.innerText : null; })()`
	// A navigation under way (a form's redirect) ends the poll; poll the
	// new page.
	for tries := 0; ; tries++ {
		err := chromedp.Run(ctx, chromedp.Poll(js, &s, chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil {
			return s
		}
		if tries >= 50 || !navigating(err) {
			t.Fatalf("read %s: %v", sel, err)
		}
	}
}

// navigating reports whether err is DevTools saying the page it evaluated
// in went away under it: a navigation, not a failure.
func navigating(err error) bool {
	for _, m := range []string{"navigated or closed", "Cannot find context with specified id", "Execution context was destroyed"} {
		if strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}

// TestBrowserPasskey: follow a one-time link, register a passkey with the
// DevTools virtual authenticator, sign out, sign in with the passkey.
func TestBrowserPasskey(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, "drafter@state.example")
	if err != nil {
		t.Fatal(err)
	}
	var authID webauthn.AuthenticatorID
	err = chromedp.Run(ctx,
		webauthn.Enable(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			authID, err = webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			}).Do(ctx)
			return err
		}),
		chromedp.Navigate(e.base+"/signin/link/"+sec.Reveal()),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#flash`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("sign in with the link: %v", err)
	}
	// The first sign-in lands on the person's messages and offers a passkey.
	if got := text(ctx, t, "#flash"); !strings.Contains(got, "You have no passkey yet") {
		t.Errorf("after the first sign-in the notice is %q; want the passkey offered", got)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(e.base+"/account"), chromedp.WaitVisible(`#no-passkeys`, chromedp.ByQuery)); err != nil {
		t.Fatalf("open the account page: %v", err)
	}
	if got := text(ctx, t, "#who"); !strings.Contains(got, "drafter@state.example") {
		t.Fatalf("account page shows %q", got)
	}
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#passkey-name`, "virtual key", chromedp.ByQuery),
		scriptsReady(),
		chromedp.Click(`#passkey-register`, chromedp.ByQuery),
		chromedp.WaitVisible(`#passkeys`, chromedp.ByQuery),
	)
	if err != nil {
		var status string
		_ = chromedp.Run(ctx, chromedp.Text(`#passkey-status`, &status, chromedp.ByQuery))
		t.Fatalf("register a passkey: %v (status %q)", err, status)
	}
	if got := text(ctx, t, "#passkeys"); !strings.Contains(got, "virtual key") {
		t.Errorf("passkeys listed: %q", got)
	}
	var creds []*webauthn.Credential
	err = chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		creds, err = webauthn.GetCredentials(authID).Do(ctx)
		return err
	}))
	if err != nil || len(creds) != 1 || !creds[0].IsResidentCredential {
		t.Fatalf("virtual authenticator holds %v (%v); want one resident credential", creds, err)
	}
	err = chromedp.Run(ctx,
		chromedp.Click(`#signout`, chromedp.ByQuery),
		chromedp.WaitVisible(`#passkey-signin`, chromedp.ByQuery),
		chromedp.Navigate(e.base+"/account"),
		chromedp.WaitVisible(`#passkey-signin`, chromedp.ByQuery), // signed out: back to the sign-in page
		scriptsReady(),
		chromedp.Click(`#passkey-signin`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who`, chromedp.ByQuery),
	)
	if err != nil {
		var status string
		_ = chromedp.Run(ctx, chromedp.Text(`#passkey-status`, &status, chromedp.ByQuery))
		t.Fatalf("sign out and in with the passkey: %v (status %q)", err, status)
	}
	if got := text(ctx, t, "#who"); !strings.Contains(got, "drafter@state.example") {
		t.Errorf("signed in with the passkey as %q", got)
	}
	if n := countEvents(t, e, "signin.passkey"); n != 1 {
		t.Errorf("signin.passkey events = %d; want 1", n)
	}
}

// TestBrowserSingleSignOn signs in through the fake identity provider.
func TestBrowserSingleSignOn(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	e.idp.SignInAs("officer@state.example", true)
	err := chromedp.Run(ctx,
		chromedp.Navigate(e.base+"/signin"),
		chromedp.Click(`#sso-state`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("single sign-on: %v", err)
	}
	if got := text(ctx, t, "#who"); !strings.Contains(got, "officer@state.example") {
		t.Errorf("signed in as %q", got)
	}
	if n := countEvents(t, e, "signin.oidc"); n != 1 {
		t.Errorf("signin.oidc events = %d; want 1", n)
	}
}
