package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dissent-channel/dissent/internal/web"
)

// TestBrowserSignInByEmail plays "E-mail me a sign-in link" with the
// keyboard only, in real Chromium, on a deployment that sends e-mail: a
// malformed address is refused beside the field; a good one gets the
// answer; the e-mailed link's page signs in; opened again, it says it no
// longer works and offers the form. axe-core finds no serious issue on
// any of these pages (when installed: npm ci --prefix internal/web/testdata/axe).
func TestBrowserSignInByEmail(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnvWith(t, web.Limits{}, true, os.Stderr)
	e.linksMailed(t)
	axe := ""
	if _, err := os.Stat(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js")); err == nil {
		axe = axeSource(t)
	}
	run := func(what string, acts ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, acts...); err != nil {
			var loc, body string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("main", &body, chromedp.ByQuery))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	checkAxe := func(where string) {
		t.Helper()
		if axe == "" {
			return
		}
		var vs []axeViolation
		run("axe on "+where, chromedp.Evaluate(axe, nil),
			chromedp.Evaluate(axeRun, &vs, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		for _, v := range vs {
			t.Errorf("%s: %s %s — %s\n\t%s", where, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n\t"))
		}
	}
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			dir := os.Getenv("DISSENT_SCREENSHOTS")
			if dir == "" {
				return nil
			}
			var b []byte
			if err := chromedp.FullScreenshot(&b, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
		})
	}
	ask := func(addr string) chromedp.Action {
		return chromedp.Tasks{
			chromedp.Navigate(e.base + "/signin"), chromedp.WaitVisible(`#email-link-form`, chromedp.ByQuery), scriptsReady(),
			msgTabTo(t, `#signin-email`), chromedp.KeyEvent(addr),
			msgTabTo(t, `#email-link-send`), chromedp.KeyEvent(kb.Enter),
		}
	}

	run("a malformed address", ask("not-an-address"))
	if got := text(ctx, t, `#email-link-form .field-error`); !strings.HasPrefix(got, "Enter your e-mail address") {
		t.Errorf("the error beside the field = %q", got)
	}
	if got := text(ctx, t, `#error`); strings.Contains(got, "Enter your e-mail address") {
		t.Errorf("the page repeats the field's error at the top: %q", got)
	}
	run("screenshot", shot("signin-email-refused"))
	checkAxe("the sign-in page, address refused")

	run("a good address", ask("drafter@state.example"))
	if got := text(ctx, t, `#flash`); !strings.Contains(got, "a one-time sign-in link is on its way") {
		t.Errorf("the answer = %q", got)
	}
	run("screenshot", shot("signin-email-sent"))
	checkAxe("the sign-in page, link asked for")

	links := e.linksMailed(t)["drafter@state.example"]
	if len(links) != 1 {
		t.Fatalf("links e-mailed to the drafter: %v; want one", links)
	}
	link := e.base + "/signin/link/" + links[0]
	run("open the link", chromedp.Navigate(link), chromedp.WaitVisible(`#link-signin`, chromedp.ByQuery), scriptsReady())
	checkAxe("the link page")
	run("sign in with the link", shot("signin-link"), msgTabTo(t, `#link-signin`), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`#who`, chromedp.ByQuery))
	if got := text(ctx, t, `#who`); !strings.Contains(got, "drafter@state.example") {
		t.Errorf("signed in as %q", got)
	}

	run("the link again", chromedp.Navigate(link), chromedp.WaitVisible(`#link-signin`, chromedp.ByQuery), scriptsReady(),
		msgTabTo(t, `#link-signin`), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#link-failed`, chromedp.ByQuery))
	if got := text(ctx, t, `#link-failed`); !strings.Contains(got, "This link has been used or has expired") || !strings.Contains(got, "Ask for a new one below") {
		t.Errorf("the spent link's page says %q", got)
	}
	run("screenshot", shot("signin-link-used"))
	checkAxe("the spent link's page")
	run("ask again from the spent link's page", msgTabTo(t, `#signin-email`), chromedp.KeyEvent("drafter@state.example"),
		msgTabTo(t, `#email-link-send`), chromedp.KeyEvent(kb.Enter))
	if got := text(ctx, t, `#flash`); !strings.Contains(got, "on its way") {
		t.Errorf("the answer from the spent link's page = %q", got)
	}
	if got := e.linksMailed(t)["drafter@state.example"]; len(got) != 1 {
		t.Errorf("links e-mailed on asking again: %v; want one", got)
	}
}
