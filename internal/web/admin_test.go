package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// adminEnv is the auth environment with a browser signed in as the
// administrator.
func adminEnv(t *testing.T) (*authEnv, *http.Client) {
	t.Helper()
	e := newAuthEnv(t, web.Limits{WritesPerPerson: web.Rate{Every: time.Millisecond, Burst: 10_000}, RequestsPerPerson: web.Rate{Every: time.Millisecond, Burst: 10_000}, SignInPerAddress: web.Rate{Every: time.Millisecond, Burst: 1000}})
	c := browser(t)
	e.signInWithLink(t, c, "admin@state.example")
	return e, c
}

func (e *authEnv) id(email string) string {
	return strconv.FormatInt(int64(e.people[email].ID), 10)
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	body, k, val := form(v)
	return do(t, c, "POST", u, body, k, val)
}

// fieldError finds the error shown beside a form field.
var fieldErrorRE = regexp.MustCompile(`<span class="field-error" role="alert">([^<]*)</span>`)

func wantRefused(t *testing.T, what string, resp *http.Response, body string, status int, errPart string, kept ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d; want %d", what, resp.StatusCode, status)
	}
	checkErrorsShown(t, what, body)
	m := fieldErrorRE.FindAllStringSubmatch(body, -1)
	found := false
	for _, x := range m {
		if strings.Contains(html.UnescapeString(x[1]), errPart) {
			found = true
		}
	}
	if !found {
		t.Errorf("%s: no field error containing %q beside a field (errors: %v)", what, errPart, m)
	}
	for _, k := range kept {
		if !strings.Contains(body, `value="`+html.EscapeString(k)+`"`) && !strings.Contains(body, html.EscapeString(k)) {
			t.Errorf("%s: the input %q was not kept", what, k)
		}
	}
}

func wantRedirect(t *testing.T, what string, resp *http.Response, prefix string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), prefix) {
		t.Errorf("%s: %d → %q; want 303 to %s…", what, resp.StatusCode, resp.Header.Get("Location"), prefix)
	}
}

// TestAdminPagesForbiddenForOthers: every administration page is 403 to
// anyone who is not an administrator, and the audit page to anyone who is
// not an auditor: the one refusal of an act one's roles do not open
// (docs/ARCHITECTURE.md), shown with no form and nothing of the page.
func TestAdminPagesForbiddenForOthers(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	paths := []string{"/admin", "/admin/orgs", "/admin/orgs/state", "/admin/people", "/admin/people?q=a", "/admin/people/import",
		"/admin/people/" + e.id("drafter@state.example")}
	posts := []string{"/admin/orgs", "/admin/orgs/state/units", "/admin/orgs/state/zone", "/admin/orgs/state/closures",
		"/admin/orgs/state/closures/2023-11-10/remove", "/admin/people", "/admin/people/" + e.id("officer@state.example") + "/roles",
		"/admin/people/" + e.id("officer@state.example") + "/supervisor", "/admin/people/" + e.id("officer@state.example") + "/unit",
		"/admin/people/" + e.id("officer@state.example") + "/signin-link", "/admin/people/" + e.id("officer@state.example") + "/tokens",
		"/admin/people/" + e.id("officer@state.example") + "/tokens/0123456789abcdef/revoke"}
	for _, who := range []string{"drafter@state.example", "officer@state.example", "director@state.example", "auditor@state.example", "monitor@state.example"} {
		c := browser(t)
		e.signInWithLink(t, c, who)
		for _, p := range paths {
			if resp, body := do(t, c, "GET", e.base+p, nil); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Add a person") ||
				strings.Contains(body, "<form") || !strings.Contains(body, "Only an administrator") {
				t.Errorf("%s: GET %s = %d; want 403 with the refusal and no form", who, p, resp.StatusCode)
			}
		}
		for _, p := range posts {
			resp, _ := post(t, c, e.base+p, url.Values{"id": {"x"}, "name": {"X"}, "roles": {"admin"}, "roles_form": {"1"}, "tz": {"UTC"}, "date": {"2030-01-02"}, "email": {"x@state.example"}, "org": {"state"}})
			want := http.StatusForbidden
			if strings.HasSuffix(p, "/tokens") {
				want = http.StatusNotFound // no such route: tokens are the person's own
			}
			if resp.StatusCode != want {
				t.Errorf("%s: POST %s = %d; want %d", who, p, resp.StatusCode, want)
			}
		}
		resp, _ := do(t, c, "GET", e.base+"/audit", nil)
		if want := map[bool]int{true: 200, false: 403}[who == "auditor@state.example"]; resp.StatusCode != want {
			t.Errorf("%s: GET /audit = %d; want %d", who, resp.StatusCode, want)
		}
	}
	// Nothing changed: the officer is still only an officer.
	p, err := e.Svc.PersonDetail(context.Background(), dissent.System, e.people["officer@state.example"].ID)
	if err != nil || p.Roles.String() != "officer" || len(p.Tokens) > 1 {
		t.Errorf("officer after the attempts: %v %v", p.Roles, err)
	}
}

