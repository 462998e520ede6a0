package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// waitFlash waits for the page after a POST: its notice containing want,
// or fails with its error.
func waitFlash(want string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		js := fmt.Sprintf(`(() => { const f = document.querySelector("#flash"), e = document.querySelector("#error");
			return e ? "refused: " + e.textContent : (f && f.textContent.includes(%q) ? "ok" : ""); })()`, want)
		for range 300 {
			var res string
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
		return fmt.Errorf("no notice %q", want)
	})
}

// absent reports whether no element matches sel in the page.
func absent(ctx context.Context, t *testing.T, sel string) bool {
	t.Helper()
	var none bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector(`+strconv.Quote(sel)+`) === null`, &none)); err != nil {
		t.Fatalf("look for %s: %v", sel, err)
	}
	return none
}

// TestBrowserParticipants plays the "Broken" list of issue #13 in
// Chromium: an invitee who has not signed is offered the signature; an
// edit tells the co-signers, and their sign page shows the words that
// changed against what they signed; a principal's meeting request shows
// on their page (the button rests) and on the authors'; a reviewer who
// gives input lands on their consultations, not on a "not found".
func TestBrowserParticipants(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	bg := context.Background()
	dr, signer, off, pr, rev := e.people["drafter@state.example"], e.people["signer0001@state.example"],
		e.people["officer@state.example"], e.people["principal@state.example"], e.people["reviewer@state.example"]
	m, err := e.Svc.CreateMessage(bg, dr.Actor, dissent.Draft{Title: "Posture", Body: "We recommend a ceasefire now."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(bg, dr.Actor, m.ID, []string{signer.Email, "signer0000@usaid.example"}); err != nil {
		t.Fatal(err)
	}
	msg := e.base + "/messages/" + string(m.ID)
	run := func(what string, acts ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, acts...); err != nil {
			var loc, body string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("main", &body, chromedp.ByQuery))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}

	// The invitee who has not signed is told what to do, not "nothing".
	msgBrowserSignIn(ctx, t, e, signer.Email, false)
	run("open as invitee", chromedp.Navigate(msg))
	msgWant(t, "the invitee's actions", text(ctx, t, "#actions"), "You are invited to co-sign", "Read and sign")
	if !absent(ctx, t, "#no-actions") {
		t.Errorf("the invitee is told there is nothing to do")
	}
	run("sign", chromedp.Click(`#sign-action-link`, chromedp.ByQuery), chromedp.WaitVisible(`#sign-button`, chromedp.ByQuery),
		chromedp.Click(`#sign-button`, chromedp.ByQuery), waitFlash("Your signature is recorded."))

	// The drafter changes one word: the page says the co-signature no
	// longer counts and that its signer was told.
	msgBrowserSignIn(ctx, t, e, dr.Email, false)
	run("edit", chromedp.Navigate(msg+"/edit"), chromedp.WaitVisible(`#body`, chromedp.ByQuery),
		chromedp.SetValue(`#body`, "We recommend a ceasefire today.", chromedp.ByQuery),
		chromedp.Click(`#save`, chromedp.ByQuery), waitFlash("1 co-signatures were on the earlier version"))
	msgWant(t, "the progress after the edit", text(ctx, t, "#progress"), "0 of 2 signed")

	// The co-signer hears of it and sees the words that changed.
	msgBrowserSignIn(ctx, t, e, signer.Email, false)
	run("notifications", chromedp.Navigate(e.base+"/notifications"))
	msgWant(t, "the co-signer's notifications", text(ctx, t, "main"), dissent.NoticeText(dissent.NoteResign))
	run("open the message", chromedp.Navigate(msg))
	msgWant(t, "the co-signer's actions", text(ctx, t, "#actions"), "The text changed after you signed version 1")
	run("sign page", chromedp.Click(`#sign-action-link`, chromedp.ByQuery), chromedp.WaitVisible(`#changed`, chromedp.ByQuery))
	msgWant(t, "what changed", text(ctx, t, "#changed"), "What changed since you signed version 1")
	msgWant(t, "the words removed", text(ctx, t, "#changed-body del"), "now.")
	msgWant(t, "the words added", text(ctx, t, "#changed-body ins"), "today.")

	// Submitted, distributed to a principal, and a reviewer consulted.
	v, err := e.Svc.GetMessage(bg, dr.Actor, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(bg, dr.Actor, m.ID, v.ContentHash); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Distribute(bg, off.Actor, m.ID, []string{pr.Email}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Consult(bg, off.Actor, m.ID, rev.Email, "2023-11-17"); err != nil {
		t.Fatal(err)
	}

	// The principal asks for a meeting; the button gives way to a note.
	msgBrowserSignIn(ctx, t, e, pr.Email, false)
	run("meeting request", chromedp.Navigate(msg), chromedp.Click(`#meeting-request-button`, chromedp.ByQuery),
		waitFlash("Your request for a meeting is sent"))
	msgWant(t, "the principal's page after asking", text(ctx, t, "#meeting-requested"), "You asked for a meeting with the authors on")
	if !absent(ctx, t, "#meeting-request-button") {
		t.Errorf("the meeting request button is still offered after the request")
	}
	if err := e.Svc.RequestMeeting(bg, pr.Actor, m.ID); dissent.ErrorKind(err) != dissent.KindConflict {
		t.Errorf("a second request = %v; want a conflict", err)
	}

	// The drafter and the office are told, and their pages show it.
	for _, who := range []string{dr.Email, off.Email} {
		msgBrowserSignIn(ctx, t, e, who, false)
		run("notifications of "+who, chromedp.Navigate(e.base+"/notifications"))
		msgWant(t, who+"'s notifications", text(ctx, t, "main"), dissent.NoticeText(dissent.NoteMeetingRequested))
		run("case page of "+who, chromedp.Navigate(msg))
		msgWant(t, who+"'s case page", text(ctx, t, "#meeting-requests"), "A principal has asked to meet the authors")
	}

	// The reviewer gives input and lands on their consultations.
	msgBrowserSignIn(ctx, t, e, rev.Email, false)
	run("input", chromedp.Navigate(msg), chromedp.WaitVisible(`#input-body`, chromedp.ByQuery),
		chromedp.SendKeys(`#input-body`, "No objection.", chromedp.ByQuery),
		chromedp.Submit(`#input-body`, chromedp.ByQuery), waitFlash("Your input is recorded."))
	var loc string
	run("location", chromedp.Location(&loc))
	if u, _ := url.Parse(loc); u == nil || u.Path != "/consultations" {
		t.Errorf("after giving input the reviewer is at %s; want /consultations", loc)
	}
	page := text(ctx, t, "main")
	for _, bad := range []string{"no such message", "Not found"} {
		if strings.Contains(page, bad) {
			t.Errorf("the reviewer's landing page says %q:\n%s", bad, page)
		}
	}

	// A drafter may start from an outline (no script needed).
	msgBrowserSignIn(ctx, t, e, dr.Email, false)
	var body string
	run("outline", chromedp.Navigate(e.base+"/messages/new"), chromedp.Click(`#template-link`, chromedp.ByQuery),
		chromedp.WaitVisible(`#body`, chromedp.ByQuery), chromedp.Value(`#body`, &body, chromedp.ByQuery))
	msgWant(t, "the outline", body, "## What happened", "## Why it matters", "## What we ask")
}

// TestBrowserPhone: at 390 px "My messages" rows are cards like the
// inbox's (no sideways scrolling), and the dashboard's chart labels are
// drawn at 12 px or more, inside the chart.
func TestBrowserPhone(t *testing.T) {
	pe := newPagesEnv(t, ordinaryTexts, ordinaryNames)
	ctx := chromium(t)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	pe.signIn(ctx, t, "employee")
	var res struct {
		Display string
		Scroll  int
		Rows    int
	}
	err := chromedp.Run(ctx, chromedp.Navigate(pe.base+"/messages"), chromedp.WaitVisible("main", chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const r = document.querySelector(".msg-table tbody tr");
			return {Display: r ? getComputedStyle(r).display : "", Scroll: document.documentElement.scrollWidth,
				Rows: document.querySelectorAll(".msg-table tbody tr").length}; })()`, &res))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows == 0 || res.Display != "block" || res.Scroll > 390 {
		t.Errorf("My messages at 390 px: %d rows shown as %q, page %d px wide; want cards within 390 px", res.Rows, res.Display, res.Scroll)
	}
	pe.signIn(ctx, t, "officer")
	var labels []struct {
		Text    string
		Px      float64
		Clipped bool
	}
	err = chromedp.Run(ctx, chromedp.Navigate(pe.base+"/dashboard"), chromedp.WaitVisible("figure.chart svg", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("figure.chart text")].map(el => {
			const svg = el.ownerSVGElement, s = svg.getScreenCTM().a, b = el.getBoundingClientRect(), f = svg.getBoundingClientRect();
			return {Text: el.textContent, Px: parseFloat(getComputedStyle(el).fontSize) * s,
				Clipped: b.left < f.left - 0.5 || b.right > f.right + 0.5}; })`, &labels))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) == 0 {
		t.Fatal("the dashboard draws no chart text")
	}
	for _, l := range labels {
		if l.Px < 12 || l.Clipped {
			t.Errorf("chart text %q is %.1f px (clipped: %v); want at least 12 px, inside the chart", l.Text, l.Px, l.Clipped)
		}
	}
}

