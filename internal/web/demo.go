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
	Label  string
	About  string
	People []dissent.Person
}

var demoRoleText = map[dissent.Role][2]string{
	dissent.RoleEmployee:  {"Employees", "Draft messages, invite co-signers, sign, get receipts and see who read their messages."},
	dissent.RoleOfficer:   {"Channel officers", "Work the channel inbox: acknowledge, assign, consult reviewers, draft replies, redirect, close."},
	dissent.RoleDirector:  {"Channel director", "Everything an officer does, and approves replies and extends deadlines."},
	dissent.RolePrincipal: {"Principals", "Leadership: read the messages distributed to them, with names, and may ask for a meeting."},
	dissent.RoleReviewer:  {"Reviewers", "Read the text of messages they are consulted on, without any names, and give input."},
	dissent.RoleMonitor:   {"Compliance monitor", "Sees every message's metadata and timeliness, never text or names."},
	dissent.RoleAuditor:   {"Auditor (inspector general)", "Reads and verifies the audit log."},
	dissent.RoleAdmin:     {"Administrators", "Manage organizations, units, people, roles and calendars; never read messages."},
}

// demoPrimary is the role a person is listed under: their first role
// other than employee, or employee.
func demoPrimary(p dissent.Person) dissent.Role {
	for _, r := range p.Roles {
		if r != dissent.RoleEmployee {
			return r
		}
	}
	return dissent.RoleEmployee
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
	groups := map[dissent.Role][]dissent.Person{}
	q := dissent.PeopleQuery{Limit: dissent.MaxPageSize}
	for range 10 { // a demo has a few dozen people; stop at 2,000
		pg, err := s.svc.SearchPeople(r.Context(), dissent.System, q)
		if err != nil {
			p := s.newPage(r, nil, "Demo")
			p.Error = s.safeMessage(r, err)
			s.show(w, r, statusFor(err), "demo", p)
			return
		}
		for _, person := range pg.People {
			groups[demoPrimary(person)] = append(groups[demoPrimary(person)], person)
		}
		if pg.Next == "" {
			break
		}
		q.After = pg.Next
	}
	var roles []demoRole
	for _, role := range dissent.AllRoles {
		t := demoRoleText[role]
		roles = append(roles, demoRole{Role: role, Label: t[0], About: t[1], People: groups[role]})
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