func TestAdminOrgForms(t *testing.T) {
	e, c := adminEnv(t)
	base := e.base

	if resp, body := do(t, c, "GET", base+"/admin", nil); resp.StatusCode != 200 || !strings.Contains(body, "Department of State") {
		t.Fatalf("GET /admin = %d", resp.StatusCode)
	}
	resp, _ := post(t, c, base+"/admin/orgs", url.Values{"id": {"dod"}, "name": {"Department of Defense"}, "tz": {"America/Chicago"}})
	wantRedirect(t, "add org", resp, "/admin/orgs/dod")
	resp, body := post(t, c, base+"/admin/orgs", url.Values{"id": {"Bad Id"}, "name": {"Kept Name"}, "tz": {"UTC"}})
	wantRefused(t, "add org with a bad id", resp, body, 400, "Id must be 1 to 64", "Bad Id", "Kept Name")
	resp, body = post(t, c, base+"/admin/orgs", url.Values{"id": {"mars"}, "name": {"Mars"}, "tz": {"Mars/Olympus"}})
	wantRefused(t, "add org with a bad zone", resp, body, 400, "Unknown time zone", "Mars/Olympus")
	resp, body = post(t, c, base+"/admin/orgs", url.Values{"id": {"dod"}, "name": {"Again"}})
	wantRefused(t, "add a duplicate org", resp, body, 409, "already exists", "Again")

	resp, _ = post(t, c, base+"/admin/orgs/dod/units", url.Values{"id": {"army"}, "name": {"Army"}})
	wantRedirect(t, "add unit", resp, "/admin/orgs/dod")
	resp, _ = post(t, c, base+"/admin/orgs/dod/units", url.Values{"id": {"corps"}, "name": {"Corps of Engineers"}, "parent": {"army"}})
	wantRedirect(t, "add child unit", resp, "/admin/orgs/dod")
	resp, body = post(t, c, base+"/admin/orgs/dod/units", url.Values{"id": {"navy"}, "name": {"Navy Kept"}, "parent": {"nowhere"}})
	wantRefused(t, "add unit under a missing parent", resp, body, 400, `No unit "nowhere"`, "Navy Kept", "navy")
	resp, body = post(t, c, base+"/admin/orgs/dod/units", url.Values{"id": {"navy"}, "name": {strings.Repeat("n", 201)}})
	wantRefused(t, "add unit with a long name", resp, body, 400, "at most 200")

	resp, body = do(t, c, "GET", base+"/admin/orgs/dod", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `class="depth-1"><strong>Corps of Engineers`) || !strings.Contains(body, "America/Chicago") {
		t.Errorf("org page: %d; want the unit tree and the zone: %s", resp.StatusCode, body)
	}

	resp, _ = post(t, c, base+"/admin/orgs/dod/zone", url.Values{"tz": {"Europe/Paris"}})
	wantRedirect(t, "change zone", resp, "/admin/orgs/dod")
	resp, body = post(t, c, base+"/admin/orgs/dod/zone", url.Values{"tz": {"Nowhere/Land"}})
	wantRefused(t, "change to a bad zone", resp, body, 400, "Unknown time zone", "Nowhere/Land")

	resp, _ = post(t, c, base+"/admin/orgs/dod/closures", url.Values{"date": {"2030-01-02"}, "reason": {"Snow"}})
	wantRedirect(t, "add closure", resp, "/admin/orgs/dod")
	resp, body = post(t, c, base+"/admin/orgs/dod/closures", url.Values{"date": {"02/01/2030"}, "reason": {"Kept reason"}})
	wantRefused(t, "add a malformed closure", resp, body, 400, "YYYY-MM-DD", "Kept reason")
	_, body = do(t, c, "GET", base+"/admin/orgs/dod", nil)
	if !strings.Contains(body, "2030-01-02") || !strings.Contains(body, "Europe/Paris") || !strings.Contains(body, "Snow") {
		t.Errorf("org page lacks the closure or the new zone")
	}
	resp, _ = post(t, c, base+"/admin/orgs/dod/closures/2030-01-02/remove", nil)
	wantRedirect(t, "remove closure", resp, "/admin/orgs/dod")
	resp, _ = post(t, c, base+"/admin/orgs/dod/closures/2030-01-02/remove", nil)
	if resp.StatusCode != 404 {
		t.Errorf("removing a closure twice: %d; want 404", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", base+"/admin/orgs/nowhere", nil); resp.StatusCode != 404 {
		t.Errorf("missing org page: %d; want 404", resp.StatusCode)
	}
	// Every change is in the audit log.
	for _, k := range []string{"org.added", "unit.added", "calendar.zone_changed", "calendar.closure_added", "calendar.closure_removed"} {
		if countEvents(t, e, k) == 0 {
			t.Errorf("no %s event", k)
		}
	}
}

func TestAdminPeoplePages(t *testing.T) {
	e, c := adminEnv(t)
	ctx := context.Background()
	base := e.base
	var in []dissent.PersonInput
	for i := range 120 {
		in = append(in, dissent.PersonInput{Email: fmt.Sprintf("zz%03d@state.example", i), Name: fmt.Sprintf("Zed %03d", i), OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}})
	}
	if _, err := e.Svc.AddPeople(ctx, dissent.System, in); err != nil {
		t.Fatal(err)
	}
	// Search by e-mail prefix and by name prefix; pages of 50.
	_, body := do(t, c, "GET", base+"/admin/people?q=zz", nil)
	if n := strings.Count(body, `<td><a href="/admin/people/`); n != 50 || !strings.Contains(body, `id="next-page"`) {
		t.Fatalf("first page of zz: %d rows, next link %v; want 50 and a next link", n, strings.Contains(body, "next-page"))
	}
	next := html.UnescapeString(regexp.MustCompile(`href="([^"]*)" id="next-page"`).FindStringSubmatch(body)[1])
	seen := 50
	for next != "" {
		_, body = do(t, c, "GET", base+next, nil)
		seen += strings.Count(body, `<td><a href="/admin/people/`)
		m := regexp.MustCompile(`href="([^"]*)" id="next-page"`).FindStringSubmatch(body)
		next = ""
		if m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if seen != 120 {
		t.Errorf("pages of zz held %d people; want 120", seen)
	}
	if _, body = do(t, c, "GET", base+"/admin/people?q=ZED+11", nil); strings.Count(body, `<td><a href="/admin/people/`) != 10 {
		t.Errorf("name prefix 'ZED 11' found %d; want 10", strings.Count(body, `<td><a href="/admin/people/`))
	}
	if _, body = do(t, c, "GET", base+"/admin/people?q=%25", nil); strings.Count(body, `<td><a href="/admin/people/`) != 0 {
		t.Error("a % in the search matched people: LIKE is not escaped")
	}
	if _, body = do(t, c, "GET", base+"/admin/people?role=auditor", nil); strings.Count(body, `<td><a href="/admin/people/`) != 1 || !strings.Contains(body, "auditor@state.example") {
		t.Error("role filter auditor does not find exactly the auditor")
	}
	if resp, _ := do(t, c, "GET", base+"/admin/people?role=wizard", nil); resp.StatusCode != 400 {
		t.Errorf("role filter wizard: %d; want 400", resp.StatusCode)
	}

	// Add a person: refused input is kept, then accepted.
	resp, body := post(t, c, base+"/admin/people", url.Values{"email": {"not-an-address"}, "name": {"Nia Kept"}, "org": {"state"}, "roles": {"employee", "reviewer"}})
	wantRefused(t, "add a person with a bad e-mail", resp, body, 400, "not an e-mail address", "not-an-address", "Nia Kept")
	if !strings.Contains(body, `value="reviewer" checked`) {
		t.Error("the ticked roles were not kept")
	}
	resp, body = post(t, c, base+"/admin/people", url.Values{"email": {"nia@state.example"}, "name": {"Nia"}, "org": {"state"}})
	wantRefused(t, "add a person without roles", resp, body, 400, "At least one role")
	resp, _ = post(t, c, base+"/admin/people", url.Values{"email": {"nia@state.example"}, "name": {"Nia"}, "org": {"state"}, "supervisor": {"boss@state.example"}, "roles": {"employee"}})
	wantRedirect(t, "add a person", resp, "/admin/people/")
	nia, err := e.Svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{Prefix: "nia@"})
	if err != nil || len(nia.People) != 1 || nia.People[0].SupervisorID != e.people["boss@state.example"].ID {
		t.Fatalf("Nia after adding: %+v %v", nia.People, err)
	}
	niaPath := base + "/admin/people/" + strconv.FormatInt(int64(nia.People[0].ID), 10)

	// Roles.
	resp, _ = post(t, c, niaPath+"/roles", url.Values{"roles_form": {"1"}, "roles": {"employee", "reviewer"}})
	wantRedirect(t, "change roles", resp, "/admin/people/")
	if _, body = do(t, c, "GET", niaPath, nil); !strings.Contains(body, `id="person-roles">employee;reviewer`) {
		t.Error("the new roles are not shown")
	}
	resp, body = post(t, c, niaPath+"/roles", url.Values{"roles_form": {"1"}})
	wantRefused(t, "remove every role", resp, body, 400, "At least one role")

	// Supervisor: a cycle is refused and the input kept.
	resp, _ = post(t, c, base+"/admin/people/"+e.id("boss@state.example")+"/supervisor", url.Values{"supervisor": {"drafter@state.example"}})
	if resp.StatusCode != 400 {
		t.Errorf("a supervisor cycle: %d; want 400", resp.StatusCode)
	}
	resp, body = post(t, c, base+"/admin/people/"+e.id("boss@state.example")+"/supervisor", url.Values{"supervisor": {"drafter@state.example"}})
	wantRefused(t, "supervisor cycle", resp, body, 400, "cycle", "drafter@state.example")
	resp, body = post(t, c, niaPath+"/supervisor", url.Values{"supervisor": {"ghost@state.example"}})
	wantRefused(t, "unknown supervisor", resp, body, 400, "No person", "ghost@state.example")
	resp, _ = post(t, c, niaPath+"/supervisor", url.Values{"supervisor": {""}})
	wantRedirect(t, "clear supervisor", resp, "/admin/people/")

	// Unit.
	if _, err := e.Svc.AddUnit(ctx, dissent.System, dissent.UnitInput{ID: "spp", OrgID: "state", Name: "Policy Planning"}); err != nil {
		t.Fatal(err)
	}
	resp, _ = post(t, c, niaPath+"/unit", url.Values{"unit": {"spp"}})
	wantRedirect(t, "set unit", resp, "/admin/people/")
	resp, body = post(t, c, niaPath+"/unit", url.Values{"unit": {"nowhere"}})
	wantRefused(t, "unknown unit", resp, body, 400, `No unit "nowhere"`)

	// A one-time sign-in link, shown once, that works once.
	resp, body = post(t, c, niaPath+"/signin-link", nil)
	m := regexp.MustCompile(`id="new-link">[^<]*/signin/link/(dsl_[A-Za-z0-9_-]+)<`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("issue a sign-in link: %d; no link shown", resp.StatusCode)
	}
	if _, body = do(t, c, "GET", niaPath, nil); strings.Contains(body, m[1]) {
		t.Error("the sign-in link is shown again")
	}
	if _, err := e.Svc.SignInWithLink(ctx, dissent.NewSecret(m[1]), ""); err != nil {
		t.Errorf("the issued link does not sign Nia in: %v", err)
	}

	// Nia has signed in: no administrator alone may issue her another
	// link, and no one issues her a token on the web.
	if resp, body = post(t, c, niaPath+"/signin-link", nil); resp.StatusCode != 403 || strings.Contains(body, "/signin/link/dsl_") {
		t.Errorf("a second link from one administrator: %d; want 403 and no link", resp.StatusCode)
	}
	if resp, _ = post(t, c, niaPath+"/tokens", nil); resp.StatusCode != 404 && resp.StatusCode != 405 {
		t.Errorf("POST …/tokens: %d; want the route gone", resp.StatusCode)
	}

	// Tokens: Nia makes her own; the administrator sees it listed and revokes it.
	niaP, err := e.Svc.PersonByEmail(ctx, dissent.System, "nia@state.example")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := e.Svc.CreateToken(ctx, dissent.Actor{Person: niaP}, "script")
	if err != nil {
		t.Fatal(err)
	}
	tm := []string{"", tok.Reveal()}
	_, body = do(t, c, "GET", niaPath, nil)
	tid := regexp.MustCompile(`/tokens/([0-9a-f]{16})/revoke`).FindStringSubmatch(body)
	if tid == nil {
		t.Fatal("the token is not listed with a revoke button")
	}
	resp, _ = post(t, c, niaPath+"/tokens/"+tid[1]+"/revoke", nil)
	wantRedirect(t, "revoke token", resp, "/admin/people/")
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(tm[1]), ""); err == nil {
		t.Error("the revoked token still works")
	}
	if resp, _ = post(t, c, niaPath+"/tokens/"+tid[1]+"/revoke", nil); resp.StatusCode != 404 {
		t.Errorf("revoking twice: %d; want 404", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", base+"/admin/people/99999", nil); resp.StatusCode != 404 {
		t.Errorf("missing person: %d; want 404", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", base+"/admin/people/abc", nil); resp.StatusCode != 404 {
		t.Errorf("malformed person id: %d; want 404", resp.StatusCode)
	}
	for _, k := range []string{"person.added", "person.roles_changed", "person.supervisor_changed", "person.unit_changed", "signin_link.issued", "token.revoked"} {
		if countEvents(t, e, k) == 0 {
			t.Errorf("no %s event", k)
		}
	}
}

// TestAdminCannotGrantThemselvesContentRoles: the administrator may not
// give themselves any role that reads the channel, but another
// administrator may; and the last administrator keeps the role.
func TestAdminCannotGrantThemselvesContentRoles(t *testing.T) {
	e, c := adminEnv(t)
	self := e.base + "/admin/people/" + e.id("admin@state.example")
	for _, r := range dissent.ContentRoles {
		resp, body := post(t, c, self+"/roles", url.Values{"roles_form": {"1"}, "roles": {"admin", string(r)}})
		wantRefused(t, "self-grant "+string(r), resp, body, 403, "may not grant themselves")
		if !strings.Contains(body, `value="`+string(r)+`" checked`) {
			t.Errorf("self-grant %s: the ticked role was not kept", r)
		}
	}
	p, _ := e.Svc.PersonDetail(context.Background(), dissent.System, e.people["admin@state.example"].ID)
	if p.Roles.String() != "admin" {
		t.Fatalf("the administrator's roles became %s", p.Roles)
	}
	// Employee is not a content role.
	resp, _ := post(t, c, self+"/roles", url.Values{"roles_form": {"1"}, "roles": {"admin", "employee"}})
	wantRedirect(t, "self-grant employee", resp, "/admin/people/")
	// The last administrator cannot drop the role.
	resp, body := post(t, c, self+"/roles", url.Values{"roles_form": {"1"}, "roles": {"employee"}})
	wantRefused(t, "drop the last admin", resp, body, 409, "last administrator")
	// Another administrator may grant a content role.
	if _, err := e.Svc.AddPeople(context.Background(), dissent.System, []dissent.PersonInput{{Email: "admin2@state.example", Name: "Second", OrgID: "state", Roles: []dissent.Role{dissent.RoleAdmin}}}); err != nil {
		t.Fatal(err)
	}
	c2 := browser(t)
	e.signInWithLink(t, c2, "admin2@state.example")
	resp, _ = post(t, c2, self+"/roles", url.Values{"roles_form": {"1"}, "roles": {"admin", "auditor"}})
	wantRedirect(t, "another admin grants auditor", resp, "/admin/people/")
}

// TestAdminPagesShowNoChannelUse: nothing an administrator sees tells that
// a person drafted or signed a message, or what a message says.
func TestAdminPagesShowNoChannelUse(t *testing.T) {
	e, c := adminEnv(t)
	ctx := context.Background()
	drafter, signer := e.people["drafter@state.example"].Actor, e.people["outsider@state.example"].Actor
	const title = "Secret-Title-Zebra about the policy"
	m, err := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: title, Summary: "Summary-Quokka", Body: "Body-Narwhal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, drafter, m.ID, []string{"outsider@state.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Sign(ctx, signer, m.ID, m.ContentHash, 0); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin", "/admin/orgs", "/admin/orgs/state", "/admin/people", "/admin/people?q=drafter", "/admin/people/import",
		"/admin/people/" + e.id("drafter@state.example"), "/admin/people/" + e.id("outsider@state.example")}
	for _, p := range pages {
		resp, body := do(t, c, "GET", e.base+p, nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", p, resp.StatusCode)
		}
		main := body
		if i := strings.Index(main, "<footer"); i >= 0 {
			main = main[:i]
		}
		for _, bad := range []string{"Zebra", "Quokka", "Narwhal", string(m.ID), "signature", "signed", "drafted", "dissent message", "co-sign"} {
			if strings.Contains(strings.ToLower(main), strings.ToLower(bad)) {
				t.Errorf("GET %s shows %q", p, bad)
			}
		}
	}
	// The pages of a signer and of someone who never used the channel are
	// the same but for who they are.
	norm := func(email string) string {
		_, body := do(t, c, "GET", e.base+"/admin/people/"+e.id(email), nil)
		p := e.people[email]
		body = strings.ReplaceAll(body, p.Name, "NAME")
		body = strings.ReplaceAll(body, p.Email, "EMAIL")
		body = regexp.MustCompile(`(?s)<fieldset><legend>Roles of.*?</fieldset>`).ReplaceAllString(body, "ROLES")
		body = regexp.MustCompile(`[0-9a-f]{16}`).ReplaceAllString(body, "TOKEN")
		return strings.ReplaceAll(body, "/admin/people/"+e.id(email), "/admin/people/ID")
	}
	if a, b := norm("outsider@state.example"), norm("reviewer@state.example"); strings.ReplaceAll(a, "employee", "ROLE") != strings.ReplaceAll(b, "reviewer", "ROLE") {
		x, y := strings.ReplaceAll(a, "employee", "ROLE"), strings.ReplaceAll(b, "reviewer", "ROLE")
		for i := range min(len(x), len(y)) {
			if x[i] != y[i] {
				t.Errorf("a signer's page differs from a non-signer's in more than name and roles, at %q / %q", x[max(0, i-80):min(len(x), i+80)], y[max(0, i-80):min(len(y), i+80)])
				break
			}
		}
	}
}

