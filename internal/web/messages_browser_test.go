package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// storyCast are the people of the browser stories.
var storyCosigners = []string{"signer0000@usaid.example", "signer0001@state.example", "cosigner3@state.example"}

// msgBrowserSignIn signs email in to the browser with a fresh one-time
// link, the way a person opens the link they were sent. With keys, the
// button is reached by Tab and pressed with Enter.
func msgBrowserSignIn(ctx context.Context, t *testing.T, e *authEnv, email string, keys bool) {
	t.Helper()
	sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, email)
	if err != nil {
		t.Fatal(err)
	}
	acts := []chromedp.Action{chromedp.Navigate(e.base + "/signin/link/" + sec.Reveal())}
	if keys {
		acts = append(acts, msgTabTo(t, `button[type=submit]`), chromedp.KeyEvent(kb.Enter))
	} else {
		acts = append(acts, chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	}
	acts = append(acts, chromedp.WaitVisible(`#who`, chromedp.ByQuery))
	if err := chromedp.Run(ctx, acts...); err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
}

// msgTabTo presses Tab until the focused element matches sel, and checks
// that the focus is visible there (an outline, ours or the browser's).
func msgTabTo(t *testing.T, sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for range 80 {
			if err := chromedp.KeyEvent(kb.Tab).Do(ctx); err != nil {
				return err
			}
			var res struct {
				Match   bool
				Outline string
			}
			js := fmt.Sprintf(`(() => { const a = document.activeElement; const cs = getComputedStyle(a);
				return {Match: !!a && a.matches(%q), Outline: cs.outlineStyle + " " + cs.outlineWidth}; })()`, sel)
			if err := chromedp.Evaluate(js, &res).Do(ctx); err != nil {
				return err
			}
			if res.Match {
				if strings.HasPrefix(res.Outline, "none") || strings.HasSuffix(res.Outline, " 0px") {
					t.Errorf("focus on %s is not visible: outline %q", sel, res.Outline)
				}
				return nil
			}
		}
		return fmt.Errorf("Tab never reached %s", sel)
	})
}

func msgWant(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
			t.Errorf("%s = %q; want it to contain %q (in any case)", what, got, w)
		}
	}
}

// retryStaleNode runs act again, up to three times, when Chromium says the
// node it found is gone ("Could not find node with given id"): the document
// was updated between chromedp's query and its use of the node, and nothing
// was clicked or typed (the node is resolved before any input is sent).
func retryStaleNode(act chromedp.Action) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		for range 3 {
			if err = act.Do(ctx); err == nil || !strings.Contains(err.Error(), "Could not find node with given id") {
				return err
			}
			if err := chromedp.Sleep(50 * time.Millisecond).Do(ctx); err != nil {
				return err
			}
		}
		return err
	})
}

