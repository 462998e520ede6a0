package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

// officeFixture submits two messages, acknowledges one, distributes it to
// the principal and consults the reviewer on it, and moves the clock on so
// that the other is overdue.
func officeFixture(t testing.TB, e *servicetest.Env, people map[string]servicetest.Actor) (overdue, acked dissent.Message) {
	t.Helper()
	ctx := context.Background()
	drafter, officer := people["drafter@state.example"].Actor, people["officer@state.example"].Actor
	mk := func(title string) dissent.Message {
		m, err := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: title, Body: "Body of " + title})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
		return m
	}
	overdue, acked = mk("Overdue dissent"), mk("Acknowledged dissent")
	if _, err := e.Svc.Acknowledge(ctx, officer, acked.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Distribute(ctx, officer, acked.ID, []string{"principal@state.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Consult(ctx, officer, acked.ID, "reviewer@state.example", "2023-11-30"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(servicetest.SeedTime.Add(5 * 24 * time.Hour)) // Wednesday 8 November
	return overdue, acked
}

func TestOfficePages(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	overdue, acked := officeFixture(t, e.Env, e.people)
	tests := []struct {
		who, path string
		status    int
		want      []string
		not       []string
	}{
		{"officer@state.example", "/inbox", 200,
			[]string{"Overdue dissent", "Acknowledged dissent", "Overdue 1 working day", `href="/messages/` + string(overdue.ID) + `"`, `aria-current="page"`},
			[]string{"Name of drafter"}},
		{"officer@state.example", "/inbox?due=overdue", 200, []string{"Overdue dissent"}, []string{"Acknowledged dissent"}},
		{"officer@state.example", "/inbox?state=bogus", 400, []string{"State must be one of", `class="field-error"`}, nil},
		{"officer@state.example", "/inbox?page=x", 400, []string{"Page must be a whole number"}, nil},
		{"officer@state.example", "/inbox?page=9", 200, []string{"There are only 1 pages"}, nil},
		{"officer@state.example", "/dashboard", 200,
			[]string{"<svg", `role="img"`, "<title id=\"chart-timeliness-title\">", "Data table: Timeliness", "Acknowledged within 2 working days", "Overdue 1 working day"},
			[]string{"Overdue dissent", "Acknowledged dissent", "Name of drafter"}},
		{"officer@state.example", "/dashboard?from=nope", 400, []string{"From must be a date"}, nil},
		{"monitor@state.example", "/timeliness", 200, []string{"Deadlines met", "Overdue 1 working day", string(overdue.ID)[:8]},
			[]string{"Overdue dissent", "Acknowledged dissent", "Name of drafter"}},
		{"monitor@state.example", "/inbox", 403, []string{"Only the channel office"}, []string{"Overdue dissent"}},
		{"principal@state.example", "/distributed", 200, []string{"Acknowledged dissent", `href="/messages/` + string(acked.ID) + `"`}, []string{"Overdue dissent"}},
		{"principal@state.example", "/dashboard", 403, nil, []string{"<svg"}},
		{"reviewer@state.example", "/consultations", 200, []string{"Acknowledged dissent", "Thu 30 Nov 2023"}, []string{"Overdue dissent", "Name of drafter"}},
		{"drafter@state.example", "/consultations", 403, nil, nil},
		{"drafter@state.example", "/distributed", 403, nil, nil},
		{"drafter@state.example", "/timeliness", 403, nil, []string{"<svg"}},
	}
	// The same statistics as CSV.
	mc := browser(t)
	e.signInWithLink(t, mc, "monitor@state.example")
	resp, body := do(t, mc, "GET", e.base+"/statistics.csv?org=state", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(body, "timeliness,Acknowledged within 2 working days,1,2\n") || !strings.Contains(body, "by_org,state,2,\n") ||
		strings.Contains(body, "dissent") {
		t.Errorf("GET /statistics.csv = %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := do(t, mc, "GET", e.base+"/statistics.csv?from=x", nil); resp.StatusCode != 400 {
		t.Errorf("GET /statistics.csv?from=x = %d; want 400", resp.StatusCode)
	}

	clients := map[string]*http.Client{}
	for _, tt := range tests {
		c := clients[tt.who]
		if c == nil {
			c = browser(t)
			e.signInWithLink(t, c, tt.who)
			clients[tt.who] = c
		}
		resp, body := do(t, c, "GET", e.base+tt.path, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s GET %s = %d; want %d", tt.who, tt.path, resp.StatusCode, tt.status)
		}
		checkErrorsShown(t, tt.who+" GET "+tt.path, body)
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s GET %s: page lacks %q", tt.who, tt.path, w)
			}
		}
		for _, n := range append(tt.not, "style=", "<script>") {
			if strings.Contains(body, n) {
				t.Errorf("%s GET %s: page contains %q", tt.who, tt.path, n)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s GET %s: CSP %q", tt.who, tt.path, csp)
		}
	}
	// Signed out: to the sign-in page.
	for _, path := range []string{"/inbox", "/dashboard", "/timeliness", "/distributed", "/consultations", "/statistics.csv"} {
		if resp, _ := do(t, browser(t), "GET", e.base+path, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin" {
			t.Errorf("signed out GET %s = %d %s; want 303 to /signin", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// unlimited lifts the per-person request limits for tests that send many
// requests as one person.
var unlimited = web.Limits{RequestsPerPerson: web.Rate{Every: time.Microsecond, Burst: 1 << 20},
	WritesPerPerson: web.Rate{Every: time.Microsecond, Burst: 1 << 20}}

// FuzzOfficeQueries: whatever the query string of the office pages, the
// answer is a page (200, or 400 naming the field), never an error of the
// server, and the input never comes back unescaped.
func FuzzOfficeQueries(f *testing.F) {
	for _, s := range []string{"", "state=all", "state=bogus", "org=usaid&due=soon&mine=1&page=2", "page=-1", "page=99999999999999999999",
		"from=2023-11-01&to=2023-10-01", "org=%3Cscript%3E", "state=%00", "due=%E2%80%AE", "page=1&page=2", "%zz", "org=" + strings.Repeat("a", 100)} {
		f.Add(s)
	}
	e := servicetest.New(f)
	people, _ := e.Cast(f, 2)
	officeFixture(f, e, people)
	srv := web.New(e.Svc, web.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: web.AuthOptions{PublicURL: "http://localhost", Limits: unlimited}})
	officer := pageSession(f, e, srv, "officer@state.example")
	f.Fuzz(func(t *testing.T, q string) {
		for _, path := range []string{"/inbox", "/dashboard", "/timeliness"} {
			req := httptest.NewRequest("GET", "http://localhost"+path, nil)
			req.URL.RawQuery = q
			req.AddCookie(officer)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
				t.Fatalf("GET %s?%s = %d", path, q, rec.Code)
			}
			if body := rec.Body.String(); strings.Contains(body, "<script>") {
				t.Fatalf("GET %s?%s: the page holds an unescaped <script>", path, q)
			}
		}
	})
}

// pageSession signs email in through a one-time link and returns the
// session cookie.
func pageSession(b testing.TB, e *servicetest.Env, srv http.Handler, email string) *http.Cookie {
	b.Helper()
	sec, err := e.Svc.IssueSignInLink(context.Background(), dissent.System, email)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("POST", "http://localhost/signin/link", strings.NewReader(url.Values{"secret": {sec.Reveal()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "dissent_session" {
			return c
		}
	}
	b.Fatalf("sign in as %s: %d, no session cookie", email, rec.Code)
	return nil
}