func upload(t *testing.T, c *http.Client, u, csv, creds string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if creds != "" {
		_ = w.WriteField("credentials", creds)
	}
	fw, _ := w.CreateFormFile("file", "people.csv")
	fw.Write([]byte(csv))
	w.Close()
	return do(t, c, "POST", u, &buf, "Content-Type", w.FormDataContentType())
}

func TestAdminImport(t *testing.T) {
	e, c := adminEnv(t)
	ctx := context.Background()
	u := e.base + "/admin/people/import"
	count := func() int {
		pg, err := e.Svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return pg.Total
	}
	before := count()
	if resp, body := do(t, c, "GET", u, nil); resp.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("GET import: %d", resp.StatusCode)
	}
	// Bad lines: every one listed, nobody imported.
	bad := "email,name,org,unit,supervisor,roles\nok@state.example,Ok,state,,,employee\nnot-an-address,Bad,state,,,employee\nx@state.example,X,state,,,wizard\n"
	resp, body := upload(t, c, u, bad, "links")
	if resp.StatusCode != 400 || !strings.Contains(body, "Line 3, column <strong>email</strong>") || !strings.Contains(body, "Line 4, column <strong>roles</strong>") {
		t.Errorf("bad file: %d; want both bad lines named: %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `value="links" checked`) {
		t.Error("the credentials choice was not kept")
	}
	// What the file says is shown escaped.
	resp, body = upload(t, c, u, "email,name,org,unit,supervisor,roles\nx@state.example,X,state,,,<script>alert(1)</script>\n", "none")
	if resp.StatusCode != 400 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("a role with markup: %d; want 400 and the markup escaped", resp.StatusCode)
	}
	// A line the Service refuses (unknown organization) is named by line.
	resp, body = upload(t, c, u, "email,name,org,unit,supervisor,roles\nok@state.example,Ok,state,,,employee\n\nmars@mars.example,M,mars,,,employee\n", "none")
	if resp.StatusCode != 400 || !strings.Contains(body, "Line 4, column <strong>org</strong>") {
		t.Errorf("unknown org: %d; want line 4 named: %s", resp.StatusCode, body)
	}
	if got := count(); got != before {
		t.Fatalf("after refused imports there are %d people; want %d (nothing half-imported)", got, before)
	}
	// Too large.
	resp, body = upload(t, c, u, "email,name,org,unit,supervisor,roles\n"+strings.Repeat("a", 5<<20), "none")
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "at most 4 MiB") {
		t.Errorf("oversized file: %d; want 413 naming the limit", resp.StatusCode)
	}
	// No file.
	resp, body = upload(t, c, u, "", "none")
	if resp.StatusCode != 400 || !strings.Contains(body, "the file is empty") {
		t.Errorf("empty file: %d; want 400 saying so", resp.StatusCode)
	}
	// Tokens for other people are not issued on the web.
	good := "email,name,org,unit,supervisor,roles\nnew1@state.example,New One,state,,new2@state.example,employee\nnew2@state.example,New Two,state,,,employee;reviewer\n"
	if resp, _ = upload(t, c, u, good, "tokens"); resp.StatusCode != 400 {
		t.Errorf("an import with tokens: %d; want 400", resp.StatusCode)
	}
	resp, body = upload(t, c, u, good, "none")
	if resp.StatusCode != 200 || strings.Contains(body, "dsn_") || !strings.Contains(body, "2 people imported") {
		t.Fatalf("good import: %d", resp.StatusCode)
	}
	// Links.
	resp, body = upload(t, c, u, "email,name,org,unit,supervisor,roles\nnew3@state.example,New Three,state,,,employee\n", "links")
	if resp.StatusCode != 200 || !regexp.MustCompile(`/signin/link/dsl_`).MatchString(body) {
		t.Errorf("import with links: %d; no link shown", resp.StatusCode)
	}
	if got := count(); got != before+3 {
		t.Errorf("after the good imports there are %d people; want %d", got, before+3)
	}
	// A duplicate of an existing person names its line.
	resp, body = upload(t, c, u, "email,name,org,unit,supervisor,roles\nfresh@state.example,F,state,,,employee\nnew1@state.example,Again,state,,,employee\n", "none")
	if resp.StatusCode != 400 || !strings.Contains(body, "Line 3, column <strong>email</strong>") || !strings.Contains(body, "already in the directory") {
		t.Errorf("duplicate: %d; want 400 naming line 3: %s", resp.StatusCode, body)
	}
}

