package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// postForm sends a form as a same-origin browser would not need to: a
// plain client, which CrossOriginProtection lets through.
func postForm(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	body, k, val := form(v)
	return do(t, c, "POST", u, body, k, val)
}

var hashInPage = regexp.MustCompile(`name="content_hash" value="([0-9a-f]{64})"`)

// pageHash is the content hash in a page's signing or submitting form.
func pageHash(t *testing.T, page string) string {
	t.Helper()
	m := hashInPage.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no content_hash field in the page:\n%s", page)
	}
	return m[1]
}

// msgSignedIn is a browser signed in as email.
func (e *authEnv) msgSignedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := browser(t)
	if resp := e.signInWithLink(t, c, email); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, resp.StatusCode)
	}
	return c
}

// msgCreate drafts a message through the editor and returns its id.
func (e *authEnv) msgCreate(t *testing.T, c *http.Client, title, body string) string {
	t.Helper()
	resp, page := postForm(t, c, e.base+"/messages", url.Values{"title": {title}, "summary": {"In short."}, "body": {body}, "action": {"save"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/messages/") {
		t.Fatalf("create: %d %s\n%s", resp.StatusCode, loc, page)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(loc, "/messages/"), "?")
	return id
}

func mustContain(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
}

// TestMessagePagesStory walks the seed story through the pages, without
// JavaScript: draft, invite by e-mail and by unit, sign (one
// conditionally), submit, acknowledge, reply, and the drafter's receipt,
// access log, print view and versions.
func TestMessagePagesStory(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	if _, err := e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "pm", OrgID: "state", Name: "Political-Military Affairs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AddPeople(ctx, dissent.System, []dissent.PersonInput{
		{Email: "pm1@state.example", Name: "Pat Unit", OrgID: "state", UnitID: "pm", Roles: []dissent.Role{dissent.RoleEmployee}},
	}); err != nil {
		t.Fatal(err)
	}
	drafter := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, drafter, "Reassessing our posture", "We recommend a **ceasefire**.\n\n<script>alert(1)</script>")
	msg := e.base + "/messages/" + id

	_, page := do(t, drafter, "GET", msg+"?done=created", nil)
	mustContain(t, "the new draft's page", page, "Reassessing our posture", "<strong>ceasefire</strong>", "Draft created.", `id="state">draft`)
	if strings.Contains(page, "<script>alert") {
		t.Error("the case page renders raw HTML from the body")
	}
	_, page = do(t, drafter, "GET", e.base+"/messages", nil)
	mustContain(t, "my messages", page, "Reassessing our posture", "/messages/"+id)

	// Edit: a new version, and the page says earlier signers sign again.
	_, page = do(t, drafter, "GET", msg+"/edit", nil)
	mustContain(t, "the edit page", page, "version 1", "must sign again")
	if resp, page := postForm(t, drafter, msg+"/edit", url.Values{"title": {"Reassessing our posture"}, "summary": {"In short."}, "body": {"We recommend an immediate **ceasefire**."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, page)
	}
	_, page = do(t, drafter, "GET", msg+"/versions?from=1&to=2", nil)
	mustContain(t, "the versions page", page, "<del>a </del>", "<ins>an immediate </ins>")

	resp, page := postForm(t, drafter, msg+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0000@usaid.example, signer0001@state.example\nnobody@state.example"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invite with an unknown address: %d; want 422", resp.StatusCode)
	}
	mustContain(t, "the refused invitation", page, "nobody@state.example", `id="invite-emails-err"`, " open>")
	if resp, page := postForm(t, drafter, msg+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0000@usaid.example, signer0001@state.example"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d\n%s", resp.StatusCode, page)
	}
	if resp, page := postForm(t, drafter, msg+"/invite-unit", url.Values{"form": {"invite_unit"}, "unit": {"pm"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite a unit: %d\n%s", resp.StatusCode, page)
	}

	// Three co-signers sign on the signing page; one conditionally.
	for i, who := range []string{"signer0000@usaid.example", "signer0001@state.example", "pm1@state.example"} {
		c := e.msgSignedIn(t, who)
		_, page := do(t, c, "GET", msg+"/sign", nil)
		mustContain(t, "the signing page", page, "an immediate", "version 2")
		v := url.Values{"content_hash": {pageHash(t, page)}}
		if i == 2 {
			v.Set("conditional", "1")
			v.Set("min_cosigners", "2")
		}
		if resp, page := postForm(t, c, msg+"/sign", v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s signs: %d\n%s", who, resp.StatusCode, page)
		}
		_, page = do(t, c, "GET", msg, nil)
		mustContain(t, who+"'s page after signing", page, `id="my-signature"`, "You signed version 2")
		if strings.Contains(page, `id="sign-link"`) {
			t.Errorf("%s is offered to sign again", who)
		}
		if i == 2 {
			mustContain(t, "the conditional signer's page", page, "at least 2 others")
		}
	}
	_, page = do(t, drafter, "GET", msg+"/submit", nil)
	mustContain(t, "the submit page", page, `id="submit-count">4<`, "What happens next", "Name of signer0000@usaid.example")
	if resp, page := postForm(t, drafter, msg+"/submit", url.Values{"content_hash": {pageHash(t, page)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, page)
	}

	officer := e.msgSignedIn(t, "officer@state.example")
	_, page = do(t, officer, "GET", msg, nil)
	mustContain(t, "the officer's case page", page, "Acknowledge receipt", "Tue 7 Nov 2023", "Show the signers' names (4 signatures)")
	if strings.Contains(page, "Name of signer0000") {
		t.Error("the officer's page shows names before they are asked for")
	}
	if resp, _ := postForm(t, officer, msg+"/acknowledge", url.Values{"form": {"acknowledge"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	resp, page = postForm(t, officer, msg+"/consult", url.Values{"form": {"consult"}, "email": {"reviewer@state.example"}, "due": {"2023-11-01"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("consult with a due date in the past: %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refused consultation", page, `id="consult-due-err"`, `value="reviewer@state.example"`)

	director := e.msgSignedIn(t, "director@state.example")
	if resp, page := postForm(t, director, msg+"/reply", url.Values{"form": {"reply"}, "body": {"Thank you. We will **reconsider**."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", resp.StatusCode, page)
	}

	_, page = do(t, drafter, "GET", msg, nil)
	mustContain(t, "the drafter's page after the reply", page, `id="state">replied`, "<strong>reconsider</strong>", "Your receipt", "Who read it")
	_, page = do(t, drafter, "GET", msg+"/receipt", nil)
	mustContain(t, "the receipt page", page, `id="receipt-act">submitted`, "dissent-receipt-v2", "/api/v1/messages/"+id+"/receipt")
	if resp, _ := do(t, drafter, "GET", e.base+"/api/v1/messages/"+id+"/receipt", nil); resp.StatusCode != 200 {
		t.Errorf("the receipt's JSON with the session: %d", resp.StatusCode)
	}
	_, page = do(t, drafter, "GET", msg+"/print", nil)
	mustContain(t, "the print view", page, `class="watermark"`, "Name of drafter@state.example &lt;drafter@state.example&gt;", "2023-11-03")
	_, page = do(t, drafter, "GET", msg+"/access-log", nil)
	mustContain(t, "the access log", page, "officer", "director", "a printout")
}

// TestEditorRefusedKeepsInput: a refused draft comes back with everything
// typed and the error, naming the limit, beside the field.
func TestEditorRefusedKeepsInput(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := e.msgSignedIn(t, "drafter@state.example")
	body := "A long body that must survive <b>intact</b>."
	resp, page := postForm(t, c, e.base+"/messages", url.Values{"title": {strings.Repeat("t", 201)}, "summary": {"S"}, "body": {body}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("title of 201 characters: %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refused editor", page, `id="title-err"`, "at most 200", `aria-invalid="true"`, "A long body that must survive &lt;b&gt;intact&lt;/b&gt;.", strings.Repeat("t", 201))
	// Invalid UTF-8 and control characters are refused by field.
	for _, bad := range []struct{ field, value, want string }{
		{"title", "bad \xff byte", "not valid UTF-8"},
		{"title", "bell \a", "control character"},
		{"body", "nul \x00 byte", "control character"},
	} {
		v := url.Values{"title": {"T"}, "body": {"B"}}
		v.Set(bad.field, bad.value)
		resp, page := postForm(t, c, e.base+"/messages", v)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s = %q: %d; want 400", bad.field, bad.value, resp.StatusCode)
		}
		mustContain(t, "the editor refusing "+bad.field, page, `id="`+bad.field+`-err"`, bad.want)
	}
	// Preview saves nothing and shows sanitized Markdown.
	resp, page = postForm(t, c, e.base+"/messages", url.Values{"title": {"T"}, "body": {"*x* <img src=x onerror=alert(1)>"}, "action": {"preview"}})
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	mustContain(t, "the preview", page, "<em>x</em>", `id="preview"`)
	if strings.Contains(page, "<img") {
		t.Error("the preview renders an image tag")
	}
	if _, list := do(t, c, "GET", e.base+"/messages", nil); strings.Contains(list, "/messages/new\"") && strings.Count(list, "<tbody>") > 0 {
		t.Errorf("preview saved a draft:\n%s", list)
	}
}

// TestMessagePagesRefuse: cross-origin posts, oversized bodies, someone
// else's message, a stale content hash, an ended session.
func TestMessagePagesRefuse(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	drafter := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, drafter, "Title", "Body")
	msg := e.base + "/messages/" + id

	t.Run("cross-origin", func(t *testing.T) {
		body, k, v := form(url.Values{"title": {"x"}, "body": {"y"}})
		resp, _ := do(t, drafter, "POST", msg+"/edit", body, k, v, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site edit: %d; want 403", resp.StatusCode)
		}
		_, page := do(t, drafter, "GET", msg, nil)
		mustContain(t, "the page after a cross-site edit", page, `id="version">1<`)
	})
	t.Run("oversized", func(t *testing.T) {
		resp, page := postForm(t, drafter, e.base+"/messages", url.Values{"title": {"T"}, "body": {strings.Repeat("x", 5<<20)}})
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a 5 MiB form: %d; want 413", resp.StatusCode)
		}
		mustContain(t, "the refused large form", page, "at most")
	})
	t.Run("someone else's message", func(t *testing.T) {
		other := e.msgSignedIn(t, "outsider@state.example")
		for _, p := range []string{"", "/edit", "/sign", "/submit", "/receipt", "/access-log", "/print", "/versions"} {
			if resp, page := do(t, other, "GET", msg+p, nil); resp.StatusCode != http.StatusNotFound || strings.Contains(page, "Body") {
				t.Errorf("outsider GET %s: %d; want 404", p, resp.StatusCode)
			}
		}
		for _, p := range []string{"/edit", "/invite", "/sign", "/submit", "/withdraw", "/acknowledge"} {
			resp, _ := postForm(t, other, msg+p, url.Values{"title": {"pwned"}, "body": {"x"}, "emails": {"outsider@state.example"}, "content_hash": {strings.Repeat("a", 64)}, "confirm": {"1"}})
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("outsider POST %s: %d; want 404", p, resp.StatusCode)
			}
		}
		if resp, _ := do(t, other, "GET", e.base+"/messages/not-an-id", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("malformed id: %d; want 404", resp.StatusCode)
		}
	})
	t.Run("stale hash", func(t *testing.T) {
		postForm(t, drafter, msg+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0001@state.example"}})
		signer := e.msgSignedIn(t, "signer0001@state.example")
		_, page := do(t, signer, "GET", msg+"/sign", nil)
		old := pageHash(t, page)
		if resp, _ := postForm(t, drafter, msg+"/edit", url.Values{"title": {"Title"}, "body": {"Body, changed"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d", resp.StatusCode)
		}
		resp, page := postForm(t, signer, msg+"/sign", url.Values{"content_hash": {old}})
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("signing a stale hash: %d; want 409", resp.StatusCode)
		}
		mustContain(t, "the stale signing page", page, "The text changed after you opened this page", "Body, changed", `id="stale"`)
		if got := pageHash(t, page); got == old {
			t.Error("the form offers the stale hash again")
		}
	})
	t.Run("session ended", func(t *testing.T) {
		resp, page := postForm(t, browser(t), e.base+"/messages", url.Values{"title": {"Kept title"}, "body": {"Kept body"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("save without a session: %d; want 401", resp.StatusCode)
		}
		mustContain(t, "the editor after the session ended", page, "Kept title", "Kept body", "session has ended")
	})
	t.Run("autosave", func(t *testing.T) {
		c := e.msgSignedIn(t, "drafter@state.example")
		id2 := e.msgCreate(t, c, "Autosaved", "v1")
		resp, _ := postForm(t, c, e.base+"/messages/"+id2+"/autosave", url.Values{"title": {"Autosaved"}, "body": {"v2"}})
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("autosave a draft: %d; want 204", resp.StatusCode)
		}
		resp, body := postForm(t, c, e.base+"/messages/"+id2+"/autosave", url.Values{"title": {strings.Repeat("t", 201)}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"field":"title"`) {
			t.Errorf("autosave a long title: %d %s; want 400 on title", resp.StatusCode, body)
		}
		resp, _ = postForm(t, c, msg+"/autosave", url.Values{"title": {"Title"}, "body": {"x"}})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("autosave a circulating message: %d; want 409", resp.StatusCode)
		}
		if resp, _ := postForm(t, browser(t), e.base+"/messages/"+id2+"/autosave", url.Values{"title": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("autosave without a session: %d; want 401", resp.StatusCode)
		}
	})
}

// TestCasePageRoles: each role sees the forms its policy allows and no
// more; the reviewer reads without names; the monitor without text; the
// auditor's break-glass read is refused without a reason, and shown to the
// authors when given one.
func TestCasePageRoles(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	drafter := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, drafter, "Title of the dissent", "Body of the dissent")
	msg := e.base + "/messages/" + id
	_, page := do(t, drafter, "GET", msg+"/submit", nil)
	if resp, page := postForm(t, drafter, msg+"/submit", url.Values{"content_hash": {pageHash(t, page)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, page)
	}
	officer := e.msgSignedIn(t, "officer@state.example")
	for _, step := range []struct {
		path string
		v    url.Values
	}{
		{"/acknowledge", url.Values{"form": {"acknowledge"}}},
		{"/consult", url.Values{"form": {"consult"}, "email": {"reviewer@state.example"}, "due": {"2023-11-20"}}},
		{"/distribute", url.Values{"form": {"distribute"}, "emails": {"principal@state.example"}}},
	} {
		if resp, page := postForm(t, officer, msg+step.path, step.v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("officer %s: %d\n%s", step.path, resp.StatusCode, page)
		}
	}
	tests := []struct {
		who       string
		want, not []string
	}{
		{"officer@state.example", []string{"Assign an officer", "Consult a reviewer", "Draft a reply for the director", "Redirect to another channel", "Show the signers"},
			[]string{"Extend the reply deadline", "Break-glass", "Invite co-signers"}},
		{"director@state.example", []string{"Extend the reply deadline", "Send the reply"}, []string{"Break-glass"}},
		{"reviewer@state.example", []string{"Body of the dissent", "Give your input"}, []string{"Name of drafter", "Signers", "acknowledge-button"}},
		{"principal@state.example", []string{"Body of the dissent", "Ask for a meeting", "Show the signers"}, []string{"Assign an officer", "Give your input"}},
		{"monitor@state.example", []string{"Nothing for you to do", `id="no-text"`}, []string{"Body of the dissent", "Title of the dissent"}},
		{"auditor@state.example", []string{"Break-glass read", `id="no-text"`}, []string{"Body of the dissent"}},
		{"supervisor@state.example", nil, nil}, // in the drafter's chain, and no office role: 404
	}
	for _, tt := range tests {
		c := e.msgSignedIn(t, tt.who)
		resp, page := do(t, c, "GET", msg, nil)
		if tt.want == nil {
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d; want 404", tt.who, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", tt.who, resp.StatusCode)
		}
		mustContain(t, tt.who+"'s case page", page, tt.want...)
		for _, n := range tt.not {
			if strings.Contains(page, n) {
				t.Errorf("%s's case page contains %q", tt.who, n)
			}
		}
	}
	// The principal asks for names: shown, and the read is recorded.
	principal := e.msgSignedIn(t, "principal@state.example")
	_, page = do(t, principal, "GET", msg+"?names=1", nil)
	mustContain(t, "the principal's names", page, "Name of drafter@state.example", `id="signer-table"`)

	auditor := e.msgSignedIn(t, "auditor@state.example")
	resp, page := postForm(t, auditor, msg+"/break-glass", url.Values{"form": {"break_glass"}, "reason": {""}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("break-glass without a reason: %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refused break-glass", page, `id="break_glass-reason-err"`, " open>")
	resp, page = postForm(t, auditor, msg+"/break-glass", url.Values{"form": {"break_glass"}, "reason": {"IG case 42"}})
	if resp.StatusCode != 200 {
		t.Fatalf("break-glass: %d", resp.StatusCode)
	}
	mustContain(t, "the break-glass page", page, "Body of the dissent", "Name of drafter@state.example", `id="break-glass-note"`)
	_, page = do(t, drafter, "GET", msg+"/access-log", nil)
	mustContain(t, "the drafter's access log", page, "break-glass (auditor)", "the signers' names", "reviewer", "Name of principal@state.example")
}

// TestCaseReplyApprovalAndExtension: an officer's reply waits for the
// director, who approves it; the extension's reason and the redirect's
// channel reach the authors; refused forms name the field and the limit.
func TestCaseReplyApprovalAndExtension(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	drafter := e.msgSignedIn(t, "drafter@state.example")
	officer := e.msgSignedIn(t, "officer@state.example")
	director := e.msgSignedIn(t, "director@state.example")
	submit := func(title string) string {
		id := e.msgCreate(t, drafter, title, "Body")
		_, page := do(t, drafter, "GET", e.base+"/messages/"+id+"/submit", nil)
		if resp, _ := postForm(t, drafter, e.base+"/messages/"+id+"/submit", url.Values{"content_hash": {pageHash(t, page)}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit: %d", resp.StatusCode)
		}
		return e.base + "/messages/" + id
	}
	msg := submit("One")
	postForm(t, officer, msg+"/acknowledge", url.Values{"form": {"acknowledge"}})
	if resp, _ := postForm(t, officer, msg+"/reply", url.Values{"form": {"reply"}, "body": {"Officer's draft reply."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("officer's reply: %d", resp.StatusCode)
	}
	if _, page := do(t, drafter, "GET", msg, nil); strings.Contains(page, "Officer's draft reply") {
		t.Error("the authors see a reply before the director approves it")
	}
	resp, page := postForm(t, director, msg+"/extend", url.Values{"form": {"extend"}, "working_days": {"61"}, "reason": {"Interagency review."}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("extend to 61 days: %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refused extension", page, `id="extend-working_days-err"`, "60", "Interagency review.")
	if resp, _ := postForm(t, director, msg+"/extend", url.Values{"form": {"extend"}, "working_days": {"45"}, "reason": {"Interagency review."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("extend: %d", resp.StatusCode)
	}
	_, page = do(t, director, "GET", msg, nil)
	m := regexp.MustCompile(`action="(/messages/[0-9a-f]{32}/replies/\d+/approve)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the director's page has no approve form:\n%s", page)
	}
	if resp, _ := postForm(t, director, e.base+m[1], url.Values{"form": {"approve"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	_, page = do(t, drafter, "GET", msg, nil)
	mustContain(t, "the drafter's page", page, "Officer&#39;s draft reply.", "Interagency review.", "(45 working days)", `id="state">replied`)

	other := submit("Two")
	resp, page = postForm(t, officer, other+"/redirect", url.Values{"form": {"redirect"}, "channel": {strings.Repeat("c", 201)}, "reason": {"Personnel matter."}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("redirect with a 201-character channel: %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refused redirect", page, `id="redirect-channel-err"`, "at most 200")
	if resp, _ := postForm(t, officer, other+"/redirect", url.Values{"form": {"redirect"}, "channel": {"Office of Civil Rights"}, "reason": {"Personnel matter."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("redirect: %d", resp.StatusCode)
	}
	_, page = do(t, drafter, "GET", other, nil)
	mustContain(t, "the redirected message", page, "Office of Civil Rights", "Personnel matter.", `id="state">redirected`)
}

var (
	handlerAttr = regexp.MustCompile(`<[a-zA-Z][^>]*\son[a-z]+\s*=`)
	quotedAttr  = regexp.MustCompile(`"[^"]*"`)
)

// TestMessagePagesEscape: hostile text in every field comes out inert on
// every page that shows it.
func TestMessagePagesEscape(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := e.msgSignedIn(t, "drafter@state.example")
	title := `<img src=x onerror=alert(1)>"'`
	resp, page := postForm(t, c, e.base+"/messages", url.Values{"title": {title}, "summary": {"<script>alert(2)</script>"},
		"body": {"[click](javascript:alert(3)) <iframe src=//evil.example></iframe> ![i](https://evil.example/t.png)\n\n<script>alert(4)</script>"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(resp.Header.Get("Location"), "/messages/"), "?")
	postForm(t, c, e.base+"/messages/"+id+"/edit", url.Values{"title": {title + " v2"}, "body": {"<b onmouseover=alert(5)>x</b>"}})
	for _, p := range []string{"/messages", "/messages/" + id, "/messages/" + id + "/edit", "/messages/" + id + "/print", "/messages/" + id + "/versions?from=1&to=2", "/messages/" + id + "/submit"} {
		resp, page := do(t, c, "GET", e.base+p, nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
			continue
		}
		for _, bad := range []string{"<img", "<script>alert", `href="javascript:`, "<iframe"} {
			if strings.Contains(page, bad) {
				t.Errorf("GET %s contains %q", p, bad)
			}
		}
		// Quoted attribute values are text; look for handlers outside them.
		if m := handlerAttr.FindString(quotedAttr.ReplaceAllString(page, `""`)); m != "" {
			t.Errorf("GET %s has an event handler in a tag: %q", p, m)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
	}
}

var joinLink = regexp.MustCompile(`/join/(dsi_[A-Za-z0-9_-]{43})`)

// TestInviteLinkPages: the drafter makes a link on the case page; another
// employee opens it, joins, and lands on the co-signing page; a forged link
// and a revoked one say the link is not valid and change nothing.
func TestInviteLinkPages(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	drafter := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, drafter, "Shared by link", "Read and sign.")
	_, casePage := do(t, drafter, "GET", e.base+"/messages/"+id, nil)
	mustContain(t, "the case page", casePage, `action="/messages/`+id+`/invite-link"`)

	resp, page := postForm(t, drafter, e.base+"/messages/"+id+"/invite-link", url.Values{"form": {"invite_link"}})
	m := joinLink.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("make a link: %d, link found %v\n%s", resp.StatusCode, m != nil, page)
	}
	secret := m[1]

	joiner := e.msgSignedIn(t, "signer0001@state.example")
	if resp, _ := do(t, joiner, "GET", e.base+"/messages/"+id, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the case page before joining: %d; want 404", resp.StatusCode)
	}
	resp, page = do(t, joiner, "GET", e.base+"/join/"+secret, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="join-button"`) {
		t.Fatalf("the join page: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = postForm(t, joiner, e.base+"/join/"+secret, url.Values{})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/messages/"+id+"/sign") {
		t.Fatalf("join: %d → %q; want the co-signing page", resp.StatusCode, loc)
	}
	_, page = do(t, joiner, "GET", e.base+"/messages/"+id+"/sign", nil)
	mustContain(t, "the co-signing page after joining", page, "Shared by link", pageHash(t, page))

	resp, page = postForm(t, joiner, e.base+"/join/dsi_"+strings.Repeat("A", 43), url.Values{})
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "not valid") {
		t.Errorf("a forged link: %d; want 404 saying the link is not valid", resp.StatusCode)
	}
	if resp, _ := postForm(t, drafter, e.base+"/messages/"+id+"/invite-link/revoke", url.Values{"form": {"invite_link"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	other := e.msgSignedIn(t, "outsider@state.example")
	if resp, _ := postForm(t, other, e.base+"/join/"+secret, url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a revoked link: %d; want 404", resp.StatusCode)
	}
	if resp, _ := do(t, other, "GET", e.base+"/messages/"+id, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the case page after a revoked join: %d; want 404", resp.StatusCode)
	}
}

// TestAdminFormOversized: the administrator's forms read bodies as every
// other page does: an oversized one is 413 naming the limit, and adds nothing.
func TestAdminFormOversized(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	admin := e.msgSignedIn(t, "admin@state.example")
	resp, page := postForm(t, admin, e.base+"/admin/orgs", url.Values{"id": {"big"}, "name": {strings.Repeat("x", 5<<20)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 5 MiB admin form: %d; want 413", resp.StatusCode)
	}
	mustContain(t, "the refused admin form", page, "at most")
	if _, page := do(t, admin, "GET", e.base+"/admin/orgs", nil); strings.Contains(page, ">big<") {
		t.Error("the oversized form added an organization")
	}
}