// msgBrowserStory runs the seed story in the browser: with the mouse
// (clicks) or with the keyboard only.
func msgBrowserStory(t *testing.T, keys bool) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	if _, err := e.Svc.AddPeople(context.Background(), dissent.System, []dissent.PersonInput{
		{Email: "cosigner3@state.example", Name: "Name of cosigner3@state.example", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}},
	}); err != nil {
		t.Fatal(err)
	}
	run := func(what string, acts ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, acts...); err != nil {
			var loc, body string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("main", &body, chromedp.ByQuery))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	// press activates the control sel: a click, or Tab to it and a key.
	press := func(sel string, key string) chromedp.Action {
		if !keys {
			return retryStaleNode(chromedp.Click(sel, chromedp.ByQuery))
		}
		return chromedp.Tasks{msgTabTo(t, sel), chromedp.KeyEvent(key)}
	}
	// typeIn puts text into the field sel.
	typeIn := func(sel, text string) chromedp.Action {
		if !keys {
			return retryStaleNode(chromedp.SendKeys(sel, text, chromedp.ByQuery))
		}
		return chromedp.Tasks{msgTabTo(t, sel), chromedp.KeyEvent(text)}
	}
	// flash waits for the page after a POST: its notice, or its error.
	flash := func(text string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			js := fmt.Sprintf(`(() => { const f = document.querySelector("#flash"), e = document.querySelector("#error");
				return e ? "refused: " + e.textContent : (f && f.textContent.includes(%q) ? "ok" : ""); })()`, text)
			for range 300 {
				var res string
				// Errors while the page navigates are expected: try again.
				if err := chromedp.Evaluate(js, &res).Do(ctx); err == nil && res != "" {
					if res != "ok" {
						return fmt.Errorf("%s", res)
					}
					return nil
				}
				if err := chromedp.Sleep(50 * time.Millisecond).Do(ctx); err != nil {
					return err
				}
			}
			return fmt.Errorf("no notice %q", text)
		})
	}

	// The drafter drafts in the editor.
	msgBrowserSignIn(ctx, t, e, "drafter@state.example", keys)
	run("draft",
		chromedp.Navigate(e.base+"/messages/new"),
		typeIn(`#title`, "Reassessing our posture"),
		typeIn(`#body`, "We recommend a *ceasefire*."),
		press(`#save`, kb.Enter),
		flash("Draft created."),
	)
	var loc string
	run("read the location", chromedp.Location(&loc))
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], e.base+"/messages/")
	if _, err := dissent.ParseMessageID(id); err != nil {
		t.Fatalf("after creating, the browser is at %s", loc)
	}
	msg := e.base + "/messages/" + id
	msgWant(t, "the new message's body", text(ctx, t, "#message-body"), "ceasefire")

	// ... and invites three co-signers.
	run("invite",
		press(`#invite-summary`, kb.Enter),
		typeIn(`#invite-emails`, strings.Join(storyCosigners, ", ")),
		press(`#invite-button`, kb.Enter),
		flash("Invitations sent: 3 (0 already invited)."),
	)
	msgWant(t, "the state after inviting", text(ctx, t, "#state"), "circulating")
	msgWant(t, "the progress after inviting", text(ctx, t, "#progress"), "0 of 3 signed")
	run("remind", press(`#remind-button`, kb.Enter), flash("Reminder sent to 3 invitees"))

	// The three sign on the co-signing page, the last one conditionally.
	for i, who := range storyCosigners {
		msgBrowserSignIn(ctx, t, e, who, keys)
		run("open the message", chromedp.Navigate(msg), press(`#sign-link`, kb.Enter), chromedp.WaitVisible(`#sign-text`, chromedp.ByQuery))
		msgWant(t, "the signing page", text(ctx, t, "#sign-text"), "ceasefire")
		if i == 2 {
			if keys {
				run("conditional", msgTabTo(t, `#unconditional`), chromedp.KeyEvent(kb.ArrowDown), typeIn(`#min_cosigners`, "2"))
			} else {
				run("conditional", chromedp.Click(`#conditional`, chromedp.ByQuery), typeIn(`#min_cosigners`, "2"))
			}
		}
		run("sign", press(`#sign-button`, kb.Enter), flash("Your signature is recorded."))
	}

	// The drafter submits after a last review.
	msgBrowserSignIn(ctx, t, e, "drafter@state.example", keys)
	run("progress", chromedp.Navigate(msg))
	msgWant(t, "the progress after signing", text(ctx, t, "#progress"), "3 of 3 signed")
	run("review", chromedp.Navigate(msg), press(`#submit-link`, kb.Enter), chromedp.WaitVisible(`#submit-count`, chromedp.ByQuery))
	msgWant(t, "the signature count before submission", text(ctx, t, "#submit-count"), "4")
	run("submit", press(`#submit-button`, kb.Enter), flash("Submitted to the channel."))
	msgWant(t, "the state after submission", text(ctx, t, "#state"), "submitted")

	// The officer acknowledges; the director replies.
	msgBrowserSignIn(ctx, t, e, "officer@state.example", keys)
	run("acknowledge", chromedp.Navigate(msg), press(`#acknowledge-button`, kb.Enter), flash("Acknowledged."))
	msgWant(t, "the state after acknowledgement", text(ctx, t, "#state"), "acknowledged")
	msgBrowserSignIn(ctx, t, e, "director@state.example", keys)
	run("reply",
		chromedp.Navigate(msg),
		press(`#reply-summary`, kb.Enter),
		typeIn(`#reply-body`, "Thank you. We will reconsider."),
		press(`#reply-button`, kb.Enter),
		flash("Reply recorded."),
	)

	// The drafter sees the reply, the receipt and the access log.
	msgBrowserSignIn(ctx, t, e, "drafter@state.example", keys)
	run("open the reply", chromedp.Navigate(msg))
	msgWant(t, "the replies", text(ctx, t, "#replies"), "We will reconsider")
	msgWant(t, "the state", text(ctx, t, "#state"), "replied")
	run("receipt", press(`#receipt-link`, kb.Enter), chromedp.WaitVisible(`#receipt`, chromedp.ByQuery))
	msgWant(t, "the receipt", text(ctx, t, "#receipt"), "submitted", id)
	run("access log", chromedp.Navigate(msg), press(`#access-link`, kb.Enter), chromedp.WaitVisible(`#access-log`, chromedp.ByQuery))
	msgWant(t, "the access log", text(ctx, t, "#access-log"), "officer", "director", "Name of officer@state.example")
}