func TestAuditPage(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	var in []dissent.PersonInput
	for i := range 60 {
		in = append(in, dissent.PersonInput{Email: fmt.Sprintf("p%02d@state.example", i), Name: "P", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}})
	}
	if _, err := e.Svc.AddPeople(context.Background(), dissent.System, in); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Log.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	e.signInWithLink(t, c, "auditor@state.example")
	resp, body := do(t, c, "GET", e.base+"/audit", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="log-size"`) || !strings.Contains(body, "person.added") {
		t.Fatalf("GET /audit = %d; want the size and recent events: %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `id="checkpoint"`) {
		t.Error("no checkpoint shown")
	}
	if !strings.Contains(body, `id="older"`) {
		t.Error("no link to older events (the cast makes more than a page)")
	}
	older := regexp.MustCompile(`href="(/audit\?before=\d+)"`).FindStringSubmatch(body)
	if resp, body := do(t, c, "GET", e.base+older[1], nil); resp.StatusCode != 200 || !strings.Contains(body, "<td>1</td>") {
		t.Errorf("older events: %d; want the first event (sequence 1) at the end", resp.StatusCode)
	}
}

// TestAdminCannotActAsAnother plays issue 11's attack on the web: an
// administrator tries every route to a credential for a plain employee who
// has signed in, and gets none; a second administrator's approval issues a
// link, and the employee's account page lists every credential issued.
func TestAdminCannotActAsAnother(t *testing.T) {
	e, c := adminEnv(t)
	ctx := context.Background()
	victim := browser(t)
	e.signInWithLink(t, victim, "drafter@state.example")
	path := e.base + "/admin/people/" + e.id("drafter@state.example")

	if _, body := do(t, c, "GET", path, nil); strings.Contains(body, `id="issue-link"`) || !strings.Contains(body, `id="request-link"`) {
		t.Error("the page of a person whose account is in use offers a link from one administrator")
	}
	for _, route := range []string{"/signin-link", "/tokens"} {
		resp, body := post(t, c, path+route, nil)
		if resp.StatusCode < 400 || strings.Contains(body, "dsl_") || strings.Contains(body, "dsn_") {
			t.Errorf("POST %s for a person who signed in: %d; want a refusal and no secret", route, resp.StatusCode)
		}
	}
	resp, _ := post(t, c, path+"/signin-link/request", nil)
	wantRedirect(t, "ask for a link", resp, "/admin/people/")
	reqs, err := e.Svc.CredentialRequests(ctx, dissent.System, e.people["drafter@state.example"].ID)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests: %v, %v", reqs, err)
	}
	approve := path + "/requests/" + strconv.FormatInt(reqs[0].ID, 10) + "/approve"
	if resp, body := post(t, c, approve, nil); resp.StatusCode != 403 || strings.Contains(body, "dsl_") {
		t.Errorf("the asking administrator approves: %d; want 403", resp.StatusCode)
	}
	_, body := do(t, victim, "GET", e.base+"/account", nil)
	if !strings.Contains(body, `id="open-request"`) || !strings.Contains(body, "asked for a new sign-in link") {
		t.Error("the victim's account page does not show the open request")
	}

	if _, body := do(t, c, "GET", e.base+"/admin", nil); !strings.Contains(body, `id="pending-requests"`) || !strings.Contains(body, "drafter@state.example") {
		t.Error("the administration overview does not list the pending request")
	}
	second := browser(t)
	if _, err := e.Svc.AddPeople(ctx, dissent.System, []dissent.PersonInput{{Email: "admin2@state.example", Name: "Second", OrgID: "state", Roles: []dissent.Role{dissent.RoleAdmin}}}); err != nil {
		t.Fatal(err)
	}
	e.signInWithLink(t, second, "admin2@state.example")
	resp, body = post(t, second, approve, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="new-link"`) {
		t.Fatalf("the second administrator approves: %d; want the link shown once (no e-mail here)", resp.StatusCode)
	}
	_, body = do(t, victim, "GET", e.base+"/account", nil)
	if !strings.Contains(body, "two administrators") || !strings.Contains(body, "A one-time sign-in link was issued for your Dissent account.") {
		t.Error("the victim's account page does not list the link two administrators issued")
	}
}

