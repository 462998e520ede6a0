package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The administrator's directory pages (directory.go in the root package):
// organizations, units, time zones and closures.

type adminHome struct {
	Orgs     []dissent.OrgSummary
	People   int
	Requests []dissent.PendingRequest
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	orgs, err := s.svc.ListOrgs(r.Context(), a)
	var pg dissent.PeoplePage
	if err == nil {
		pg, err = s.svc.SearchPeople(r.Context(), a, dissent.PeopleQuery{Limit: 1})
	}
	var reqs []dissent.PendingRequest
	if err == nil {
		reqs, err = s.svc.PendingRequests(r.Context(), a)
	}
	if err != nil {
		if !s.adminRefused(w, r, err) {
			p := s.newPage(r, &a, "Administration")
			s.show(w, r, s.fail(r, p, err), "admin", p)
		}
		return
	}
	p := s.newPage(r, &a, "Administration")
	p.Data = adminHome{Orgs: orgs, People: pg.Total, Requests: reqs}
	s.show(w, r, http.StatusOK, "admin", p)
}

func (s *Server) renderOrgs(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	orgs, err := s.svc.ListOrgs(r.Context(), a)
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		status = s.fail(r, p, err)
	}
	p.Data = orgs
	s.show(w, r, status, "admin_orgs", p)
}

func (s *Server) handleAdminOrgs(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderOrgs(w, r, a, http.StatusOK, s.newPage(r, &a, "Organizations"))
}

func (s *Server) handleAdminOrgCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Organizations")
	err := readForm(r)
	if err == nil {
		_, err = s.svc.AddOrg(r.Context(), a, dissent.OrgInput{ID: strings.TrimSpace(r.PostForm.Get("id")), Name: strings.TrimSpace(r.PostForm.Get("name")), TimeZone: strings.TrimSpace(r.PostForm.Get("tz"))})
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderOrgs(w, r, a, status, p)
		return
	}
	done(w, r, "/admin/orgs/"+url.PathEscape(r.PostForm.Get("id")), "org_added")
}

func (s *Server) renderOrg(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	d, err := s.svc.GetOrg(r.Context(), a, r.PathValue("id"))
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		status = s.fail(r, p, err)
	}
	p.Title = "Organization " + d.Name
	p.Data = d
	s.show(w, r, status, "admin_org", p)
}

func (s *Server) handleAdminOrg(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderOrg(w, r, a, http.StatusOK, s.newPage(r, &a, "Organization"))
}

// orgPost handles one form of an organization's page: fn acts, and on
// failure the page comes back with the input and the field's error.
func (s *Server) orgPost(w http.ResponseWriter, r *http.Request, a dissent.Actor, flash string, fn func(org string) error) {
	org := r.PathValue("id")
	err := readForm(r)
	if err == nil {
		err = fn(org)
	}
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		p := s.newPage(r, &a, "Organization")
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderOrg(w, r, a, status, p)
		return
	}
	done(w, r, "/admin/orgs/"+url.PathEscape(org), flash)
}

func (s *Server) handleAdminUnitCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.orgPost(w, r, a, "unit_added", func(org string) error {
		_, err := s.svc.AddUnit(r.Context(), a, dissent.UnitInput{ID: strings.TrimSpace(r.PostForm.Get("id")), OrgID: org,
			Name: strings.TrimSpace(r.PostForm.Get("name")), ParentID: r.PostForm.Get("parent")})
		return err
	})
}

func (s *Server) handleAdminZone(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.orgPost(w, r, a, "zone_changed", func(org string) error {
		return s.svc.SetTimeZone(r.Context(), a, org, r.PostForm.Get("tz"))
	})
}

func (s *Server) handleAdminClosureCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.orgPost(w, r, a, "closure_added", func(org string) error {
		if _, err := s.svc.GetOrg(r.Context(), a, org); err != nil {
			return err
		}
		return s.svc.AddClosure(r.Context(), a, org, strings.TrimSpace(r.PostForm.Get("date")), strings.TrimSpace(r.PostForm.Get("reason")))
	})
}

func (s *Server) handleAdminClosureRemove(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.orgPost(w, r, a, "closure_removed", func(org string) error {
		return s.svc.RemoveClosure(r.Context(), a, org, r.PathValue("date"))
	})
}
