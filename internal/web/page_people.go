package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The administrator's pages. They show and change the directory only:
// organizations, units, people, roles, calendars and credentials. Nothing
// here reads a message, and no page says whether a person ever used the
// channel. Every handler calls the Service, which refuses anyone but an
// administrator with NotFound, so a non-administrator sees 404.

// adminRoutes lists the administrator's and the auditor's pages, and the
// demo's pages when Options.Demo is set.
func (s *Server) adminRoutes() {
	m := s
	m.handle("GET /admin", s.page(s.handleAdmin))
	m.handle("GET /admin/orgs", s.page(s.handleAdminOrgs))
	m.handle("POST /admin/orgs", s.page(s.handleAdminOrgCreate))
	m.handle("GET /admin/orgs/{id}", s.page(s.handleAdminOrg))
	m.handle("POST /admin/orgs/{id}/units", s.page(s.handleAdminUnitCreate))
	m.handle("POST /admin/orgs/{id}/zone", s.page(s.handleAdminZone))
	m.handle("POST /admin/orgs/{id}/closures", s.page(s.handleAdminClosureCreate))
	m.handle("POST /admin/orgs/{id}/closures/{date}/remove", s.page(s.handleAdminClosureRemove))
	m.handle("GET /admin/people", s.page(s.handleAdminPeople))
	m.handle("POST /admin/people", s.page(s.handleAdminPersonCreate))
	m.handle("GET /admin/people/import", s.page(s.handleAdminImport))
	m.handle("POST /admin/people/import", s.page(s.handleAdminImportUpload))
	m.handle("GET /admin/people/{id}", s.page(s.handleAdminPerson))
	m.handle("POST /admin/people/{id}/roles", s.page(s.handleAdminRoles))
	m.handle("POST /admin/people/{id}/supervisor", s.page(s.handleAdminSupervisor))
	m.handle("POST /admin/people/{id}/unit", s.page(s.handleAdminUnit))
	m.handle("POST /admin/people/{id}/details", s.page(s.handleAdminDetails))
	m.handle("POST /admin/people/{id}/deactivate", s.page(s.handleAdminDeactivate))
	m.handle("POST /admin/people/{id}/reactivate", s.page(s.handleAdminReactivate))
	m.handle("POST /admin/people/{id}/signin-link", s.page(s.handleAdminSignInLink))
	m.handle("POST /admin/people/{id}/signin-link/request", s.page(s.handleAdminLinkRequest))
	m.handle("POST /admin/people/{id}/requests/{req}/approve", s.page(s.handleAdminLinkApprove))
	m.handle("POST /admin/people/{id}/requests/{req}/cancel", s.page(s.handleAdminLinkCancel))
	m.handle("POST /admin/people/{id}/tokens/{token}/revoke", s.page(s.handleAdminTokenRevoke))
	s.vocabularyAdminRoutes() // vocabulary.go
	m.handle("GET /audit", s.page(s.handleAudit))
	if s.demo {
		s.demoRoutes()
	}
}

func init() {
	flashes["org_added"] = "Organization added."
	flashes["unit_added"] = "Unit added."
	flashes["zone_changed"] = "Time zone changed."
	flashes["closure_added"] = "Closure added."
	flashes["closure_removed"] = "Closure removed."
	flashes["person_added"] = "Person added."
	flashes["roles_changed"] = "Roles changed."
	flashes["supervisor_changed"] = "Supervisor changed."
	flashes["unit_changed"] = "Unit changed."
	flashes["token_revoked"] = "Token revoked."
	flashes["details_changed"] = "Details changed."
	flashes["deactivated"] = "Deactivated: their sessions were ended, their tokens revoked and their links spent."
	flashes["reactivated"] = "Reactivated. They need a new sign-in link, approved by a second administrator."
	flashes["link_mailed"] = "A one-time sign-in link was e-mailed to the person. It is not shown here."
	flashes["link_requested"] = "Request recorded. A second administrator must approve it; the person was told."
	flashes["request_cancelled"] = "Request cancelled."
}

// adminRefused answers an error of the Service that leaves nothing to
// show: a page that does not exist (NotFound: the ordinary 404 page), or
// one the actor's roles do not open (Forbidden with the code "forbidden",
// the refusal of dissent.May's decision: 403 with the Service's message,
// and no form). Any other error belongs beside its form, and false is
// returned.
func (s *Server) adminRefused(w http.ResponseWriter, r *http.Request, err error) bool {
	switch e := dissent.AsError(err); {
	case e.Kind == dissent.KindNotFound:
		p := s.newPage(r, nil, "Not found")
		p.Error = "There is no page here, or you may not see it."
		s.show(w, r, http.StatusNotFound, "notfound", p)
		return true
	case e.Kind == dissent.KindForbidden && e.Code == "forbidden":
		p := s.newPage(r, nil, "Not allowed")
		s.show(w, r, s.fail(r, p, err), "office-error", p)
		return true
	}
	return false
}

