package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

type client struct {
	t   *testing.T
	url string
}

// call sends a JSON request and returns the status and the decoded body.
func (c client) call(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		case []byte:
			rd = bytes.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: response is not JSON: %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func newServer(t *testing.T, signers int) (*servicetest.Env, client, map[string]servicetest.Actor, []string) {
	t.Helper()
	e := servicetest.New(t)
	people, s := e.Cast(t, signers)
	srv := httptest.NewServer(web.New(e.Svc, web.Options{Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return e, client{t: t, url: srv.URL}, people, s
}

// TestSeedStory tells the seed case through the HTTP API: a junior officer
// drafts, 99 colleagues in two organizations sign at once, the message is
// submitted on Friday 3 November 2023 and answered on the extended deadline;
// every illegal step along the way is refused and changes nothing.
func TestSeedStory(t *testing.T) {
	_, c, p, signers := newServer(t, 99)
	tok := func(email string) string { return p[email].Token }
	drafter := tok("drafter@state.example")

	st, m := c.call("POST", "/api/v1/messages", drafter, map[string]string{"title": "Reassessing our posture", "summary": "We urge a change of course.", "body": "We recommend a ceasefire."})
	if st != 201 || m["state"] != "draft" || m["signature_count"] != 1.0 {
		t.Fatalf("create: %d %v", st, m)
	}
	id, hash := m["id"].(string), m["content_hash"].(string)
	msg := "/api/v1/messages/" + id

	snapshot := func() string {
		t.Helper()
		st, m := c.call("GET", msg, drafter, nil)
		if st != 200 {
			t.Fatalf("GET as drafter: %d %v", st, m)
		}
		delete(m, "updated_at")
		b, _ := json.Marshal(m)
		return string(b)
	}
	// illegal checks a refused step: the status and an unchanged message.
	illegal := func(what, method, path, token string, body any, want ...int) {
		t.Helper()
		before := snapshot()
		st, e := c.call(method, path, token, body)
		ok := false
		for _, w := range want {
			ok = ok || st == w
		}
		if !ok {
			t.Errorf("%s: HTTP %d %v; want %v", what, st, e, want)
		}
		if e["error"] == nil {
			t.Errorf("%s: no error object in %v", what, e)
		}
		if after := snapshot(); after != before {
			t.Errorf("%s changed the message:\nbefore %s\nafter  %s", what, before, after)
		}
	}

	if st, _ := c.call("POST", msg+"/invitations", drafter, map[string]any{"emails": signers}); st != 201 {
		t.Fatalf("invite 99: %d", st)
	}
	illegal("uninvolved employee reads the draft", "GET", msg, tok("outsider@state.example"), nil, 404)
	illegal("signing a wrong hash", "POST", msg+"/signatures", tok(signers[0]), map[string]any{"content_hash": strings.Repeat("0", 64)}, 409)
	illegal("officer acknowledges a draft", "POST", msg+"/acknowledge", tok("officer@state.example"), nil, 404)

	var wg sync.WaitGroup
	codes := make([]int, len(signers))
	for i, email := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = c.call("POST", msg+"/signatures", tok(email), map[string]any{"content_hash": hash})
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != 201 {
			t.Errorf("signer %d: HTTP %d", i, code)
		}
	}
	illegal("signing twice", "POST", msg+"/signatures", tok(signers[1]), map[string]any{"content_hash": hash}, 409)
	if _, m := c.call("GET", msg, drafter, nil); m["signature_count"] != 100.0 {
		t.Fatalf("signature_count = %v; want 100", m["signature_count"])
	}
	illegal("a co-signer submits", "POST", msg+"/submit", tok(signers[2]), map[string]any{"content_hash": hash}, 403)

	st, m = c.call("POST", msg+"/submit", drafter, map[string]any{"content_hash": hash})
	if st != 200 || m["state"] != "submitted" || m["acknowledge_by"] != "2023-11-07" || m["reply_by"] != "2023-12-19" || m["signature_count"] != 100.0 {
		t.Fatalf("submit: %d %v", st, m)
	}
	illegal("editing after submission", "PUT", msg, drafter, map[string]string{"title": "changed", "summary": "", "body": "changed"}, 409)
	illegal("withdrawing a signature after submission", "DELETE", msg+"/signatures/me", tok(signers[3]), nil, 409)
	illegal("an employee acknowledges", "POST", msg+"/acknowledge", tok(signers[4]), nil, 403)
	illegal("the administrator reads", "GET", msg, tok("admin@state.example"), nil, 404)
	illegal("the supervisor of a signer (an officer) reads", "GET", msg, tok("boss@state.example"), nil, 404)

	if st, m := c.call("GET", msg, tok("officer@state.example"), nil); st != 200 || m["body"] != "We recommend a ceasefire." {
		t.Fatalf("the officer reads: %d %v", st, m)
	}
	if st, _ := c.call("POST", msg+"/acknowledge", tok("officer@state.example"), nil); st != 200 {
		t.Fatalf("acknowledge: %d", st)
	}
	illegal("extending beyond 60 working days", "POST", msg+"/extend", tok("director@state.example"), map[string]any{"working_days": 61, "reason": "x"}, 400)
	illegal("an officer extends", "POST", msg+"/extend", tok("officer@state.example"), map[string]any{"working_days": 60, "reason": "x"}, 403)
	st, m = c.call("POST", msg+"/extend", tok("director@state.example"), map[string]any{"working_days": 60, "reason": "Consulting two bureaus."})
	if st != 200 || m["reply_by"] != "2024-02-02" {
		t.Fatalf("extend: %d %v", st, m)
	}
	illegal("the drafter withdraws after acknowledgement", "POST", msg+"/withdraw", drafter, nil, 409)
	if st, _ := c.call("POST", msg+"/replies", tok("director@state.example"), map[string]string{"body": "Thank you; the Secretary has read your message."}); st != 201 {
		t.Fatalf("reply: %d", st)
	}
	_, m = c.call("GET", msg, drafter, nil)
	if m["state"] != "replied" || m["extension_reason"] != "Consulting two bureaus." || len(m["replies"].([]any)) != 1 {
		t.Fatalf("after reply the drafter sees %v", m)
	}
	if st, _ := c.call("POST", msg+"/close", tok("officer@state.example"), nil); st != 200 {
		t.Fatalf("close: %d", st)
	}
	if _, m := c.call("GET", msg, drafter, nil); m["state"] != "closed" || m["closed_at"] == nil {
		t.Fatalf("after close: %v", m)
	}

	// The authors see who read the message.
	st, m = c.call("GET", msg+"/access-log", tok(signers[5]), nil)
	if a, _ := m["access"].([]any); st != 200 || len(a) != 1 || a[0].(map[string]any)["role"] != "officer" || a[0].(map[string]any)["what"] != "text" {
		t.Errorf("access log: %d %v; want the officer's one read of the text", st, m)
	}
	for _, who := range []string{"drafter@state.example", signers[6]} {
		st, r := c.call("GET", msg+"/receipt", tok(who), nil)
		if st != 200 || r["content_hash"] != hash {
			t.Errorf("receipt for %s: %d %v", who, st, r)
		}
	}
}

// TestBadInput: every malformed request is a 4xx naming the field, and
// creates nothing.
func TestBadInput(t *testing.T) {
	_, c, p, _ := newServer(t, 0)
	d := p["drafter@state.example"].Token
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		field  string
	}{
		{"no token", "POST", "/api/v1/messages", "", map[string]string{"title": "t"}, 401, ""},
		{"bad token", "GET", "/api/v1/messages", "dsn_forged", nil, 401, ""},
		{"201-character title", "POST", "/api/v1/messages", d, map[string]string{"title": strings.Repeat("x", 201), "body": "b"}, 400, "title"},
		{"unknown field", "POST", "/api/v1/messages", d, map[string]any{"title": "t", "bogus": 1}, 400, "bogus"},
		{"wrong type", "POST", "/api/v1/messages", d, map[string]any{"title": 5}, 400, "title"},
		{"malformed JSON", "POST", "/api/v1/messages", d, `{"title": "t",`, 400, "body"},
		{"two objects", "POST", "/api/v1/messages", d, `{"title":"t"}{"title":"u"}`, 400, "body"},
		{"invalid UTF-8", "POST", "/api/v1/messages", d, []byte("{\"title\": \"\xff\xfe\"}"), 400, "body"},
		{"NUL escape", "POST", "/api/v1/messages", d, `{"title": "a\u0000b"}`, 400, "title"},
		{"empty body", "POST", "/api/v1/messages", d, ``, 400, "body"},
		{"title of zero-width characters", "POST", "/api/v1/messages", d, map[string]string{"title": "\u200b\u200d\ufeff", "body": "b"}, 400, "title"},
		{"title with a right-to-left override", "POST", "/api/v1/messages", d, map[string]string{"title": "Approve \u202egnirotinom", "body": "b"}, 400, "title"},
		{"duplicate key", "POST", "/api/v1/messages", d, `{"title": "a", "body": "b", "title": "c"}`, 400, "title"},
		{"duplicate key differing in case", "POST", "/api/v1/messages", d, `{"title": "a", "Title": "c"}`, 400, "Title"},
		{"duplicate key in another route", "POST", "/api/v1/messages/" + strings.Repeat("ab", 16) + "/signatures", d, `{"content_hash": "` + strings.Repeat("a", 64) + `", "content_hash": "` + strings.Repeat("b", 64) + `"}`, 400, "content_hash"},
		{"lone high surrogate", "POST", "/api/v1/messages", d, `{"title": "a\ud800b", "body": "b"}`, 400, "title"},
		{"lone low surrogate", "POST", "/api/v1/messages", d, `{"title": "t", "body": "\udc00"}`, 400, "body"},
		{"high surrogate at the end", "POST", "/api/v1/messages", d, `{"title": "t", "summary": "x\ud83d"}`, 400, "summary"},
		{"two high surrogates", "POST", "/api/v1/messages", d, `{"title": "\ud83d\ud83d\ude00"}`, 400, "title"},
		{"lone surrogate in an array", "POST", "/api/v1/messages/" + strings.Repeat("ab", 16) + "/invitations", d, `{"emails": ["a@state.example", "\ud800@state.example"]}`, 400, "emails[1]"},
		{"oversized body", "POST", "/api/v1/messages", d, `{"title":"` + strings.Repeat("x", 5<<20) + `"}`, 413, "body"},
		{"body over 100,000 characters", "POST", "/api/v1/messages", d, map[string]string{"title": "t", "body": strings.Repeat("b", 100_001)}, 400, "body"},
		{"malformed id", "GET", "/api/v1/messages/not-an-id", d, nil, 400, "id"},
		{"path traversal id", "GET", "/api/v1/messages/..%2f..%2fetc", d, nil, 400, "id"},
		{"unknown id", "GET", "/api/v1/messages/" + strings.Repeat("ab", 16), d, nil, 404, ""},
		{"SQL in the id", "GET", "/api/v1/messages/'%20OR%201=1--", d, nil, 400, "id"},
		{"unknown route", "GET", "/api/v1/nothing", d, nil, 404, ""},
		{"malformed hash", "POST", "/api/v1/messages/" + strings.Repeat("ab", 16) + "/signatures", d, map[string]any{"content_hash": "zz"}, 400, "content_hash"},
		{"negative quorum", "POST", "/api/v1/messages/" + strings.Repeat("ab", 16) + "/signatures", d, map[string]any{"content_hash": strings.Repeat("a", 64), "min_cosigners": -1}, 400, "min_cosigners"},
		{"bad invitee", "POST", "/api/v1/messages/" + strings.Repeat("ab", 16) + "/invitations", d, map[string]any{"emails": []string{"not an email"}}, 400, "emails"},
	}
	for _, tt := range tests {
		st, body := c.call(tt.method, tt.path, tt.token, tt.body)
		e, _ := body["error"].(map[string]any)
		if st != tt.status || e == nil {
			t.Errorf("%s: HTTP %d %v; want %d with an error object", tt.name, st, body, tt.status)
			continue
		}
		if e["field"] != nil && tt.field == "" || tt.field != "" && e["field"] != tt.field {
			t.Errorf("%s: error field %v; want %q", tt.name, e["field"], tt.field)
		}
		if e["code"] == "" || e["message"] == "" {
			t.Errorf("%s: error without code or message: %v", tt.name, e)
		}
	}
	if _, l := c.call("GET", "/api/v1/messages", d, nil); len(l["messages"].([]any)) != 0 {
		t.Errorf("bad requests created %d messages", len(l["messages"].([]any)))
	}
}

// TestStoredVerbatim: markup and SQL in text are data, stored and returned
// exactly, and JSON escapes HTML-significant characters.
func TestStoredVerbatim(t *testing.T) {
	_, c, p, _ := newServer(t, 0)
	d := p["drafter@state.example"].Token
	for _, payload := range []string{
		`<script>alert(1)</script>`, `'); DROP TABLE messages;--`, `" OR 1=1 --`, "\u202eevil\u200b", `{{.Secret}}`, `<img src=x onerror=alert(1)>`,
	} {
		// Titles refuse bidirectional controls (TestBadInput); bodies keep them.
		title := strings.Map(func(r rune) rune {
			if dissent.IsBidiControl(r) {
				return -1
			}
			return r
		}, payload)
		st, m := c.call("POST", "/api/v1/messages", d, map[string]string{"title": title, "body": payload})
		if st != 201 {
			t.Fatalf("create with %q: %d %v", payload, st, m)
		}
		_, got := c.call("GET", "/api/v1/messages/"+m["id"].(string), d, nil)
		if got["title"] != title || got["body"] != payload {
			t.Errorf("round trip of %q: got title %q body %q", payload, got["title"], got["body"])
		}
	}
}

// TestIDOR: a valid token never reaches another person's message.
func TestIDOR(t *testing.T) {
	_, c, p, s := newServer(t, 2)
	d := p["drafter@state.example"].Token
	_, m := c.call("POST", "/api/v1/messages", d, map[string]string{"title": "t", "body": "b"})
	id := m["id"].(string)
	for _, path := range []string{"", "/signatures", "/versions", "/access-log", "/receipt"} {
		for _, who := range []string{"outsider@state.example", s[0], "admin@state.example", "officer@state.example"} {
			st, _ := c.call("GET", "/api/v1/messages/"+id+path, p[who].Token, nil)
			if st != 404 {
				t.Errorf("GET %s as %s: HTTP %d; want 404", path, who, st)
			}
		}
	}
	for _, path := range []string{"/signatures", "/submit", "/withdraw", "/invitations", "/coauthors"} {
		st, _ := c.call("POST", "/api/v1/messages/"+id+path, p["outsider@state.example"].Token, map[string]any{})
		if st != 404 && st != 400 {
			t.Errorf("POST %s as an outsider: HTTP %d; want 404 (or 400 for the empty body)", path, st)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	_, c, _, _ := newServer(t, 0)
	resp, err := http.Get(c.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
		"X-Frame-Options":        "DENY",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestSignInLink(t *testing.T) {
	e, c, _, _ := newServer(t, 0)
	sec, err := e.Svc.IssueSignInLink(t.Context(), dissent.System, "outsider@state.example")
	if err != nil {
		t.Fatal(err)
	}
	st, m := c.call("POST", "/api/v1/signin/link", "", map[string]string{"secret": sec.Reveal()})
	if st != 200 || m["token"] == nil {
		t.Fatalf("redeem: %d %v", st, m)
	}
	if st, me := c.call("GET", "/api/v1/me", m["token"].(string), nil); st != 200 || me["email"] != "outsider@state.example" {
		t.Errorf("me with the new token: %d %v", st, me)
	}
	if st, _ := c.call("POST", "/api/v1/signin/link", "", map[string]string{"secret": sec.Reveal()}); st != 401 {
		t.Errorf("reusing the link: HTTP %d; want 401", st)
	}
	if st, _ := c.call("POST", "/api/v1/signin/link", "", map[string]string{"secret": "dsl_" + fmt.Sprint(12345)}); st != 401 {
		t.Errorf("a forged link: HTTP %d; want 401", st)
	}
}
