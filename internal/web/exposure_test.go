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

const exposureBody = "We write because the pause has stranded interpreters.\n\nThe pause leaves families who waited four years with expired medical clearances, and each new screening costs the program another eleven months of processing that the embassy cannot absorb."

func TestArticleAPI(t *testing.T) {
	e, c, p, _ := newServer(t, 0)
	officer, drafter := p["officer@state.example"].Token, p["drafter@state.example"].Token
	body := "WASHINGTON — A cable warns that “each new screening costs the program another eleven months of processing that the embassy cannot absorb,” officials said."
	st, out := c.call("POST", "/api/v1/articles", officer, map[string]string{"title": "Cable warns", "url": "https://news.example/a", "body": body})
	if st != http.StatusCreated || out["new"] != true || out["source"] != "upload" || out["hash"] != dissent.ArticleHash(body) {
		t.Fatalf("POST /api/v1/articles = %d %v; want 201 with the new article", st, out)
	}
	st, again := c.call("POST", "/api/v1/articles", officer, map[string]string{"title": "Again", "body": "  " + body + "\n"})
	if st != http.StatusOK || again["new"] != false || again["id"] != out["id"] || again["title"] != "Cable warns" {
		t.Errorf("same text again = %d %v; want 200 with the stored article", st, again)
	}
	if st, out := c.call("POST", "/api/v1/articles", drafter, map[string]string{"title": "T", "body": "x"}); st != http.StatusForbidden {
		t.Errorf("POST by an employee = %d %v; want 403", st, out)
	}
	if st, _ := c.call("POST", "/api/v1/articles", "", map[string]string{"title": "T", "body": "x"}); st != http.StatusUnauthorized {
		t.Errorf("POST without a token = %d; want 401", st)
	}

	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"empty request", "", 400, "body"},
		{"empty body", map[string]string{"title": "T", "body": " "}, 400, "body"},
		{"no title", map[string]string{"body": "x"}, 400, "title"},
		{"bad URL", map[string]string{"title": "T", "url": "javascript:alert(1)", "body": "x"}, 400, "url"},
		{"relative URL", map[string]string{"title": "T", "url": "news/a", "body": "x"}, 400, "url"},
		{"body over the limit", map[string]string{"title": "T", "body": strings.Repeat("a", dissent.MaxArticleBody+1)}, 400, "body"},
		{"oversized request", map[string]string{"title": "T", "body": strings.Repeat("a", 5<<20)}, 413, "body"},
		{"unknown field", map[string]string{"title": "T", "body": "x", "author": "me"}, 400, "author"},
		{"wrong type", `{"title":"T","body":7}`, 400, "body"},
		{"invalid UTF-8", []byte("{\"title\":\"T\",\"body\":\"caf\xe9\"}"), 400, "body"},
	}
	for _, tt := range tests {
		st, out := c.call("POST", "/api/v1/articles", officer, tt.body)
		errObj, _ := out["error"].(map[string]any)
		if st != tt.status || errObj["field"] != tt.field {
			t.Errorf("%s: %d %v; want %d naming field %q", tt.name, st, out, tt.status, tt.field)
		}
	}
	// Nothing of the refused requests was stored.
	n := 0
	e.DB.View(context.Background(), func(tx dissent.Tx) error {
		as, err := tx.Articles(context.Background(), 0, 100)
		n = len(as)
		return err
	})
	if n != 1 {
		t.Errorf("%d articles stored; want 1", n)
	}
}

func TestExposurePages(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	d := e.people["drafter@state.example"].Actor
	m, err := e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: "t", Summary: "s", Body: exposureBody})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Submit(ctx, d, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}

	officer := browser(t)
	e.signInWithLink(t, officer, "officer@state.example")
	resp, page := do(t, officer, "GET", e.base+"/exposure", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="no-findings"`) || !strings.Contains(page, `action="/exposure/articles"`) {
		t.Fatalf("GET /exposure as officer = %d; want the empty list and the upload form:\n%s", resp.StatusCode, page)
	}
	// A refused upload keeps the input and names the field.
	typed := "Text kept <b>as typed</b>"
	body, k, v := form(url.Values{"title": {"A title"}, "url": {"ftp://x"}, "body": {typed}})
	resp, page = do(t, officer, "POST", e.base+"/exposure/articles", body, k, v)
	if resp.StatusCode != 400 || !strings.Contains(page, "absolute http or https URL") || !strings.Contains(page, "Text kept &lt;b&gt;as typed&lt;/b&gt;") {
		t.Errorf("refused upload = %d; want 400 with the url error and the body kept:\n%s", resp.StatusCode, page)
	}
	// A good upload redirects; the finding is listed, with an XSS attempt
	// in the title shown as text.
	article := "WASHINGTON — Diplomats wrote that “the pause leaves families who waited four years with expired medical clearances,” according to the cable."
	body, k, v = form(url.Values{"title": {`<script>alert(1)</script>Leak`}, "url": {"https://news.example/leak"}, "body": {article}})
	resp, _ = do(t, officer, "POST", e.base+"/exposure/articles", body, k, v)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/exposure?done=article" {
		t.Fatalf("upload = %d %s; want 303 to /exposure?done=article", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = do(t, officer, "GET", e.base+"/exposure?done=article", nil)
	if strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;Leak") {
		t.Errorf("the list does not escape the article's title:\n%s", page)
	}
	link := regexp.MustCompile(`href="/exposure/(\d+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no finding listed:\n%s", page)
	}
	resp, page = do(t, officer, "GET", e.base+"/exposure/"+link[1], nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "<mark>the pause leaves families who waited four years with expired medical clearances</mark>") ||
		!strings.Contains(page, "<mark>The pause leaves families who waited four years with expired medical clearances</mark>") {
		t.Errorf("GET /exposure/%s = %d; want both passages marked:\n%s", link[1], resp.StatusCode, page)
	}

	// The author sees it; another employee and the administrator do not.
	author := browser(t)
	e.signInWithLink(t, author, "drafter@state.example")
	if resp, page := do(t, author, "GET", e.base+"/exposure/"+link[1], nil); resp.StatusCode != 200 || strings.Contains(page, `action="/exposure/articles"`) {
		t.Errorf("author: %d, upload form shown: %v", resp.StatusCode, strings.Contains(page, `action="/exposure/articles"`))
	}
	for _, who := range []string{"outsider@state.example", "admin@state.example", "monitor@state.example"} {
		c := browser(t)
		e.signInWithLink(t, c, who)
		if resp, _ := do(t, c, "GET", e.base+"/exposure/"+link[1], nil); resp.StatusCode != 404 {
			t.Errorf("%s: GET finding = %d; want 404", who, resp.StatusCode)
		}
		if _, page := do(t, c, "GET", e.base+"/exposure", nil); strings.Contains(page, "/exposure/"+link[1]) {
			t.Errorf("%s sees the finding in the list", who)
		}
		body, k, v := form(url.Values{"title": {"T"}, "body": {"x"}})
		if resp, _ := do(t, c, "POST", e.base+"/exposure/articles", body, k, v); resp.StatusCode != 403 {
			t.Errorf("%s: upload = %d; want 403", who, resp.StatusCode)
		}
	}
	for _, bad := range []string{"0", "-1", "abc", "99999"} {
		if resp, _ := do(t, officer, "GET", e.base+"/exposure/"+bad, nil); resp.StatusCode != 404 {
			t.Errorf("GET /exposure/%s = %d; want 404", bad, resp.StatusCode)
		}
	}
}
