package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// upload posts a multipart body with the field "file".
func (c client) upload(path, token, field, name string, data []byte) (int, []byte, http.Header) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (c client) raw(method, path, token string) (int, []byte, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func addVocab(t *testing.T, svc *dissent.Service, admin dissent.Actor) {
	t.Helper()
	for _, x := range [][2]string{{"classification", "UNCLASSIFIED"}, {"classification", "SECRET"}, {"topic", "Trade"}, {"tier", "Secretary"}} {
		if _, err := svc.AddVocabulary(ctx, admin, dissent.VocabKind(x[0]), x[1]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAPIMessageModel(t *testing.T) {
	e, c, p, s := newServer(t, 1)
	addVocab(t, e.Svc, p["admin@state.example"].Actor)
	drafter := p["drafter@state.example"].Token

	code, v := c.call("GET", "/api/v1/vocabulary", drafter, nil)
	if code != 200 || len(v["classifications"].([]any)) != 2 || len(v["topics"].([]any)) != 1 || len(v["tiers"].([]any)) != 1 {
		t.Fatalf("GET /api/v1/vocabulary = %d %v", code, v)
	}
	// The core story's message: only title, summary and body.
	code, plain := c.call("POST", "/api/v1/messages", drafter, map[string]any{"title": "Plain", "summary": "", "body": "B"})
	if code != 201 || plain["classification"] != "" || plain["content_hash"] != dissent.ContentHash("Plain", "", "B") {
		t.Fatalf("plain POST = %d %v", code, plain)
	}
	tests := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": "T", "body": "B", "classification": "COSMIC"}, "classification"},
		{map[string]any{"title": "T", "body": "B", "topic": "Weather"}, "topic"},
		{map[string]any{"title": "T", "body": "B", "tier": "Emperor"}, "tier"},
		{map[string]any{"title": "T", "body": "B", "related": []string{"0123456789abcdef0123456789abcdef"}}, "related[0]"},
	}
	for _, tt := range tests {
		code, out := c.call("POST", "/api/v1/messages", drafter, tt.body)
		errObj, _ := out["error"].(map[string]any)
		if code != 400 || errObj["field"] != tt.field {
			t.Errorf("POST %v = %d %v; want 400 naming %s", tt.body, code, out, tt.field)
		}
	}
	code, m := c.call("POST", "/api/v1/messages", drafter, map[string]any{"title": "T", "body": "B", "classification": "SECRET", "topic": "Trade",
		"tier": "Secretary", "related": []string{plain["id"].(string)}})
	if code != 201 || m["classification"] != "SECRET" || m["topic"] != "Trade" || m["tier"] != "Secretary" {
		t.Fatalf("POST with the model = %d %v", code, m)
	}
	id := m["id"].(string)
	code, got := c.call("GET", "/api/v1/messages/"+id, drafter, nil)
	if rel, _ := got["related"].([]any); code != 200 || len(rel) != 1 || rel[0] != plain["id"] {
		t.Errorf("GET = %d related %v", code, got["related"])
	}
	// PUT with title, summary and body only keeps the model's fields.
	code, put := c.call("PUT", "/api/v1/messages/"+id, drafter, map[string]any{"title": "T", "summary": "", "body": "B2"})
	if code != 200 || put["classification"] != "SECRET" || put["version"] != float64(2) {
		t.Errorf("PUT = %d %v", code, put)
	}
	// An invitee does not see the related draft: silently left out.
	c.call("POST", "/api/v1/messages/"+id+"/invitations", drafter, map[string]any{"emails": []string{s[0]}})
	code, inv := c.call("GET", "/api/v1/messages/"+id, p[s[0]].Token, nil)
	if _, has := inv["related"]; code != 200 || has {
		t.Errorf("invitee's GET = %d related %v; want none", code, inv["related"])
	}
}

func TestAPIAttachments(t *testing.T) {
	e, c, p, s := newServer(t, 1)
	drafter, signer, outsider := p["drafter@state.example"].Token, p[s[0]].Token, p["outsider@state.example"].Token
	_, m := c.call("POST", "/api/v1/messages", drafter, map[string]any{"title": "T", "body": "B"})
	id := m["id"].(string)
	c.call("POST", "/api/v1/messages/"+id+"/invitations", drafter, map[string]any{"emails": []string{s[0]}})

	annex := []byte("<html><script>alert(1)</script></html>")
	code, body, _ := c.upload("/api/v1/messages/"+id+"/attachments", drafter, "file", "annex.html", annex)
	if code != 201 {
		t.Fatalf("upload = %d %s", code, body)
	}
	sum := sha256.Sum256(annex)
	if !bytes.Contains(body, []byte(hex.EncodeToString(sum[:]))) || !bytes.Contains(body, []byte(`"name":"annex.html"`)) {
		t.Errorf("upload answer = %s", body)
	}
	_, got := c.call("GET", "/api/v1/messages/"+id, drafter, nil)
	atts, _ := got["attachments"].([]any)
	if len(atts) != 1 || got["version"] != float64(2) {
		t.Fatalf("after upload: %v", got)
	}
	aid := atts[0].(map[string]any)["id"].(string)

	// The invitee downloads it: a download, never rendered.
	code, data, h := c.raw("GET", "/api/v1/messages/"+id+"/attachments/"+aid, signer)
	if code != 200 || !bytes.Equal(data, annex) {
		t.Fatalf("download = %d %q", code, data)
	}
	if ct := h.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type = %q; want application/octet-stream for HTML", ct)
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "annex.html") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", h.Get("X-Content-Type-Options"))
	}
	// The read is in the access log.
	_, log := c.call("GET", "/api/v1/messages/"+id+"/access-log", drafter, nil)
	if !strings.Contains(toJSON(log), `"what":"attachment"`) {
		t.Errorf("access log = %v; want the attachment read", log)
	}
	// Attacks: an outsider, another message's id, a malformed id.
	if code, _, _ := c.raw("GET", "/api/v1/messages/"+id+"/attachments/"+aid, outsider); code != 404 {
		t.Errorf("outsider download = %d; want 404", code)
	}
	if code, _, _ := c.raw("GET", "/api/v1/messages/"+id+"/attachments/zz", drafter); code != 400 {
		t.Errorf("malformed id = %d; want 400", code)
	}
	if code, _, _ := c.upload("/api/v1/messages/"+id+"/attachments", signer, "file", "x.txt", []byte("x")); code != 403 {
		t.Errorf("upload by an invitee = %d; want 403", code)
	}
	if code, b, _ := c.upload("/api/v1/messages/"+id+"/attachments", drafter, "other", "x.txt", []byte("x")); code != 400 || !bytes.Contains(b, []byte(`"field":"file"`)) {
		t.Errorf("upload without the field file = %d %s", code, b)
	}

	// Over the size limit: 413 naming it, nothing stored.
	e.Svc.SetAttachmentLimits(1000, 2)
	code, b, _ := c.upload("/api/v1/messages/"+id+"/attachments", drafter, "file", "big.bin", make([]byte, 5000))
	if code != 413 || !bytes.Contains(b, []byte(`"limit":1000`)) {
		t.Errorf("too large = %d %s; want 413 with limit 1000", code, b)
	}
	c.upload("/api/v1/messages/"+id+"/attachments", drafter, "file", "two.txt", []byte("2"))
	code, b, _ = c.upload("/api/v1/messages/"+id+"/attachments", drafter, "file", "three.txt", []byte("3"))
	if code != 413 || !bytes.Contains(b, []byte(`"limit":2`)) {
		t.Errorf("too many = %d %s; want 413 with limit 2", code, b)
	}
	_, got = c.call("GET", "/api/v1/messages/"+id, drafter, nil)
	if atts, _ := got["attachments"].([]any); len(atts) != 2 || got["version"] != float64(3) {
		t.Errorf("after refusals: version %v, %d attachments; want 3, 2", got["version"], len(atts))
	}
	// DELETE while editable: a new version without it.
	if code, b, _ := c.raw("DELETE", "/api/v1/messages/"+id+"/attachments/"+aid, drafter); code != 204 {
		t.Errorf("DELETE = %d %s", code, b)
	}
	_, got = c.call("GET", "/api/v1/messages/"+id, drafter, nil)
	if atts, _ := got["attachments"].([]any); len(atts) != 1 || got["version"] != float64(4) {
		t.Errorf("after DELETE: version %v, %d attachments", got["version"], len(atts))
	}
}

var ctx = context.Background()

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTiersPage: the office keeps a tier's list on /tiers; the case page's
// distribution form is filled with it; others may not open the page.
func TestTiersPage(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	addVocab(t, e.Svc, e.people["admin@state.example"].Actor)
	officer := browser(t)
	e.signInWithLink(t, officer, "officer@state.example")
	resp, page := do(t, officer, "GET", e.base+"/tiers", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "Secretary") {
		t.Fatalf("GET /tiers = %d", resp.StatusCode)
	}
	body, hk, ct := form(url.Values{"tier": {"Secretary"}, "emails": {"drafter@state.example"}})
	resp, page = do(t, officer, "POST", e.base+"/tiers", body, hk, ct)
	if resp.StatusCode != 422 || !strings.Contains(page, "No principal with the address drafter@state.example") {
		t.Errorf("a non-principal = %d; want 422 with the error beside the field", resp.StatusCode)
	}
	body, hk, ct = form(url.Values{"tier": {"Secretary"}, "emails": {"principal@state.example"}})
	if resp, _ = do(t, officer, "POST", e.base+"/tiers", body, hk, ct); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /tiers = %d; want 303", resp.StatusCode)
	}
	drafter := e.people["drafter@state.example"].Actor
	tier := "Secretary"
	m, err := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "T", Body: "B", Tier: &tier})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	resp, page = do(t, officer, "GET", e.base+"/messages/"+string(m.ID), nil)
	if resp.StatusCode != 200 || !strings.Contains(page, ">principal@state.example</textarea>") {
		t.Errorf("the case page's distribution form is not filled with the tier's list (%d)", resp.StatusCode)
	}
	emp := browser(t)
	e.signInWithLink(t, emp, "drafter@state.example")
	if resp, _ := do(t, emp, "GET", e.base+"/tiers", nil); resp.StatusCode != 403 {
		t.Errorf("an employee's GET /tiers = %d; want 403", resp.StatusCode)
	}
}
