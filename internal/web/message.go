package web

import (
	"net/http"

	"github.com/dissent-channel/dissent"
)

type draftRequest struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
}

func (s *Server) handleMessageCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	var req draftRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.CreateMessage(r.Context(), a, dissent.Draft{Title: req.Title, Summary: req.Summary, Body: req.Body})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+string(m.ID))
	writeJSON(w, http.StatusCreated, messageWithText(m))
}

func (s *Server) handleMessageList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	vs, err := s.svc.ListMessages(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]messageJSON, len(vs))
	for i, v := range vs {
		out[i] = viewOut(v)
		out[i].Summary, out[i].Body = nil, nil // a list shows titles only
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) handleMessageShow(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.GetMessage(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOut(v))
}

func (s *Server) handleMessageEdit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req draftRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.EditMessage(r.Context(), a, id, dissent.Draft{Title: req.Title, Summary: req.Summary, Body: req.Body})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageWithText(m))
}

func (s *Server) handleVersionList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.svc.Versions(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type versionJSON struct {
		Number      int     `json:"number"`
		Title       string  `json:"title"`
		Summary     string  `json:"summary"`
		Body        string  `json:"body"`
		ContentHash string  `json:"content_hash"`
		CreatedAt   *string `json:"created_at"`
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{v.Number, v.Title.Reveal(), v.Summary.Reveal(), v.Body.Reveal(), v.ContentHash, ts(v.Created)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

type emailRequest struct {
	Email string `json:"email"`
}

type emailsRequest struct {
	Emails []string `json:"emails"`
}

func (s *Server) handleCoauthorAdd(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.withEmail(w, r, func(id dissent.MessageID, email string) error {
		return s.svc.AddCoauthor(r.Context(), a, id, email)
	})
}

func (s *Server) handleEndorserAdd(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.withEmail(w, r, func(id dissent.MessageID, email string) error {
		return s.svc.AskEndorsement(r.Context(), a, id, email)
	})
}

func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.withEmail(w, r, func(id dissent.MessageID, email string) error {
		return s.svc.Assign(r.Context(), a, id, email)
	})
}

// withEmail handles the routes whose body is {"email": ...} and whose answer
// is 204.
func (s *Server) withEmail(w http.ResponseWriter, r *http.Request, fn func(dissent.MessageID, string) error) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req emailRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := fn(id, req.Email); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req emailsRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.Invite(r.Context(), a, id, req.Emails)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int{"invited": n})
}

type signRequest struct {
	ContentHash  string `json:"content_hash"`
	MinCosigners int    `json:"min_cosigners"`
}

func (s *Server) handleSignatureCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req signRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.Sign(r.Context(), a, id, req.ContentHash, req.MinCosigners)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"message": messageOut(m), "content_hash": req.ContentHash, "conditional": req.MinCosigners > 0})
}

func (s *Server) handleSignatureList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ss, err := s.svc.Signers(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"signatures": signersJSON(ss.Signers), "total": ss.Total})
}

func (s *Server) handleSignatureWithdraw(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Unsign(r.Context(), a, id) })
}

type hashRequest struct {
	ContentHash string `json:"content_hash"`
}

func (s *Server) handleMessageSubmit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req hashRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.Submit(r.Context(), a, id, req.ContentHash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageWithText(m))
}

func (s *Server) handleMessageWithdraw(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Withdraw(r.Context(), a, id) })
}

type bodyRequest struct {
	Body string `json:"body"`
}

func (s *Server) handleEndorse(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req bodyRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.Endorse(r.Context(), a, id, req.Body); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// transition handles the routes that take no body, change the message's
// state and answer with its metadata (never its text: the caller may be
// someone whose reads of the text are recorded, and they read it by GET).
func (s *Server) transition(w http.ResponseWriter, r *http.Request, fn func(dissent.MessageID) (dissent.Message, error)) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeOptional(w, r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := fn(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageOut(m))
}

func (s *Server) handleAccessLog(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, err := s.svc.AccessLog(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]accessJSON, len(es))
	for i, e := range es {
		out[i] = accessJSON{At: ts(e.At), What: e.Kind, Role: e.Role, Org: e.OrgID, Unit: e.UnitID, Name: e.Name}
	}
	writeJSON(w, http.StatusOK, map[string]any{"access": out})
}

func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := s.svc.Receipt(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}
