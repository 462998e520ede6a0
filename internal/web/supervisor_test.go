package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestSupervisorSeesNoWithheldSigner plays a principal in a signer's
// management chain (issue 11, part 4): the message was distributed to them,
// so they read its signers, and they must learn the names they may see and
// a total, nothing per withheld signer: no row, no time, no organization, no
// place in the order, in the API or on the page.
func TestSupervisorSeesNoWithheldSigner(t *testing.T) {
	ctx := context.Background()
	e := newAuthEnv(t, web.Limits{})
	more := e.AddPeople(t,
		servicetest.Person{Email: "chief@state.example", Roles: []dissent.Role{dissent.RolePrincipal}},
		servicetest.Person{Email: "deputy@usaid.example", Org: "usaid", Supervisor: "chief@state.example", Roles: []dissent.Role{dissent.RoleEmployee}})
	d := e.people["drafter@state.example"].Actor
	m, err := e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: "On the war", Summary: "Change course.", Body: "We recommend a ceasefire."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, d, m.ID, []string{"deputy@usaid.example", "signer0001@state.example"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []dissent.Actor{more["deputy@usaid.example"].Actor, e.people["signer0001@state.example"].Actor} {
		if _, err := e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Svc.Submit(ctx, d, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	off := e.people["officer@state.example"].Actor
	if _, err := e.Svc.Acknowledge(ctx, off, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Distribute(ctx, off, m.ID, []string{"chief@state.example"}); err != nil {
		t.Fatal(err)
	}
	// What betrays the deputy: their address, name and organization (the
	// only signer at usaid), and any mark of a withheld row.
	betrays := []string{"deputy", "usaid", "withheld", "Withheld"}

	c := client{t: t, url: e.base}
	tests := []struct {
		who        string
		token      string
		wantNames  int
		wantDeputy bool
	}{
		{"the deputy's supervisor", more["chief@state.example"].Token, 2, false},
		{"an officer outside the chain", e.people["officer@state.example"].Token, 3, true},
	}
	for _, tt := range tests {
		st, body := c.call("GET", "/api/v1/messages/"+string(m.ID)+"/signatures", tt.token, nil)
		raw, _ := json.Marshal(body)
		list, _ := body["signatures"].([]any)
		if st != 200 || body["total"] != 3.0 || len(list) != tt.wantNames {
			t.Errorf("%s: GET signatures = %d %s; want 200, total 3 and %d names", tt.who, st, raw, tt.wantNames)
		}
		for _, b := range betrays {
			if got := strings.Contains(string(raw), b); got != (tt.wantDeputy && b != "withheld" && b != "Withheld") {
				t.Errorf("%s: GET signatures contains %q = %v:\n%s", tt.who, b, got, raw)
			}
		}
	}

	// The page, signed in as the principal.
	b := browser(t)
	e.signInWithLink(t, b, "chief@state.example")
	resp, page := do(t, b, "GET", e.base+"/messages/"+string(m.ID)+"?names=1", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="signer-table"`) || !strings.Contains(page, "3 signatures in all") ||
		!strings.Contains(page, "Name of drafter@state.example") || !strings.Contains(page, "Name of signer0001@state.example") {
		t.Fatalf("the principal's page: %d; want the visible names and 3 signatures in all:\n%s", resp.StatusCode, page)
	}
	for _, bad := range betrays {
		if strings.Contains(page, bad) {
			t.Errorf("the principal's page contains %q", bad)
		}
	}
	if n := strings.Count(page, "<tr>"); n != 1+2 { // the header and the two names
		t.Errorf("the principal's page has %d table rows; want 3 (header and two names)", n)
	}
}

// TestFeedsAreTheOffices: the exposure feeds are managed by the channel
// office on its exposure page; the administrator neither sees nor adds one.
func TestFeedsAreTheOffices(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	tests := []struct {
		who        string
		form       bool
		postStatus int
	}{
		{"officer@state.example", true, 303},
		{"director@state.example", true, 303},
		{"admin@state.example", false, 403},
		{"monitor@state.example", false, 403},
	}
	for i, tt := range tests {
		b := browser(t)
		e.signInWithLink(t, b, tt.who)
		_, page := do(t, b, "GET", e.base+"/exposure", nil)
		if got := strings.Contains(page, `action="/exposure/feeds"`); got != tt.form {
			t.Errorf("%s: the exposure page has the feed form = %v; want %v", tt.who, got, tt.form)
		}
		body, k, v := form(url.Values{"feed_url": {"https://press.example/feed" + strconv.Itoa(i)}})
		resp, _ := do(t, b, "POST", e.base+"/exposure/feeds", body, k, v)
		if resp.StatusCode != tt.postStatus {
			t.Errorf("%s: POST /exposure/feeds = %d; want %d", tt.who, resp.StatusCode, tt.postStatus)
		}
	}
}

// TestRecusalShowsNowhere plays an officer recused from a message because
// the drafter is below them (boss → supervisor → drafter): the message
// answers them as a message that does not exist, their statistics are the
// other officers', and a refusal to assign the message to them is worded
// as any other refusal.
func TestRecusalShowsNowhere(t *testing.T) {
	ctx := context.Background()
	e := newAuthEnv(t, web.Limits{})
	d := e.people["drafter@state.example"].Actor
	m, err := e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: "On the war", Summary: "Change course.", Body: "We recommend a ceasefire."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, d, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	c := client{t: t, url: e.base}
	tok := func(who string) string { return e.people[who].Token }

	// The message, and one that does not exist.
	st1, b1 := c.call("GET", "/api/v1/messages/"+string(m.ID), tok("boss@state.example"), nil)
	st2, b2 := c.call("GET", "/api/v1/messages/0123456789abcdef0123456789abcdef", tok("boss@state.example"), nil)
	e1, _ := b1["error"].(map[string]any)
	e2, _ := b2["error"].(map[string]any)
	if st1 != 404 || st2 != 404 || e1["code"] != e2["code"] || e1["message"] != e2["message"] {
		t.Errorf("the recused officer reads the message: %d %v; a missing one: %d %v; want the same 404", st1, e1, st2, e2)
	}

	// Refusals to assign: the recused officer, the drafter, a person
	// without the role, an unknown address.
	refusal := func(email string) string {
		t.Helper()
		st, b := c.call("POST", "/api/v1/messages/"+string(m.ID)+"/assignments", tok("officer@state.example"), map[string]string{"email": email})
		er, _ := b["error"].(map[string]any)
		msg, _ := er["message"].(string)
		return fmt.Sprintf("%d %v %v %s", st, er["code"], er["field"], strings.ReplaceAll(msg, email, "ADDRESS"))
	}
	want := refusal("nobody@state.example")
	if !strings.HasPrefix(want, "422 not_eligible email") {
		t.Fatalf("assigning an unknown address: %s; want 422 not_eligible on email", want)
	}
	for _, who := range []string{"boss@state.example", "drafter@state.example", "monitor@state.example"} {
		if got := refusal(who); got != want {
			t.Errorf("assigning %s: %s; an unknown address: %s; want the same", who, got, want)
		}
	}

	// The statistics, as the channel office downloads them.
	csv := func(who string) string {
		t.Helper()
		b := browser(t)
		e.signInWithLink(t, b, who)
		resp, body := do(t, b, "GET", e.base+"/statistics.csv", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s GET /statistics.csv = %d", who, resp.StatusCode)
		}
		return body
	}
	if recused, other := csv("boss@state.example"), csv("officer@state.example"); recused != other || !strings.Contains(other, "by_org,state,1,") {
		t.Errorf("statistics of the recused officer:\n%s\nof another officer:\n%s\nwant the same, counting the message", recused, other)
	}
}
