package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestInvitationsAPI: the authors list who is invited and who signed the
// current version; a sealed conditional signature shows as not signed;
// nobody else may list them; pasted lists are read whole, and a list with
// bad entries is refused naming every one of them.
func TestInvitationsAPI(t *testing.T) {
	e, c, p, s := newServer(t, 4)
	ctx := context.Background()
	tok := func(email string) string { return p[email].Token }
	dr := tok("drafter@state.example")
	st, m := c.call("POST", "/api/v1/messages", dr, map[string]string{"title": "T", "body": "B"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, m)
	}
	id, hash := m["id"].(string), m["content_hash"].(string)
	msg := "/api/v1/messages/" + id

	// An Outlook paste, with a comma in a quoted name and a repeat.
	paste := fmt.Sprintf(`Name One <%s>; "Doe, Jane" <%s>, %s`, s[0], s[1], s[0])
	if st, b := c.call("POST", msg+"/invitations", dr, map[string]any{"emails": []string{paste}}); st != 201 || b["invited"] != 2.0 || b["already_invited"] != 0.0 {
		t.Fatalf("invite a pasted list: %d %v; want 2 invited", st, b)
	}
	if st, b := c.call("POST", msg+"/invitations", dr, map[string]any{"emails": []string{s[1] + "\n" + s[2] + "\n" + s[3]}}); st != 201 || b["invited"] != 2.0 || b["already_invited"] != 1.0 {
		t.Errorf("invite again with one known: %d %v; want 2 invited, 1 already", st, b)
	}
	st, b := c.call("POST", msg+"/invitations", dr, map[string]any{"emails": []string{"bad-one; " + s[0] + "; also@bad@; <nope>"}})
	eo, _ := b["error"].(map[string]any)
	if st != 400 || eo == nil || eo["field"] != "emails" {
		t.Fatalf("a list with bad entries: %d %v; want 400 on emails", st, b)
	}
	for _, bad := range []string{`"bad-one"`, `"also@bad@"`, `"<nope>"`} {
		if !strings.Contains(eo["message"].(string), bad) {
			t.Errorf("the refusal %q does not name %s", eo["message"], bad)
		}
	}
	if st, b := c.call("POST", msg+"/invitations", dr, map[string]any{"emails": []string{"nobody1@state.example, nobody2@state.example"}}); st != 422 ||
		!strings.Contains(fmt.Sprint(b), "nobody1@state.example") || !strings.Contains(fmt.Sprint(b), "nobody2@state.example") {
		t.Errorf("two unknown addresses: %d %v; want 422 naming both", st, b)
	}

	// s[0] signs; s[1] signs on a condition that is never met (sealed).
	if st, b := c.call("POST", msg+"/signatures", tok(s[0]), map[string]any{"content_hash": hash}); st != 201 {
		t.Fatalf("sign: %d %v", st, b)
	}
	if st, b := c.call("POST", msg+"/signatures", tok(s[1]), map[string]any{"content_hash": hash, "min_cosigners": 50}); st != 201 {
		t.Fatalf("sign on condition: %d %v", st, b)
	}
	st, b = c.call("GET", msg+"/invitations", dr, nil)
	if st != 200 || b["invited"] != 4.0 || b["signed"] != 1.0 {
		t.Fatalf("list: %d %v; want 4 invited, 1 signed", st, b)
	}
	signed := map[string]bool{}
	for _, x := range b["invitations"].([]any) {
		row := x.(map[string]any)
		for _, k := range []string{"email", "name", "org", "invited_at", "signed"} {
			if _, ok := row[k]; !ok {
				t.Errorf("invitation %v lacks %q", row, k)
			}
		}
		signed[row["email"].(string)] = row["signed"].(bool)
	}
	if !signed[s[0]] || signed[s[1]] || signed[s[2]] {
		t.Errorf("signed = %v; want only %s (the sealed conditional signer shows as not signed)", signed, s[0])
	}
	// Only the authors.
	for who, want := range map[string]int{s[0]: 403, "officer@state.example": 404, "outsider@state.example": 404} {
		if st, _ := c.call("GET", msg+"/invitations", tok(who), nil); st != want {
			t.Errorf("GET invitations as %s = %d; want %d", who, st, want)
		}
	}
	if st, _ := c.call("GET", msg+"/invitations", "", nil); st != 401 {
		t.Errorf("GET invitations signed out = %d; want 401", st)
	}

	// The reminder: to the three who have not signed (visibly), once a day.
	if st, b := c.call("POST", msg+"/reminders", dr, nil); st != 201 || b["reminded"] != 3.0 {
		t.Errorf("remind: %d %v; want 3 reminded", st, b)
	}
	if st, b := c.call("POST", msg+"/reminders", dr, nil); st != 429 {
		t.Errorf("remind again at once: %d %v; want 429", st, b)
	}
	if st, _ := c.call("POST", msg+"/reminders", tok(s[0]), nil); st != 403 {
		t.Errorf("remind as a signer: %d; want 403", st)
	}
	e.Clock.Set(e.Clock.Now().Add(dissent.SignReminderEvery))
	if st, b := c.call("POST", msg+"/reminders", dr, nil); st != 201 {
		t.Errorf("remind a day later: %d %v", st, b)
	}
	ns, _, err := e.Svc.Notifications(ctx, p[s[2]].Actor)
	if err != nil || len(ns) != 3 || ns[0].Kind != dissent.NoteSignReminder {
		t.Errorf("the invitee's notifications = %+v, %v; want invited and two reminders", ns, err)
	}
}