// TestBrowserSearchSort: "My messages" and the inbox search and sort with
// no script: a title search, a sort by title; an id search and a sort by
// submission in the inbox.
func TestBrowserSearchSort(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	bg := context.Background()
	dr := e.people["drafter@state.example"]
	var ids []dissent.MessageID
	for i, title := range []string{"Charlie memo", "Alpha memo", "Bravo memo"} {
		m, err := e.Svc.CreateMessage(bg, dr.Actor, dissent.Draft{Title: title, Body: "B"})
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Set(e.Clock.Now().Add(time.Duration(i+1) * time.Hour))
		if _, err := e.Svc.Submit(bg, dr.Actor, m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	rows := func(sel string) []string {
		var out []string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll(`+strconv.Quote(sel)+`)].map(r => r.innerText.split("\n")[0].split("\t")[0])`, &out)); err != nil {
			t.Fatal(err)
		}
		return out
	}
	msgBrowserSignIn(ctx, t, e, dr.Email, false)
	if err := chromedp.Run(ctx, chromedp.Navigate(e.base+"/messages"), chromedp.WaitVisible(`#my-q`, chromedp.ByQuery),
		chromedp.SendKeys(`#my-q`, "brav", chromedp.ByQuery), chromedp.Click(`#my-search-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#my-q[value="brav"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if got := rows("#submitted tbody tr"); len(got) != 1 || !strings.Contains(got[0], "Bravo") {
		t.Errorf("searching brav lists %q; want Bravo alone", got)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(e.base+"/messages?sort=title"), chromedp.WaitVisible(`#submitted`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if got := rows("#submitted tbody tr"); len(got) != 3 || !strings.Contains(got[0], "Alpha") || !strings.Contains(got[2], "Charlie") {
		t.Errorf("sorted by title: %q", got)
	}

	msgBrowserSignIn(ctx, t, e, "officer@state.example", false)
	if err := chromedp.Run(ctx, chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(`#f-sort`, chromedp.ByQuery),
		chromedp.SetValue(`#f-sort`, "oldest", chromedp.ByQuery), chromedp.Submit(`#f-sort`, chromedp.ByQuery),
		chromedp.WaitReady(`#f-sort option[value="oldest"][selected]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if got := rows("#inbox tbody tr"); len(got) != 3 || !strings.Contains(got[0], "Charlie") || !strings.Contains(got[2], "Bravo") {
		t.Errorf("the inbox, oldest first: %q", got)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(e.base+"/inbox"), chromedp.WaitVisible(`#f-id`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-id`, string(ids[1])[:10], chromedp.ByQuery), chromedp.Submit(`#f-id`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-id[value="`+string(ids[1])[:10]+`"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if got := rows("#inbox tbody tr"); len(got) != 1 || !strings.Contains(got[0], "Alpha") {
		t.Errorf("the inbox searched by id: %q; want Alpha alone", got)
	}
}
