package web_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/web"
)

// The cross-page browser tests visit every page of a table, for every role,
// on a deployment whose data comes from a list of strings: ordinary text
// for accessibility and screenshots, attack payloads for XSS.

// pageCase is a page to visit.
type pageCase struct {
	path string // "{msg}" stands for the id of a message the role may open, "{draft}" for a draft of the employee
}

// rolePages lists, per signed-in person (by role; "" for signed out), the
// pages to check. Extend it as pages are added.
var rolePages = []struct {
	role  string
	pages []pageCase
}{
	{"", []pageCase{{path: "/signin"}, {path: "/report"}, {path: "/signin/link/dsl_not-a-real-link"}}},
	{"employee", []pageCase{{path: "/account"}, {path: "/messages"}, {path: "/messages/new"}, {path: "/messages/{msg}"},
		{path: "/messages/{draft}"}, {path: "/messages/{draft}/edit"}, {path: "/messages/{draft}/versions?from=1&to=2"},
		{path: "/messages/{msg}/receipt"}, {path: "/messages/{msg}/access-log"}, {path: "/notifications"}, {path: "/exposure"},
		{path: "/messages/{draft}/print"}}},
	{"officer", []pageCase{{path: "/inbox"}, {path: "/inbox?state=all&due=soon"}, {path: "/dashboard"}, {path: "/messages/{msg}"},
		{path: "/exposure"}, {path: "/notifications"}}},
	{"director", []pageCase{{path: "/inbox?state=all"}, {path: "/dashboard"}, {path: "/messages/{msg}"}, {path: "/tiers"}}},
	{"principal", []pageCase{{path: "/distributed"}, {path: "/messages/{msg}"}}},
	{"reviewer", []pageCase{{path: "/consultations"}, {path: "/messages/{msg}"}}},
	{"monitor", []pageCase{{path: "/timeliness"}, {path: "/messages/{msg}"}}},
	{"auditor", []pageCase{{path: "/account"}, {path: "/audit"}}},
	{"admin", []pageCase{{path: "/account"}, {path: "/admin"}, {path: "/admin/orgs"}, {path: "/admin/orgs/state"},
		{path: "/admin/people"}, {path: "/admin/people/import"}, {path: "/admin/vocabulary"}, {path: "/admin/people/1"}}},
}

// pagesEnv is a deployment with messages in every state for the table.
type pagesEnv struct {
	*authEnv
	msg map[string]dissent.MessageID // by role: a message that role may open
}

// email of the person who plays role in the fixture.
func roleEmail(role string) string { return role + "@office.example" }