// --- overview ---

// --- organizations ---

// --- people ---

type adminPeople struct {
	dissent.PeoplePage
	Query dissent.PeopleQuery
	Orgs  []dissent.OrgSummary
	Roles []dissent.Role
	// NextURL is the link to the next page, with the search kept.
	NextURL string
	// Checked are the roles ticked in the add form.
	Checked map[dissent.Role]bool
}

// checkedRoles are the roles a form had ticked, or else have.
func checkedRoles(form url.Values, have dissent.Roles) map[dissent.Role]bool {
	m := map[dissent.Role]bool{}
	if form != nil {
		for _, v := range form["roles"] {
			m[dissent.Role(v)] = true
		}
		return m
	}
	for _, r := range have {
		m[r] = true
	}
	return m
}

func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	qv := r.URL.Query()
	q := dissent.PeopleQuery{Prefix: qv.Get("q"), OrgID: qv.Get("org"), Role: dissent.Role(qv.Get("role")), After: qv.Get("after")}
	d := adminPeople{Query: q, Roles: dissent.AllRoles, Checked: checkedRoles(p.Form, dissent.Roles{dissent.RoleEmployee})}
	orgs, err := s.svc.ListOrgs(r.Context(), a)
	if err == nil {
		d.Orgs = orgs
		d.PeoplePage, err = s.svc.SearchPeople(r.Context(), a, q)
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		if st := s.fail(r, p, err); status < 400 {
			status = st
		}
	}
	if d.Next != "" {
		v := url.Values{}
		for k, val := range map[string]string{"q": q.Prefix, "org": q.OrgID, "role": string(q.Role), "after": d.Next} {
			if val != "" {
				v.Set(k, val)
			}
		}
		d.NextURL = "/admin/people?" + v.Encode()
	}
	p.Data = d
	s.show(w, r, status, "admin_people", p)
}

func (s *Server) handleAdminPeople(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderPeople(w, r, a, http.StatusOK, s.newPage(r, &a, "People"))
}

func formRoles(f url.Values) ([]dissent.Role, error) {
	var out []dissent.Role
	for _, v := range f["roles"] {
		role, err := dissent.ParseRole(v)
		if err != nil {
			return nil, err
		}
		out = append(out, role)
	}
	return out, nil
}

func (s *Server) handleAdminPersonCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	err := readForm(r)
	var ps []dissent.NewPerson
	if err == nil {
		var roles []dissent.Role
		if roles, err = formRoles(r.PostForm); err == nil {
			f := r.PostForm
			ps, err = s.svc.AddPeople(r.Context(), a, []dissent.PersonInput{{Email: f.Get("email"), Name: strings.TrimSpace(f.Get("name")),
				OrgID: f.Get("org"), UnitID: strings.TrimSpace(f.Get("unit")), Supervisor: f.Get("supervisor"), Roles: roles}})
		}
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		p := s.newPage(r, &a, "People")
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderPeople(w, r, a, status, p)
		return
	}
	done(w, r, "/admin/people/"+strconv.FormatInt(int64(ps[0].ID), 10), "person_added")
}

type adminPerson struct {
	dissent.PersonDetail
	Roles   []dissent.Role
	Self    bool
	Content dissent.Roles
	NewLink string
	Checked map[dissent.Role]bool
	Orgs    []dissent.OrgSummary
}

func personID(r *http.Request) (dissent.PersonID, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, dissent.ErrNotFound("person")
	}
	return dissent.PersonID(id), nil
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData, extra adminPerson) {
	id, err := personID(r)
	var d dissent.PersonDetail
	if err == nil {
		d, err = s.svc.PersonDetail(r.Context(), a, id)
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		status = s.fail(r, p, err)
	}
	extra.PersonDetail, extra.Roles, extra.Self, extra.Content = d, dissent.AllRoles, d.ID == a.ID, dissent.ContentRoles
	var form url.Values
	if p.Form != nil && p.Form.Has("roles_form") {
		form = p.Form
	}
	extra.Checked = checkedRoles(form, d.Roles)
	extra.Orgs, _ = s.svc.ListOrgs(r.Context(), a)
	p.Title = d.Name
	p.Data = extra
	s.show(w, r, status, "admin_person", p)
}

func (s *Server) handleAdminPerson(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderPerson(w, r, a, http.StatusOK, s.newPage(r, &a, "Person"), adminPerson{})
}