// TestNotificationsAPI: a person lists their own notifications and marks
// one read; another's id, or a malformed one, is refused.
func TestNotificationsAPI(t *testing.T) {
	e, c, p, s := newServer(t, 2)
	ctx := context.Background()
	dr := p["drafter@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "TITLE-MARKER", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, dr.Actor, m.ID, s); err != nil {
		t.Fatal(err)
	}
	st, b := c.call("GET", "/api/v1/notifications", p[s[0]].Token, nil)
	if st != 200 {
		t.Fatalf("GET notifications: %d %v", st, b)
	}
	list := b["notifications"].([]any)
	if len(list) != 1 {
		t.Fatalf("notifications = %v; want one", list)
	}
	n := list[0].(map[string]any)
	for _, k := range []string{"id", "kind", "message", "at", "read"} {
		if _, ok := n[k]; !ok {
			t.Errorf("notification %v lacks %q", n, k)
		}
	}
	if n["kind"] != dissent.NoteInvited || n["read"] != false || strings.Contains(fmt.Sprint(n), "MARKER") {
		t.Errorf("notification = %v", n)
	}
	nid := fmt.Sprint(int64(n["id"].(float64)))
	if st, _ := c.call("POST", "/api/v1/notifications/"+nid+"/read", p[s[1]].Token, nil); st != 404 {
		t.Errorf("marking another's notification read = %d; want 404", st)
	}
	if st, _ := c.call("POST", "/api/v1/notifications/x1/read", p[s[0]].Token, nil); st != 400 {
		t.Errorf("a malformed id = %d; want 400", st)
	}
	if st, _ := c.call("POST", "/api/v1/notifications/"+nid+"/read", p[s[0]].Token, nil); st != 204 {
		t.Errorf("mark read = %d; want 204", st)
	}
	if _, b := c.call("GET", "/api/v1/notifications", p[s[0]].Token, nil); b["unread"] != 0.0 || b["notifications"].([]any)[0].(map[string]any)["read"] != true {
		t.Errorf("after marking read: %v", b)
	}
	if st, _ := c.call("GET", "/api/v1/notifications", "", nil); st != 401 {
		t.Errorf("signed out = %d; want 401", st)
	}
}

// TestConsultationDueOneZone: a consultation due Friday 17 November is
// Friday 17 November to the office (page and API) and to the reviewer.
func TestConsultationDueOneZone(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr, off, rev := e.people["drafter@state.example"], e.people["officer@state.example"], e.people["reviewer@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "T", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Consult(ctx, off.Actor, m.ID, rev.Email, "2023-11-17"); err != nil {
		t.Fatal(err)
	}
	_, page := do(t, e.msgSignedIn(t, "officer@state.example"), "GET", e.base+"/messages/"+string(m.ID), nil)
	mustContain(t, "the office's case page", page, "Fri 17 Nov 2023")
	if strings.Contains(page, "Sat 18 Nov") {
		t.Errorf("the office sees the due date as Saturday 18")
	}
	_, page = do(t, e.msgSignedIn(t, "reviewer@state.example"), "GET", e.base+"/consultations", nil)
	mustContain(t, "the reviewer's consultations", page, "Fri 17 Nov 2023")
	v, err := e.Svc.GetMessage(ctx, off.Actor, m.ID)
	if err != nil || len(v.Consultations) != 1 || v.Consultations[0].Due.Format("2006-01-02") != "2023-11-17" {
		t.Errorf("the API's due date comes from %+v, %v; want 2023-11-17", v.Consultations, err)
	}
}

