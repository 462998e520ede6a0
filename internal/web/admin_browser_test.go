package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestBrowserAdmin: an administrator signs in with a link, searches the
// directory, opens a person, issues a one-time sign-in link, and is refused
// a content role for themselves, with the field's error beside the roles;
// deactivates and reactivates the person; and finds on their own account
// page the link the command line issued for them.
// With DISSENT_SCREENSHOTS=DIR the pages are saved as PNG files there.
func TestBrowserAdmin(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, "admin@state.example")
	if err != nil {
		t.Fatal(err)
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
	// Text is read in the page (text), never by DevTools node id, which can
	// go stale right after a navigation ("No node with given id found").
	run := func(step string, acts ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, acts...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	run("sign in",
		chromedp.Navigate(e.base+"/signin/link/"+sec.Reveal()),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who`, chromedp.ByQuery))
	run("admin home",
		chromedp.Navigate(e.base+"/admin"),
		chromedp.WaitVisible(`#orgs`, chromedp.ByQuery),
		shot("admin"))
	run("search",
		chromedp.Navigate(e.base+"/admin/people"),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.SendKeys(`#q`, "officer", chromedp.ByQuery),
		chromedp.Submit(`#q`, chromedp.ByQuery))
	// Wait for the results page; an evaluation during the navigation fails
	// and is tried again.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var done bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`location.search.includes("q=officer") && document.readyState === "complete"`, &done))
		if err == nil && done {
			break
		}
		if err != nil && !navigating(err) {
			t.Fatalf("wait for the search results: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the search did not load its results page")
		}
	}
	people := text(ctx, t, `#people tbody`)
	run("open a person",
		shot("admin-people"),
		chromedp.Click(`#people tbody a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#issue-link`, chromedp.ByQuery),
		scriptsReady(),
		chromedp.Click(`#issue-link`, chromedp.ByQuery))
	link := text(ctx, t, `#new-link`)
	run("deactivate",
		shot("admin-person"),
		chromedp.Click(`#deactivate`, chromedp.ByQuery),
		chromedp.WaitVisible(`#reactivate`, chromedp.ByQuery))
	state := text(ctx, t, `#person-state`)
	run("self-grant",
		shot("admin-person-deactivated"),
		chromedp.Click(`#reactivate`, chromedp.ByQuery),
		chromedp.WaitVisible(`#deactivate`, chromedp.ByQuery),
		chromedp.Navigate(e.base+"/admin/people/"+e.id("admin@state.example")),
		chromedp.WaitVisible(`#roles-form`, chromedp.ByQuery),
		scriptsReady(),
		chromedp.Click(`#roles-form input[value=auditor]`, chromedp.ByQuery),
		chromedp.Click(`#roles-form button[type=submit]`, chromedp.ByQuery))
	roleErr := text(ctx, t, `#roles-form .field-error`)
	run("account", shot("admin-self-grant"),
		chromedp.Navigate(e.base+"/account"),
		chromedp.WaitVisible(`#account-notices`, chromedp.ByQuery))
	notices := text(ctx, t, `#account-notices`)
	if !strings.Contains(people, "officer@state.example") || strings.Contains(people, "drafter@") {
		t.Errorf("search for officer listed %q", people)
	}
	if !strings.Contains(link, "/signin/link/dsl_") {
		t.Errorf("issued link shown as %q", link)
	}
	if !strings.HasPrefix(state, "deactivated") {
		t.Errorf("after Deactivate the person's state reads %q", state)
	}
	if !strings.Contains(notices, "A one-time sign-in link was issued for your Dissent account.") {
		t.Errorf("the administrator's own account page does not show the link issued for them: %q", notices)
	}
	if !strings.Contains(roleErr, "may not grant themselves the auditor role") {
		t.Errorf("self-grant error %q", roleErr)
	}
	p, _ := e.Svc.PersonDetail(context.Background(), dissent.System, e.people["admin@state.example"].ID)
	if p.Roles.String() != "admin" {
		t.Errorf("the administrator's roles became %s", p.Roles)
	}
}