// personPost handles one form of a person's page. A later flash, if given,
// is asked for after fn ran (and overrides an empty flash).
func (s *Server) personPost(w http.ResponseWriter, r *http.Request, a dissent.Actor, flash string, fn func(dissent.PersonDetail) (adminPerson, error), later ...func() string) {
	id, err := personID(r)
	if err == nil {
		err = readForm(r)
	}
	var d dissent.PersonDetail
	if err == nil {
		d, err = s.svc.PersonDetail(r.Context(), a, id)
	}
	var shown adminPerson
	if err == nil {
		shown, err = fn(d)
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		p := s.newPage(r, &a, "Person")
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderPerson(w, r, a, status, p, adminPerson{})
		return
	}
	for _, f := range later {
		if flash == "" {
			flash = f()
		}
	}
	if flash == "" { // a one-time secret: shown now, never again
		s.renderPerson(w, r, a, http.StatusOK, s.newPage(r, &a, "Person"), shown)
		return
	}
	done(w, r, "/admin/people/"+strconv.FormatInt(int64(id), 10), flash)
}

func (s *Server) handleAdminRoles(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "roles_changed", func(d dissent.PersonDetail) (adminPerson, error) {
		roles, err := formRoles(r.PostForm)
		if err == nil {
			_, err = s.svc.SetRoles(r.Context(), a, d.ID, roles)
		}
		return adminPerson{}, err
	})
}

func (s *Server) handleAdminSupervisor(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "supervisor_changed", func(d dissent.PersonDetail) (adminPerson, error) {
		return adminPerson{}, s.svc.SetSupervisor(r.Context(), a, d.ID, r.PostForm.Get("supervisor"))
	})
}

func (s *Server) handleAdminUnit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "unit_changed", func(d dissent.PersonDetail) (adminPerson, error) {
		return adminPerson{}, s.svc.SetUnit(r.Context(), a, d.ID, r.PostForm.Get("unit"))
	})
}

// baseURL is where the browser reached us, for links shown to the
// administrator.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// linkPost issues a sign-in link with fn: a link that went by e-mail is
// only a flash; one the deployment cannot e-mail is shown once.
func (s *Server) linkPost(w http.ResponseWriter, r *http.Request, a dissent.Actor, fn func(dissent.PersonDetail) (dissent.LinkIssue, error)) {
	mailed := false
	s.personPost(w, r, a, "", func(d dissent.PersonDetail) (adminPerson, error) {
		li, err := fn(d)
		if err != nil || li.Mailed {
			mailed = true
			return adminPerson{}, err
		}
		return adminPerson{NewLink: baseURL(r) + "/signin/link/" + li.Secret.Reveal()}, nil
	}, func() string {
		if mailed {
			return "link_mailed"
		}
		return ""
	})
}

func (s *Server) handleAdminSignInLink(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.linkPost(w, r, a, func(d dissent.PersonDetail) (dissent.LinkIssue, error) {
		return s.svc.IssueSignInLinkFor(r.Context(), a, d.ID)
	})
}

func credRequestID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("req"), 10, 64)
	return id
}

func (s *Server) handleAdminLinkApprove(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.linkPost(w, r, a, func(d dissent.PersonDetail) (dissent.LinkIssue, error) {
		if !slices.ContainsFunc(d.Requests, func(q dissent.CredentialRequest) bool { return q.ID == credRequestID(r) }) {
			return dissent.LinkIssue{}, dissent.ErrNotFound("request")
		}
		return s.svc.ApproveSignInLink(r.Context(), a, credRequestID(r))
	})
}

func (s *Server) handleAdminLinkCancel(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "request_cancelled", func(d dissent.PersonDetail) (adminPerson, error) {
		if !slices.ContainsFunc(d.Requests, func(q dissent.CredentialRequest) bool { return q.ID == credRequestID(r) }) {
			return adminPerson{}, dissent.ErrNotFound("request")
		}
		return adminPerson{}, s.svc.CancelSignInLink(r.Context(), a, credRequestID(r))
	})
}

func (s *Server) handleAdminLinkRequest(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "link_requested", func(d dissent.PersonDetail) (adminPerson, error) {
		_, err := s.svc.RequestSignInLink(r.Context(), a, d.ID)
		return adminPerson{}, err
	})
}

func (s *Server) handleAdminDetails(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "details_changed", func(d dissent.PersonDetail) (adminPerson, error) {
		f := r.PostForm
		_, err := s.svc.UpdatePerson(r.Context(), a, d.ID, dissent.PersonUpdate{Email: f.Get("email"), Name: f.Get("name"), OrgID: f.Get("org")})
		return adminPerson{}, err
	})
}

func (s *Server) handleAdminDeactivate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "deactivated", func(d dissent.PersonDetail) (adminPerson, error) {
		return adminPerson{}, s.svc.DeactivatePerson(r.Context(), a, d.ID)
	})
}

func (s *Server) handleAdminReactivate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "reactivated", func(d dissent.PersonDetail) (adminPerson, error) {
		return adminPerson{}, s.svc.ReactivatePerson(r.Context(), a, d.ID)
	})
}