// TestPastedInviteForm: the invite form takes an Outlook paste; a list with
// bad entries comes back naming each, with the good ones kept in the box.
func TestPastedInviteForm(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	c := e.msgSignedIn(t, "drafter@state.example")
	id := e.msgCreate(t, c, "Title", "Body.")
	resp, page := postForm(t, c, e.base+"/messages/"+id+"/invite", url.Values{"form": {"invite"},
		"emails": {"Name <signer0001@state.example>; junk; signer0000@usaid.example\nmore junk@"}})
	if resp.StatusCode != 400 {
		t.Fatalf("a list with bad entries = %d; want 400", resp.StatusCode)
	}
	mustContain(t, "the refusal", page, "&#34;junk&#34;", "&#34;more&#34;", "&#34;junk@&#34;")
	box := regexp.MustCompile(`(?s)<textarea id="invite-emails"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if box == nil || box[1] != "signer0001@state.example\nsigner0000@usaid.example" {
		t.Errorf("the box keeps %q; want the two good addresses", box)
	}
	resp, _ = postForm(t, c, e.base+"/messages/"+id+"/invite", url.Values{"form": {"invite"}, "emails": {"Name <signer0001@state.example>; signer0000@usaid.example"}})
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "done=invited_n") || !strings.Contains(loc, "n=2") || !strings.Contains(loc, "k=0") {
		t.Fatalf("invite = %d %s", resp.StatusCode, loc)
	}
	resp, _ = postForm(t, c, e.base+"/messages/"+id+"/invite", url.Values{"form": {"invite"}, "emails": {"signer0001@state.example"}})
	_, page = do(t, c, "GET", e.base+resp.Header.Get("Location"), nil)
	mustContain(t, "the page after inviting again", page, "Invitations sent: 0 (1 already invited).", "0 of 2 signed")
	// A count that is not a small number shows no notice at all.
	_, page = do(t, c, "GET", e.base+"/messages/"+id+"?done=invited_n&n=%3Cb%3E&k=1", nil)
	if strings.Contains(page, "Invitations sent") {
		t.Errorf("a notice shows a count that is not a number")
	}
}

var _ = servicetest.SeedTime
var _ = http.StatusOK

// TestLandingByRole: a sign-in lands each role on where its work starts
// (never on the account settings), and offers a passkey to whoever has
// none; "/" sends there too.
func TestLandingByRole(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	for email, want := range map[string]string{
		"drafter@state.example":   "/messages",
		"officer@state.example":   "/inbox",
		"director@state.example":  "/inbox",
		"boss@state.example":      "/inbox", // an employee and an officer: the office's work first
		"reviewer@state.example":  "/consultations",
		"principal@state.example": "/distributed",
		"auditor@state.example":   "/audit",
		"admin@state.example":     "/admin",
		"monitor@state.example":   "/timeliness",
	} {
		c := browser(t)
		resp := e.signInWithLink(t, c, email)
		if loc := resp.Header.Get("Location"); loc != want+"?done=welcome_passkey" {
			t.Errorf("%s signs in to %q; want %s with the passkey offer", email, loc, want)
			continue
		}
		if resp, _ := do(t, c, "GET", e.base+"/", nil); resp.Header.Get("Location") != want {
			t.Errorf("GET / as %s goes to %q; want %s", email, resp.Header.Get("Location"), want)
		}
		_, page := do(t, c, "GET", e.base+want+"?done=welcome_passkey", nil)
		mustContain(t, email+"'s landing page", page, "You have no passkey yet")
	}
}

// TestReplyAwaitingApproval: an officer's reply awaiting approval is
// told to the director and flagged in the director's inbox, not in the
// officer's.
func TestReplyAwaitingApproval(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr, off, dir := e.people["drafter@state.example"], e.people["officer@state.example"], e.people["director@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "T", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Acknowledge(ctx, off.Actor, m.ID); err != nil {
		t.Fatal(err)
	}
	_, page := do(t, e.msgSignedIn(t, dir.Email), "GET", e.base+"/inbox", nil)
	if strings.Contains(page, "reply awaits your approval") {
		t.Fatalf("the director's inbox flags a reply before there is one")
	}
	if _, _, err := e.Svc.Reply(ctx, off.Actor, m.ID, "Draft answer."); err != nil {
		t.Fatal(err)
	}
	_, page = do(t, e.msgSignedIn(t, dir.Email), "GET", e.base+"/inbox", nil)
	mustContain(t, "the director's inbox", page, "reply awaits your approval")
	_, page = do(t, e.msgSignedIn(t, off.Email), "GET", e.base+"/inbox", nil)
	if strings.Contains(page, "reply awaits your approval") {
		t.Errorf("the officer's inbox flags the reply for approval")
	}
	ns, _, err := e.Svc.Notifications(ctx, dir.Actor)
	if err != nil || len(ns) == 0 || ns[0].Kind != dissent.NoteReplyPending {
		t.Errorf("the director's notifications = %+v, %v; want reply.pending first", ns, err)
	}
}

// TestCasePageWhoAndWhen: the office's case page says who the message is
// assigned to, distributed to and consulted, and its history, all times in
// the office's zone; the drafter sees the history without the office's
// people; a reviewer sees neither.
func TestCasePageWhoAndWhen(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr, off, rev, pr := e.people["drafter@state.example"], e.people["officer@state.example"], e.people["reviewer@state.example"], e.people["principal@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "T", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Assign(ctx, off.Actor, m.ID, "officer2@state.example"); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Distribute(ctx, off.Actor, m.ID, []string{pr.Email}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Consult(ctx, off.Actor, m.ID, rev.Email, "2023-11-17"); err != nil {
		t.Fatal(err)
	}
	path := e.base + "/messages/" + string(m.ID)
	_, page := do(t, e.msgSignedIn(t, off.Email), "GET", path, nil)
	mustContain(t, "the office's case page", page,
		`id="assigned-to">Name of officer2@state.example`, `id="distributed-to">Name of principal@state.example`,
		`id="consulted">Name of reviewer@state.example`,
		"Fri 3 Nov 2023 10:00 EDT", // submitted at 14:00 UTC, in Washington
		"Submitted to the channel office", "Distributed to principals", "A reviewer was consulted")
	_, page = do(t, e.msgSignedIn(t, dr.Email), "GET", path, nil)
	mustContain(t, "the drafter's case page", page, `id="history"`, "Submitted to the channel office", "Fri 3 Nov 2023 10:00 EDT")
	if strings.Contains(page, `id="assigned-to"`) || strings.Contains(page, "Name of reviewer") {
		t.Errorf("the drafter sees the office's people")
	}
	_, page = do(t, e.msgSignedIn(t, rev.Email), "GET", path, nil)
	if strings.Contains(page, `id="history"`) || strings.Contains(page, `id="assigned-to"`) {
		t.Errorf("the reviewer sees the history or the office's people")
	}
}

// TestPrintableMemo: the print view carries the text, the signature block
// (the names the reader may see, and the total), the dates in the office's
// zone, and the watermark.
func TestPrintableMemo(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr, s1, off := e.people["drafter@state.example"], e.people["signer0001@state.example"], e.people["officer@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "Memo title", Body: "Memo body."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, dr.Actor, m.ID, []string{s1.Email}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Sign(ctx, s1.Actor, m.ID, m.ContentHash, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Acknowledge(ctx, off.Actor, m.ID); err != nil {
		t.Fatal(err)
	}
	_, page := do(t, e.msgSignedIn(t, off.Email), "GET", e.base+"/messages/"+string(m.ID)+"/print", nil)
	mustContain(t, "the printed memo", page, "Memo title", "Memo body.", `id="watermark"`, "Name of officer@state.example",
		`id="signature-block"`, "Name of drafter@state.example", "Name of signer0001@state.example", "2 signatures in all",
		"Submitted</dt><dd>Fri 3 Nov 2023 10:00 EDT", "Acknowledged</dt>")
}

// TestInboxCSV: the office exports its list as filtered, every page of
// it, without titles; others may not.
func TestInboxCSV(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr := e.people["drafter@state.example"]
	var ids []string
	for i := range dissent.InboxPageSize + 3 {
		m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: fmt.Sprintf("TITLE-MARKER %d", i), Body: "B"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Submit(ctx, dr.Actor, m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(m.ID))
	}
	off := e.msgSignedIn(t, "officer@state.example")
	_, page := do(t, off, "GET", e.base+"/inbox?org=state", nil)
	mustContain(t, "the inbox", page, `href="/inbox.csv?org=state`)
	resp, body := do(t, off, "GET", e.base+"/inbox.csv?org=state", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET /inbox.csv = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != len(ids)+1 || !strings.HasPrefix(lines[0], "id,state,org,signatures") {
		t.Errorf("the export has %d lines (header %q); want a header and %d messages", len(lines), lines[0], len(ids))
	}
	for _, id := range ids {
		if !strings.Contains(body, id+",submitted,state,1,") {
			t.Errorf("the export lacks message %s", id)
		}
	}
	if strings.Contains(body, "MARKER") {
		t.Errorf("the export holds titles")
	}
	if resp, _ := do(t, e.msgSignedIn(t, "drafter@state.example"), "GET", e.base+"/inbox.csv", nil); resp.StatusCode == 200 {
		t.Errorf("an employee may export the inbox")
	}
}