// newPagesEnv builds the deployment: units and people named from names in
// turn, and one submitted message per text (title, summary, body, reply,
// reviewer input), in every state of the channel.
func newPagesEnv(t *testing.T, texts, names []string) *pagesEnv {
	t.Helper()
	// A deployment that sends e-mail, so the sign-in page offers a link by
	// e-mail (checked by axe and in the screenshots).
	e := newAuthEnvWith(t, web.Limits{}, true, os.Stderr)
	ctx := context.Background()
	name := func(i int) string { return names[i%len(names)] }
	for i := range min(len(names), 80) {
		if _, err := e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "unit-" + strconv.Itoa(i), OrgID: "state", Name: name(i)}); err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
	}
	roles := []dissent.Role{dissent.RoleEmployee, dissent.RoleOfficer, dissent.RoleDirector, dissent.RolePrincipal, dissent.RoleReviewer,
		dissent.RoleMonitor, dissent.RoleAuditor, dissent.RoleAdmin}
	var in []dissent.PersonInput
	for i, r := range roles {
		in = append(in, dissent.PersonInput{Email: roleEmail(string(r)), Name: name(i), OrgID: "state", UnitID: "unit-" + strconv.Itoa(i%min(len(names), 80)), Roles: []dissent.Role{r}})
	}
	in = append(in, dissent.PersonInput{Email: "cosigner@office.example", Name: name(len(roles)), OrgID: "usaid", Roles: []dissent.Role{dissent.RoleEmployee}})
	added, err := e.Svc.AddPeople(ctx, dissent.System, in)
	if err != nil {
		t.Fatalf("add people: %v", err)
	}
	who := map[string]dissent.Actor{}
	for _, p := range added {
		who[strings.TrimSuffix(p.Email, "@office.example")] = dissent.Actor{Person: p.Person}
	}
	drafter, officer, director := who["employee"], who["officer"], who["director"]
	pe := &pagesEnv{authEnv: e, msg: map[string]dissent.MessageID{}}
	for i, text := range texts {
		e.Clock.Set(servicetest.SeedTime.Add(time.Duration(i) * time.Minute))
		m, err := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: text, Summary: text, Body: text + "\n\n" + text})
		if dissent.ErrorKind(err) == dissent.KindInvalid {
			m, err = e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "Payload " + strconv.Itoa(i), Summary: text, Body: text + "\n\n" + text})
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if _, err := e.Svc.Invite(ctx, drafter, m.ID, []string{"cosigner@office.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Sign(ctx, who["cosigner"], m.ID, m.ContentHash, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			if i == 4 {
				if _, err := e.Svc.Redirect(ctx, officer, m.ID, text, "Office of the Inspector General"); err != nil {
					t.Fatal(err)
				}
			}
			continue // left waiting for acknowledgement
		}
		if _, err := e.Svc.Acknowledge(ctx, officer, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.Assign(ctx, officer, m.ID, roleEmail("officer")); err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.Distribute(ctx, officer, m.ID, []string{roleEmail("principal")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Consult(ctx, officer, m.ID, roleEmail("reviewer"), "2023-12-29"); err != nil {
			t.Fatal(err)
		}
		if i%4 == 2 {
			if err := e.Svc.GiveInput(ctx, who["reviewer"], m.ID, text); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 3 {
			if _, _, err := e.Svc.Reply(ctx, director, m.ID, text); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 1 && pe.msg["reviewer"] == "" {
			pe.msg["reviewer"] = m.ID // consulted, input not yet given
		}
		if i%4 == 3 && pe.msg["principal"] == "" {
			pe.msg["principal"] = m.ID // replied
		}
		if i == 7 {
			if _, err := e.Svc.Close(ctx, officer, m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A draft in the editor, co-signer invited (so circulating), with the
	// first text: the editor, its preview and the versions page show it.
	d, err := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "Draft in progress", Summary: texts[0], Body: texts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = e.Svc.EditMessage(ctx, drafter, d.ID, dissent.Draft{Title: "Draft in progress", Summary: texts[0], Body: texts[0] + "\n\n" + texts[len(texts)-1]}); err != nil {
		t.Fatal(err)
	}
	// The message model carries the texts too: vocabulary names (those that
	// fit a name), a marking and topic on the draft, and an attachment named
	// with a text.
	var mark, topic *string
	for i, text := range texts {
		for _, k := range []dissent.VocabKind{dissent.VocabClassification, dissent.VocabTopic, dissent.VocabTier} {
			v, err := e.Svc.AddVocabulary(ctx, dissent.System, k, text)
			if err != nil {
				v, err = e.Svc.AddVocabulary(ctx, dissent.System, k, string(k)+" "+strconv.Itoa(i))
			}
			if err != nil {
				t.Fatal(err)
			}
			if k == dissent.VocabClassification && mark == nil {
				mark = &v.Name
			}
			if k == dissent.VocabTopic && topic == nil {
				topic = &v.Name
			}
		}
		if i >= 3 {
			break
		}
	}
	if d, err = e.Svc.EditMessage(ctx, drafter, d.ID, dissent.Draft{Title: "Draft in progress", Summary: texts[0], Body: texts[0] + "\n\n" + texts[len(texts)-1],
		Classification: mark, Topic: topic}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.AddAttachment(ctx, drafter, d.ID, texts[0], []byte(texts[0])); err != nil {
		if _, err := e.Svc.AddAttachment(ctx, drafter, d.ID, "annex.txt", []byte(texts[0])); err != nil {
			t.Fatal(err)
		}
	}
	pe.msg["draft"] = d.ID
	first := dissent.MessageID("")
	ms, err := e.Svc.ListMessages(ctx, drafter)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !m.State.Editable() { // submitted: the office may open it
			first = m.ID
			break
		}
	}
	for _, r := range []string{"employee", "officer", "director", "monitor"} {
		pe.msg[r] = first
	}
	e.Clock.Set(servicetest.SeedTime.Add(6 * 24 * time.Hour)) // some deadlines passed
	return pe
}

// signIn ends any session in the browser and, unless role is "", signs in
// as the fixture's person in role through a one-time link.
func (pe *pagesEnv) signIn(ctx context.Context, t *testing.T, role string) {
	t.Helper()
	if err := chromedp.Run(ctx, network.ClearBrowserCookies()); err != nil {
		t.Fatal(err)
	}
	if role == "" {
		return
	}
	sec, err := pe.Svc.IssueSignInLink(context.Background(), dissent.System, roleEmail(role))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(pe.base+"/signin/link/"+sec.Reveal()),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#who`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", role, err)
	}
}

// visit opens a page of the table and reports whether it exists.
func (pe *pagesEnv) visit(ctx context.Context, t *testing.T, role string, pc pageCase) (string, bool) {
	t.Helper()
	path := strings.NewReplacer("{msg}", string(pe.msg[role]), "{draft}", string(pe.msg["draft"])).Replace(pc.path)
	var title string
	err := chromedp.Run(ctx, chromedp.Navigate(pe.base+path), chromedp.WaitReady("body", chromedp.ByQuery), chromedp.Title(&title))
	if err != nil {
		t.Fatalf("%s: open %s: %v", role, path, err)
	}
	if strings.HasPrefix(title, "Not found") {
		t.Errorf("%s: %s answers Not found", role, path)
		return path, false
	}
	return path, true
}

// forEachPage signs in as each role of the table and calls fn on every
// page that exists.
func (pe *pagesEnv) forEachPage(ctx context.Context, t *testing.T, fn func(role, path string)) {
	for _, rp := range rolePages {
		pe.signIn(ctx, t, rp.role)
		for _, pc := range rp.pages {
			if path, ok := pe.visit(ctx, t, rp.role, pc); ok {
				fn(rp.role, path)
			}
		}
	}
}

var ordinaryTexts = []string{
	"Reconsider the aid suspension", "Our visa policy fails families", "The embassy drawdown came too early",
	"Sanctions that hurt the wrong people", "A better way to fund the programme", "Listen to the field before the cuts",
	"Keep the consulate open", "The trade deal ignores labour rights",
}

var ordinaryNames = []string{"Dana Whitfield", "Omar Haddad", "Mei Lin Zhou", "Tomás Ortega", "Grace Okafor",
	"Ingrid Larsen", "Samuel Mensah", "Priya Raman", "Jonas Becker"}

// axeSource reads axe-core, installed by npm. Without it the test skips
// (fails under DISSENT_REQUIRE_E2E=1).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed: npm ci --prefix internal/web/testdata/axe"
		if os.Getenv("DISSENT_REQUIRE_E2E") == "1" {
			t.Fatalf("%s (DISSENT_REQUIRE_E2E=1): %v", msg, err)
		}
		t.Skip(msg + "; set DISSENT_REQUIRE_E2E=1 to make this a failure")
	}
	return string(b)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})))`

// TestBrowserAccessibility runs axe-core on every page of the table, for
// every role, in the light and the dark colour scheme, and fails on any
// serious or critical violation (WCAG 2.2 AA rules and best practices).
func TestBrowserAccessibility(t *testing.T) {
	axe := axeSource(t)
	pe := newPagesEnv(t, ordinaryTexts, ordinaryNames)
	ctx := chromium(t)
	runAxe := func(where string) []axeViolation {
		var vs []axeViolation
		err := chromedp.Run(ctx,
			chromedp.Evaluate(axe, nil),
			chromedp.Evaluate(axeRun, &vs, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		)
		if err != nil {
			t.Fatalf("axe on %s: %v", where, err)
		}
		return vs
	}

	// First, that axe finds violations where there are some.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>bad</title><main><img src="/x.png"><input type="text"><button></button></main>`)
	}))
	defer bad.Close()
	if err := chromedp.Run(ctx, chromedp.Navigate(bad.URL)); err != nil {
		t.Fatal(err)
	}
	if vs := runAxe("a page with violations on purpose"); len(vs) < 2 {
		t.Fatalf("axe on a page with violations on purpose found %+v; want image-alt, label and button-name", vs)
	}

	checked := 0
	for _, scheme := range []string{"light", "dark"} {
		err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}))
		if err != nil {
			t.Fatal(err)
		}
		pe.forEachPage(ctx, t, func(role, path string) {
			checked++
			for _, v := range runAxe(path + " as " + role) {
				t.Errorf("%s (%s scheme, as %q): %s %s — %s\n\t%s", path, scheme, role, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n\t"))
			}
		})
	}
	if checked < 20 {
		t.Errorf("axe ran on %d pages; want every page of the table in both schemes", checked)
	}
}