func (s *Server) handleAdminTokenRevoke(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.personPost(w, r, a, "token_revoked", func(d dissent.PersonDetail) (adminPerson, error) {
		return adminPerson{}, s.svc.RevokeTokenOf(r.Context(), a, d.Email, r.PathValue("token"))
	})
}

// --- import ---

// MaxImportUpload bounds an uploaded import file; larger directories go
// through `dissent user import`.
const maxImportUpload = 4 << 20

// maxImportLinks bounds how many sign-in links one import may issue.
const maxImportLinks = 1000

type adminImport struct {
	Problems []dissent.LineError
	Added    []importedPerson
	Creds    string // "none", "tokens" or "links"
}

type importedPerson struct {
	ID                 dissent.PersonID
	Email, Name, OrgID string
	Roles              dissent.Roles
	Link               string
}

func (s *Server) handleAdminImport(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if _, err := s.svc.ListOrgs(r.Context(), a); err != nil {
		if !s.adminRefused(w, r, err) {
			p := s.newPage(r, &a, "Import people")
			s.show(w, r, s.fail(r, p, err), "admin_import", p)
		}
		return
	}
	p := s.newPage(r, &a, "Import people")
	p.Data = adminImport{Creds: "none"}
	s.show(w, r, http.StatusOK, "admin_import", p)
}

func (s *Server) handleAdminImportUpload(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Import people")
	d := adminImport{Creds: "none"}
	fail := func(err error) {
		if s.adminRefused(w, r, err) {
			return
		}
		status := s.fail(r, p, err)
		var les dissent.LineErrors
		if errors.As(err, &les) {
			d.Problems = les
		}
		p.Form = url.Values{"credentials": {d.Creds}}
		p.Data = d
		s.show(w, r, status, "admin_import", p)
	}
	if _, err := s.svc.ListOrgs(r.Context(), a); err != nil {
		fail(err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportUpload+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(&dissent.Error{Kind: dissent.KindTooLarge, Code: "too_large", Field: "file", Limit: maxImportUpload,
				Message: "file must be at most 4 MiB; import larger directories with `dissent user import`"})
			return
		}
		fail(&dissent.Error{Kind: dissent.KindInvalid, Code: "bad_form", Field: "file", Message: "the upload could not be read; choose a CSV file"})
		return
	}
	defer r.MultipartForm.RemoveAll()
	switch c := r.FormValue("credentials"); c {
	case "", "none", "links":
		if c != "" {
			d.Creds = c
		}
	default:
		fail(&dissent.Error{Kind: dissent.KindInvalid, Code: "bad_choice", Field: "credentials", Message: "credentials must be none or links; people create their own API tokens"})
		return
	}
	fh, hdr, err := r.FormFile("file")
	if err != nil {
		fail(&dissent.Error{Kind: dissent.KindInvalid, Code: "required", Field: "file", Message: "file is required: choose a CSV file"})
		return
	}
	defer fh.Close()
	if hdr.Size > maxImportUpload {
		fail(&dissent.Error{Kind: dissent.KindTooLarge, Code: "too_large", Field: "file", Limit: maxImportUpload,
			Message: "file must be at most 4 MiB; import larger directories with `dissent user import`"})
		return
	}
	in, lines, err := dissent.ParsePeopleCSVLines(io.LimitReader(fh, maxImportUpload))
	if err != nil {
		fail(err)
		return
	}
	if d.Creds == "links" && len(in) > maxImportLinks {
		fail(&dissent.Error{Kind: dissent.KindInvalid, Code: "too_many", Field: "credentials", Limit: maxImportLinks,
			Message: "sign-in links can be issued for at most 1000 people at once; choose none and issue them later"})
		return
	}
	rep, err := s.svc.ImportPeople(r.Context(), a, in, lines, dissent.ImportOptions{})
	if err != nil {
		fail(err)
		return
	}
	ps := rep.Added
	for _, np := range ps {
		ip := importedPerson{ID: np.ID, Email: np.Email, Name: np.Name, OrgID: np.OrgID, Roles: np.Roles}
		if d.Creds == "links" {
			li, err := s.svc.IssueSignInLinkFor(r.Context(), a, np.ID)
			if err != nil {
				p.Error = "The people were imported, but issuing sign-in links failed: " + s.safeMessage(r, err)
				break
			}
			if li.Mailed {
				ip.Link = "e-mailed"
			} else {
				ip.Link = baseURL(r) + "/signin/link/" + li.Secret.Reveal()
			}
		}
		d.Added = append(d.Added, ip)
	}
	p.Flash = flashes["imported"]
	p.Data = d
	s.show(w, r, http.StatusOK, "admin_import", p)
}

// --- audit ---
