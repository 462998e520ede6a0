package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestNotificationsPage: an invitee sees that they were invited, with a
// link and nothing of the message; marks it read; cannot mark another's;
// turns e-mails off; bad ids are refused with the field named.
func TestNotificationsPage(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	ctx := context.Background()
	dr := e.people["drafter@state.example"]
	m, err := e.Svc.CreateMessage(ctx, dr.Actor, dissent.Draft{Title: "TITLE-MARKER", Summary: "S", Body: "BODY-MARKER"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, dr.Actor, m.ID, []string{"signer0001@state.example"}); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	e.signInWithLink(t, c, "signer0001@state.example")
	resp, body := do(t, c, "GET", e.base+"/notifications", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /notifications = %d", resp.StatusCode)
	}
	for _, want := range []string{dissent.NoticeText(dissent.NoteInvited), `href="/messages/` + string(m.ID) + `"`, "1 unread", `name="email" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"MARKER", "Name of drafter"} {
		if strings.Contains(body, bad) {
			t.Errorf("page shows %q", bad)
		}
	}
	id := regexp.MustCompile(`name="id" value="(\d+)"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no mark-read form")
	}
	// Another person marking this id read changes nothing.
	other := browser(t)
	e.signInWithLink(t, other, "outsider@state.example")
	b, k, v := form(url.Values{"id": {id[1]}})
	if resp, _ := do(t, other, "POST", e.base+"/notifications/read", b, k, v); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("outsider POST read = %d", resp.StatusCode)
	}
	if n, _ := e.Svc.UnreadNotifications(ctx, e.people["signer0001@state.example"].Actor); n != 1 {
		t.Errorf("after another's mark-read, unread = %d; want 1", n)
	}
	b, k, v = form(url.Values{"id": {"x1"}})
	if resp, body := do(t, c, "POST", e.base+"/notifications/read", b, k, v); resp.StatusCode != 400 || !strings.Contains(body, "notification number") {
		t.Errorf("POST read with a bad id = %d; want 400 naming the id", resp.StatusCode)
	}
	b, k, v = form(url.Values{"id": {id[1]}})
	if resp, _ := do(t, c, "POST", e.base+"/notifications/read", b, k, v); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=notifications_read") {
		t.Errorf("POST read = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := do(t, c, "GET", e.base+"/notifications?done=notifications_read", nil); !strings.Contains(body, "Nothing unread") || !strings.Contains(body, "Marked as read.") {
		t.Errorf("after marking read the page says:\n%s", body)
	}
	b, k, v = form(url.Values{}) // the box unticked
	if resp, _ := do(t, c, "POST", e.base+"/notifications/preferences", b, k, v); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST preferences = %d", resp.StatusCode)
	}
	if p, _ := e.Svc.NotificationPrefs(ctx, e.people["signer0001@state.example"].Actor); p.Email {
		t.Errorf("after unticking, prefs = %+v; want e-mail off", p)
	}
	if resp, _ := do(t, browser(t), "GET", e.base+"/notifications", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /notifications signed out = %d; want a redirect to /signin", resp.StatusCode)
	}
}

type fakeMetrics struct {
	mu     sync.Mutex
	routes []string
}

func (f *fakeMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metrics\n")) }
func (f *fakeMetrics) ObserveRequest(route string, status int, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes = append(f.routes, route+" "+http.StatusText(status))
}

// TestMetricsHook: requests are reported by route pattern, never by path.
func TestMetricsHook(t *testing.T) {
	fm := &fakeMetrics{}
	srv := web.New(nil, web.Options{Metrics: fm, MetricsToken: dissent.NewSecret("s3cret")})
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/messages/0123456789abcdef0123456789abcdef"} {
		req := httptest.NewRequest("GET", p, nil)
		if p == "/metrics" {
			req.Header.Set("Authorization", "Bearer s3cret")
		}
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	want := []string{"GET /healthz OK", "GET /metrics OK", "GET /api/v1/messages/{id} Unauthorized"}
	if strings.Join(fm.routes, "|") != strings.Join(want, "|") {
		t.Errorf("observed %q; want %q", fm.routes, want)
	}
}

// TestMetricsGuarded: /metrics answers only the metrics bearer token, and
// is not served at all without one.
func TestMetricsGuarded(t *testing.T) {
	for _, tt := range []struct {
		token, auth string
		want        int
	}{
		{"", "", 404},
		{"", "Bearer ", 404},
		{"s3cret", "", 401},
		{"s3cret", "Bearer wrong", 401},
		{"s3cret", "s3cret", 401},
		{"s3cret", "Bearer s3cret", 200},
	} {
		srv := web.New(nil, web.Options{Metrics: &fakeMetrics{}, MetricsToken: dissent.NewSecret(tt.token)})
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tt.want || (tt.want != 200 && strings.Contains(rec.Body.String(), "metrics\n")) {
			t.Errorf("token %q, Authorization %q: %d; want %d", tt.token, tt.auth, rec.Code, tt.want)
		}
	}
}

// TestHSTS: Strict-Transport-Security is sent when the public URL is https
// (TLS ends at a proxy), and not for a plain-HTTP deployment.
func TestHSTS(t *testing.T) {
	for _, tt := range []struct {
		public string
		want   bool
	}{{"https://dissent.example.gov", true}, {"http://localhost:8080", false}} {
		srv := web.New(nil, web.Options{Auth: web.AuthOptions{PublicURL: tt.public}})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tt.want {
			t.Errorf("public URL %s: HSTS %v; want %v", tt.public, got, tt.want)
		}
	}
}