// loadPayloads reads testdata/xss.txt, numbering each payload's marker.
func loadPayloads(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "xss.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.ReplaceAll(line, "XSSN", strconv.Itoa(len(out)+1)))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("xss.txt holds %d payloads; want at least 50", len(out))
	}
	return out
}

// xssWatch records what an injected payload would do: JavaScript dialogs,
// and requests to any origin but the server's.
type xssWatch struct {
	mu       sync.Mutex
	dialogs  []string
	requests []string
}

func (w *xssWatch) listen(ctx context.Context, origin string) {
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			w.mu.Lock()
			w.dialogs = append(w.dialogs, string(ev.Type)+": "+ev.Message)
			w.mu.Unlock()
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err != nil || u.Scheme == "data" || u.Scheme == "about" || u.Scheme+"://"+u.Host == origin {
				return
			}
			w.mu.Lock()
			w.requests = append(w.requests, ev.Request.URL)
			w.mu.Unlock()
		}
	})
}

func (w *xssWatch) take() (dialogs, requests []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dialogs, requests, w.dialogs, w.requests = w.dialogs, w.requests, nil, nil
	return dialogs, requests
}

// xssProbe finds what a page's escaping let through: marker globals set by
// payloads, and live markup that only a payload could have made.
const xssProbe = `(() => {
	const found = Object.keys(window).filter(k => k.startsWith("__xss_"));
	const own = s => s.src === "" ? "inline script" : new URL(s.src).pathname.startsWith("/static/") ? "" : "script " + s.src;
	for (const s of document.querySelectorAll("script")) { const o = own(s); if (o) found.push(o); }
	const bad = "iframe, object, embed, base, meta[http-equiv], link:not([rel=stylesheet][href^='/static/']), form:not([action^='/']), " +
		"a[href^='javascript:' i], a[href^='data:' i], [formaction], img:not([src^='/']), svg script, [style]:not(svg [style])";
	for (const el of document.querySelectorAll(bad)) found.push("element " + el.outerHTML.slice(0, 80));
	for (const el of document.querySelectorAll("*")) {
		for (const a of el.attributes) if (a.name.startsWith("on")) found.push("handler " + el.tagName + " " + a.name);
	}
	return found;
})()`