// TestBrowserSeedStory: the seed story in Chromium, with clicks.
func TestBrowserSeedStory(t *testing.T) { msgBrowserStory(t, false) }

// TestBrowserKeyboardOnly: the same story with Tab, Enter, the arrow keys
// and typing only; every control reached shows a visible focus.
func TestBrowserKeyboardOnly(t *testing.T) { msgBrowserStory(t, true) }

// TestBrowserDraftSurvivesSessionEnd: the editor autosaves a draft; when
// the session ends, autosave says so and the tab keeps the text; after
// signing in again, the editor restores it, and saving stores it.
func TestBrowserDraftSurvivesSessionEnd(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	c := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, c, "Autosaved title", "First text.")
	edit := e.base + "/messages/" + id + "/edit"
	waitStatus := func(want string) chromedp.Action {
		return chromedp.Poll(fmt.Sprintf(`document.querySelector("#autosave-status").textContent.includes(%q)`, want), nil, chromedp.WithPollingTimeout(15*time.Second))
	}
	typeAtEnd := func(text string) chromedp.Action {
		return chromedp.Tasks{
			chromedp.Evaluate(`(() => { const b = document.querySelector("#body"); b.focus(); b.setSelectionRange(b.value.length, b.value.length); })()`, nil),
			chromedp.KeyEvent(text),
		}
	}
	msgBrowserSignIn(ctx, t, e, "drafter@state.example", false)
	err := chromedp.Run(ctx,
		chromedp.Navigate(edit),
		chromedp.WaitVisible(`#body`, chromedp.ByQuery),
		typeAtEnd(" Autosaved words."),
		waitStatus("Saved automatically"),
	)
	if err != nil {
		t.Fatalf("autosave: %v", err)
	}
	v, err := e.Svc.GetMessage(context.Background(), dissent.Actor{Person: e.people["drafter@state.example"].Person}, dissent.MessageID(id))
	if err != nil || v.Body.Reveal() != "First text. Autosaved words." {
		t.Fatalf("after autosave the server holds %q, %v", v.Body.Reveal(), err)
	}
	// The session ends (the browser loses it, as after a timeout).
	err = chromedp.Run(ctx,
		network.ClearBrowserCookies(),
		typeAtEnd(" Typed after the end."),
		waitStatus("session has ended"),
	)
	if err != nil {
		t.Fatalf("autosave after the session ended: %v", err)
	}
	msgBrowserSignIn(ctx, t, e, "drafter@state.example", false)
	var body string
	err = chromedp.Run(ctx,
		chromedp.Navigate(edit),
		waitStatus("Restored the text"),
		chromedp.Value(`#body`, &body, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if body != "First text. Autosaved words. Typed after the end." {
		t.Fatalf("restored body = %q", body)
	}
	err = chromedp.Run(ctx, chromedp.Click(`#save`, chromedp.ByQuery), chromedp.WaitVisible(`#flash`, chromedp.ByQuery))
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	v, err = e.Svc.GetMessage(context.Background(), dissent.Actor{Person: e.people["drafter@state.example"].Person}, dissent.MessageID(id))
	if err != nil || v.Body.Reveal() != body {
		t.Errorf("after saving the restored text the server holds %q, %v", v.Body.Reveal(), err)
	}
	// The tab's copy is gone once saved: the editor shows no restore.
	var status string
	err = chromedp.Run(ctx, chromedp.Navigate(edit), chromedp.WaitVisible(`#body`, chromedp.ByQuery), chromedp.Text(`#autosave-status`, &status, chromedp.ByQuery))
	if err != nil || strings.Contains(status, "Restored") {
		t.Errorf("after saving, the editor still restores: %q, %v", status, err)
	}
}

// TestBrowserMessagePagesAccessible runs axe-core (as TestBrowserAccessibility
// does for the page table) on the message pages that table leaves out:
// signing, submitting, versions with a difference, receipt, access log,
// print view, the editor, and the case page with a refused form open, in
// both colour schemes.
func TestBrowserMessagePagesAccessible(t *testing.T) {
	axe := axeSource(t)
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	c := e.msgSignedIn(t, "drafter@state.example")
	sub := e.msgCreate(t, c, "Reassessing our posture", "We recommend a *ceasefire*.\n\n> A quote.")
	postForm(t, c, e.base+"/messages/"+sub+"/edit", url.Values{"title": {"Reassessing our posture"}, "body": {"We recommend an immediate *ceasefire*."}})
	postForm(t, c, e.base+"/messages/"+sub+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0000@usaid.example"}})
	_, page := do(t, c, "GET", e.base+"/messages/"+sub+"/submit", nil)
	if resp, _ := postForm(t, c, e.base+"/messages/"+sub+"/submit", url.Values{"content_hash": {pageHash(t, page)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	circ := e.msgCreate(t, c, "Circulating", "Text to sign.")
	postForm(t, c, e.base+"/messages/"+circ+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0001@state.example"}})
	officer := e.msgSignedIn(t, "officer@state.example")
	do(t, officer, "GET", e.base+"/messages/"+sub+"?names=1", nil)
	// A co-signer whose signature an edit voided: the sign page shows the
	// difference; a principal who asked for a meeting.
	chg := e.msgCreate(t, c, "Changed", "Text to sign now.")
	postForm(t, c, e.base+"/messages/"+chg+"/invite", url.Values{"form": {"invite"}, "emails": {"Name <signer0000@usaid.example>"}})
	bg := context.Background()
	if v, err := e.Svc.GetMessage(bg, e.people["signer0000@usaid.example"].Actor, dissent.MessageID(chg)); err != nil {
		t.Fatal(err)
	} else if _, err := e.Svc.Sign(bg, e.people["signer0000@usaid.example"].Actor, v.ID, v.ContentHash, 0); err != nil {
		t.Fatal(err)
	}
	postForm(t, c, e.base+"/messages/"+chg+"/edit", url.Values{"title": {"Changed"}, "body": {"Text to sign today."}})
	if err := e.Svc.Distribute(bg, e.people["officer@state.example"].Actor, dissent.MessageID(sub), []string{"principal@state.example"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RequestMeeting(bg, e.people["principal@state.example"].Actor, dissent.MessageID(sub)); err != nil {
		t.Fatal(err)
	}

	pages := []struct{ who, path, open string }{
		{"drafter@state.example", "/messages/" + sub + "/versions?from=1&to=2", ""},
		{"drafter@state.example", "/messages/" + sub + "/access-log", ""},
		{"drafter@state.example", "/messages/" + sub + "/receipt", ""},
		{"drafter@state.example", "/messages/" + sub + "/print", ""},
		{"drafter@state.example", "/messages/" + circ + "/submit", ""},
		{"drafter@state.example", "/messages/" + circ + "/edit", ""},
		{"drafter@state.example", "/messages/" + circ, "invite"},
		{"signer0001@state.example", "/messages/" + circ + "/sign", ""},
		{"officer@state.example", "/messages/" + sub + "?names=1", "assign"},
		{"signer0000@usaid.example", "/messages/" + chg, ""},
		{"signer0000@usaid.example", "/messages/" + chg + "/sign", ""},
		{"principal@state.example", "/messages/" + sub, ""},
		{"drafter@state.example", "/notifications", ""},
	}
	checked := 0
	for _, scheme := range []string{"light", "dark"} {
		if err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}})); err != nil {
			t.Fatal(err)
		}
		who := ""
		for _, pg := range pages {
			if pg.who != who {
				msgBrowserSignIn(ctx, t, e, pg.who, false)
				who = pg.who
			}
			acts := []chromedp.Action{chromedp.Navigate(e.base + pg.path), chromedp.WaitReady("main", chromedp.ByQuery)}
			if pg.open != "" {
				// Send the form empty-handed: the page comes back with the
				// error beside the field and the form open.
				acts = append(acts, chromedp.Click("#"+pg.open+"-summary", chromedp.ByQuery),
					chromedp.Submit("#"+pg.open+"-summary + form", chromedp.ByQuery), chromedp.WaitVisible("#error", chromedp.ByQuery))
			}
			var vs []axeViolation
			acts = append(acts, chromedp.Evaluate(axe, nil),
				chromedp.Evaluate(axeRun, &vs, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
			if err := chromedp.Run(ctx, acts...); err != nil {
				t.Fatalf("%s as %s: %v", pg.path, pg.who, err)
			}
			checked++
			for _, v := range vs {
				t.Errorf("%s (%s scheme, as %s): %s %s — %s\n\t%s", pg.path, scheme, pg.who, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n\t"))
			}
		}
	}
	if checked != 2*len(pages) {
		t.Errorf("axe ran on %d pages; want %d", checked, 2*len(pages))
	}
}
