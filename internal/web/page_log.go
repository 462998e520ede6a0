package web

import (
	"net/http"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// The auditor's page (log.go in the root package).

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	o, err := s.svc.AuditOverview(r.Context(), a, before, 0)
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		p := s.newPage(r, &a, "Audit log")
		s.show(w, r, s.fail(r, p, err), "audit", p)
		return
	}
	p := s.newPage(r, &a, "Audit log")
	p.Data = o
	s.show(w, r, http.StatusOK, "audit", p)
}
