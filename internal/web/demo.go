package web

import (
	"net/http"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// The demo's one-click sign-in (dissent serve --demo). These routes exist
// only when Options.Demo is set: in a real deployment /demo is 404.

type demoRole struct {
	Role   dissent.Role
	About  string
	People []dissent.Person
}

var demoRoleAbout = map[dissent.Role]string{
	dissent.RoleEmployee:  "Drafts messages, invites co-signers, signs, gets receipts and sees who read their messages.",
	dissent.RoleOfficer:   "Works the channel inbox: acknowledges, assigns, consults reviewers, drafts replies, redirects, closes.",
	dissent.RoleDirector:  "Everything an officer does, and approves replies and extends deadlines.",
	dissent.RolePrincipal: "Leadership: reads the messages distributed to them, with names, and may ask for a meeting.",
	dissent.RoleReviewer:  "Reads the text of messages they are consulted on, without any names, and gives input.",
	dissent.RoleMonitor:   "Sees every message's metadata and timeliness, never text or names.",
	dissent.RoleAuditor:   "Reads and verifies the audit log.",
	dissent.RoleAdmin:     "Manages organizations, units, people, roles and calendars; never reads messages.",
}

// demoRoutes registers the demo's pages; call only in demo mode.
func (s *Server) demoRoutes() {
	s.handle("GET /demo", s.handleDemo)
	s.handle("POST /demo/signin/{id}", s.handleDemoSignIn)
}

// handleDemo lists the demo's people by role, each with a sign-in button.
// It reads the directory as the deployment itself (dissent.System): in
// demo mode the cast is public by design.
func (s *Server) handleDemo(w http.ResponseWriter, r *http.Request) {
	var roles []demoRole
	for _, role := range dissent.AllRoles {
		pg, err := s.svc.SearchPeople(r.Context(), dissent.System, dissent.PeopleQuery{Role: role, Limit: dissent.MaxPageSize})
		if err != nil {
			p := s.newPage(r, nil, "Demo")
			p.Error = s.safeMessage(r, err)
			s.show(w, r, statusFor(err), "demo", p)
			return
		}
		roles = append(roles, demoRole{Role: role, About: demoRoleAbout[role], People: pg.People})
	}
	p := s.newPage(r, nil, "Demo: sign in as anyone")
	p.Data = roles
	s.show(w, r, http.StatusOK, "demo", p)
}

// handleDemoSignIn signs the browser in as one of the demo's people.
func (s *Server) handleDemoSignIn(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.handlePageNotFound(w, r)
		return
	}
	a, err := s.svc.SignInAs(r.Context(), dissent.System, dissent.PersonID(id), s.addr(r))
	if err == nil {
		err = s.startSession(r, a, "demo")
	}
	if err != nil {
		if dissent.ErrorKind(err) == dissent.KindNotFound {
			s.handlePageNotFound(w, r)
			return
		}
		p := s.newPage(r, nil, "Demo")
		p.Error = s.safeMessage(r, err)
		s.show(w, r, statusFor(err), "demo", p)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