// xssCheck reports, for the page just loaded, everything a payload did.
func xssCheck(ctx context.Context, t *testing.T, w *xssWatch, where string) {
	t.Helper()
	// Give timers, focus and load handlers a moment to fire.
	var found []string
	if err := chromedp.Run(ctx, chromedp.Sleep(150*time.Millisecond), chromedp.Evaluate(xssProbe, &found)); err != nil {
		t.Fatalf("%s: probe: %v", where, err)
	}
	dialogs, requests := w.take()
	for _, f := range found {
		t.Errorf("%s: injected markup or script ran: %s", where, f)
	}
	for _, d := range dialogs {
		t.Errorf("%s: a JavaScript dialog opened: %s", where, d)
	}
	for _, r := range requests {
		t.Errorf("%s: request to another origin: %s", where, r)
	}
}

// TestBrowserXSS puts a corpus of attack payloads in titles, bodies,
// replies, reviewer input, people's and units' names, and visits every page
// of the table as every role with the page CSP switched off, so that the
// escaping alone must hold: no dialog may open, no payload marker may be
// set, no injected element or handler may be live, and no request may go to
// another origin.
func TestBrowserXSS(t *testing.T) {
	payloads := loadPayloads(t)
	// Names refuse bidirectional controls (dissent.checkLabel); the texts
	// keep them, and the pages show them as [U+…].
	names := make([]string, len(payloads))
	for i, p := range payloads {
		names[i] = strings.Map(func(r rune) rune {
			if dissent.IsBidiControl(r) {
				return -1
			}
			return r
		}, p)
	}
	pe := newPagesEnv(t, payloads, names)
	ctx := chromium(t)

	// First, that the detectors catch an injection: a page that is
	// vulnerable on purpose.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>bad</title><img src=x onerror="window.__xss_0=1"><script>alert(0)</script><img src="http://evil.example/x.gif">`)
	}))
	defer bad.Close()
	w := &xssWatch{}
	w.listen(ctx, pe.base)
	if err := chromedp.Run(ctx, network.Enable(), page.SetBypassCSP(true)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(bad.URL), chromedp.Sleep(300*time.Millisecond)); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("open the vulnerable page: %v", err)
	}
	var found []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(xssProbe, &found)); err != nil {
		t.Fatal(err)
	}
	dialogs, requests := w.take()
	if len(found) == 0 || len(dialogs) == 0 || len(requests) == 0 {
		t.Fatalf("detectors on a vulnerable page: markers %v, dialogs %v, requests %v; want all three to fire", found, dialogs, requests)
	}

	pages := 0
	pe.forEachPage(ctx, t, func(role, path string) {
		pages++
		xssCheck(ctx, t, w, role+" "+path)
	})
	// The second page of the inbox holds the rest of the titles.
	pe.signIn(ctx, t, "officer")
	for _, path := range []string{"/inbox?state=all&page=2", "/dashboard?org=state"} {
		if err := chromedp.Run(ctx, chromedp.Navigate(pe.base+path), chromedp.WaitReady("body", chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		xssCheck(ctx, t, w, "officer "+path)
	}
	t.Logf("%d payloads, %d pages", len(payloads), pages+2)
}

var screenshots = flag.Bool("screenshots", false, "write PNGs of the main pages into docs/screenshots")

// TestBrowserScreenshots renders the main pages at 390 px (a phone) and
// 1280 px, in the light scheme. With -screenshots it writes them into
// docs/screenshots; without, it checks each page renders something.
func TestBrowserScreenshots(t *testing.T) {
	pe := newPagesEnv(t, ordinaryTexts, ordinaryNames)
	ctx := chromium(t)
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if *screenshots {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	shots := []struct{ role, path, name string }{
		{"", "/signin", "signin"},
		{"officer", "/inbox", "inbox"},
		{"officer", "/dashboard", "dashboard"},
		{"monitor", "/timeliness", "timeliness"},
		{"principal", "/distributed", "distributed"},
		{"reviewer", "/consultations", "consultations"},
		{"employee", "/messages", "my-messages"},
		{"employee", "/messages/new", "editor"},
		{"employee", "/messages/{msg}", "message"},
		{"officer", "/messages/{msg}", "case"},
		{"admin", "/admin/people", "admin-people"},
	}
	err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shots {
		pe.signIn(ctx, t, sh.role)
		for _, width := range []int64{390, 1280} {
			height := int64(844)
			if width > 1000 {
				height = 900
			}
			var png []byte
			var text string
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, height),
				chromedp.Navigate(pe.base+strings.ReplaceAll(sh.path, "{msg}", string(pe.msg[sh.role]))),
				chromedp.WaitVisible("main", chromedp.ByQuery),
				chromedp.Text("main", &text, chromedp.ByQuery),
				chromedp.CaptureScreenshot(&png),
			)
			if err != nil {
				t.Fatalf("%s at %d px: %v", sh.path, width, err)
			}
			if len(strings.TrimSpace(text)) < 20 || len(png) < 1000 {
				t.Errorf("%s at %d px renders %d characters, a %d-byte image; want a page", sh.path, width, len(text), len(png))
			}
			if *screenshots {
				name := filepath.Join(dir, fmt.Sprintf("%s-%d.png", sh.name, width))
				if err := os.WriteFile(name, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
