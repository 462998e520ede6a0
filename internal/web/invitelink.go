package web

import (
	"net/http"

	"github.com/dissent-channel/dissent"
)

// Shareable invitation links: made on the case page by whoever may invite,
// shown once; opened by an employee, who joins the invitees and goes to the
// co-signing page. The link's secret travels in the path, which the request
// log never records (it logs route patterns), and pages send no referrer.

func (s *Server) inviteLinkRoutes() {
	m := s
	m.handle("POST /messages/{id}/invite-link", s.page(s.handleInviteLinkCreate))
	m.handle("POST /messages/{id}/invite-link/revoke", s.page(s.caseAct("invite_link", "links_revoked",
		func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
			_, err := s.svc.RevokeInviteLinks(r.Context(), a, id)
			return err
		})))
	m.handle("GET /join/{secret}", s.page(s.handleJoinPage))
	m.handle("POST /join/{secret}", s.page(s.handleJoin))
}

func init() {
	flashes["links_revoked"] = "Every invitation link to this message is revoked; those who joined stay invited."
	flashes["joined"] = "You are invited. Read the text below before you sign."
}

type inviteLinkPage struct {
	ID   dissent.MessageID
	Link string
}

func (s *Server) handleInviteLinkCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	sec, err := s.svc.CreateInviteLink(r.Context(), a, id)
	if err != nil {
		s.caseRefused(w, r, a, id, "invite_link", err)
		return
	}
	p := s.newPage(r, &a, "Invitation link")
	p.Data = inviteLinkPage{ID: id, Link: s.auth.base + "/join/" + sec.Reveal()}
	s.show(w, r, http.StatusCreated, "invite-link", p)
}

func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Join a message")
	p.Data = r.PathValue("secret")
	s.show(w, r, http.StatusOK, "join", p)
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := s.svc.JoinByLink(r.Context(), a, dissent.NewSecret(r.PathValue("secret")))
	if err != nil {
		p := s.newPage(r, &a, "Join a message")
		status := s.fail(r, p, err)
		s.show(w, r, status, "join", p)
		return
	}
	done(w, r, "/messages/"+string(id)+"/sign", "joined")
}