// TestAdminLifeCycle: an administrator changes a person's details,
// deactivates them (their sessions and tokens stop at once) and
// reactivates them, on the person's page.
func TestAdminLifeCycle(t *testing.T) {
	e, c := adminEnv(t)
	ctx := context.Background()
	victim := browser(t)
	e.signInWithLink(t, victim, "drafter@state.example")
	path := e.base + "/admin/people/" + e.id("drafter@state.example")

	resp, body := post(t, c, path+"/details", url.Values{"name": {"Renamed"}, "email": {"not an address"}, "org": {"state"}})
	wantRefused(t, "a bad e-mail", resp, body, 400, "e-mail", "Renamed")
	resp, _ = post(t, c, path+"/details", url.Values{"name": {"Renamed Drafter"}, "email": {"drafter@state.example"}, "org": {"usaid"}})
	wantRedirect(t, "change details", resp, "/admin/people/")
	p, err := e.Svc.PersonByEmail(ctx, dissent.System, "drafter@state.example")
	if err != nil || p.Name != "Renamed Drafter" || p.OrgID != "usaid" || p.UnitID != "" {
		t.Errorf("after the details form: %+v, %v", p, err)
	}

	if resp, _ := do(t, victim, "GET", e.base+"/account", nil); resp.StatusCode != 200 {
		t.Fatalf("the drafter's session before deactivation: %d", resp.StatusCode)
	}
	resp, _ = post(t, c, path+"/deactivate", nil)
	wantRedirect(t, "deactivate", resp, "/admin/people/")
	if resp, _ := do(t, victim, "GET", e.base+"/account", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the deactivated drafter's session: %d; want a redirect to /signin", resp.StatusCode)
	}
	if _, err := e.Svc.AuthenticateToken(ctx, dissent.NewSecret(e.people["drafter@state.example"].Token), ""); err == nil {
		t.Error("the deactivated drafter's token still works")
	}
	if _, body := do(t, c, "GET", path, nil); !strings.Contains(body, `id="reactivate"`) || !strings.Contains(body, "deactivated") {
		t.Error("the person's page does not show the deactivation")
	}
	if _, body := do(t, c, "GET", e.base+"/admin/people?q=drafter", nil); !strings.Contains(body, `<span class="badge">deactivated</span>`) {
		t.Error("the people list does not mark the deactivated person")
	}
	if resp, _ := post(t, c, e.base+"/admin/people/"+e.id("admin@state.example")+"/deactivate", nil); resp.StatusCode != 403 {
		t.Errorf("an administrator deactivates themselves: %d; want 403", resp.StatusCode)
	}
	resp, _ = post(t, c, path+"/reactivate", nil)
	wantRedirect(t, "reactivate", resp, "/admin/people/")
	if p, _ := e.Svc.PersonByEmail(ctx, dissent.System, "drafter@state.example"); !p.Active() {
		t.Error("reactivation did not take")
	}
}
