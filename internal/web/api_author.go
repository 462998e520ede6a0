package web

import (
	"net/http"

	"github.com/dissent-channel/dissent"
)

// The authors' API (author.go in the root package): drafts, co-authors,
// invitations, signatures, submission, withdrawal, endorsements, and the
// participants' list and reminder for the authors.

type draftRequest struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
	// The message model's fields are optional: absent leaves them as they
	// are (a new message: none).
	Classification *string   `json:"classification"`
	Topic          *string   `json:"topic"`
	Tier           *string   `json:"tier"`
	Related        *[]string `json:"related"`
}

func (r draftRequest) draft() dissent.Draft {
	return dissent.Draft{Title: r.Title, Summary: r.Summary, Body: r.Body,
		Classification: r.Classification, Topic: r.Topic, Tier: r.Tier, Related: r.Related}
}

func (s *Server) handleMessageCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	var req draftRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.svc.CreateMessage(r.Context(), a, req.draft())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+string(m.ID))
	writeJSON(w, http.StatusCreated, messageWithText(m))
}

func (s *Server) handleMessageEdit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req draftRequest) (int, any, error) {
		m, err := s.svc.EditMessage(r.Context(), a, id, req.draft())
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, messageWithText(m), nil
	})
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

// withEmail handles the routes whose body is {"email": ...} and whose answer
// is 204.
func (s *Server) withEmail(w http.ResponseWriter, r *http.Request, fn func(dissent.MessageID, string) error) {
	messageAct(s, w, r, func(id dissent.MessageID, req emailRequest) (int, any, error) {
		return http.StatusNoContent, nil, fn(id, req.Email)
	})
}

// alreadyInvited is how many of a list Invite accepted were invited before.
func alreadyInvited(emails []string, invited int) int {
	good, _ := dissent.ParseAddressList("emails", emails) // already checked by Invite
	return len(good) - invited
}

// messageAct answers an act on one message: the id from the path, the JSON
// body decoded strictly into R, then fn, which returns the status and the
// JSON to send (nil for none, as with 204). An error at any step is answered
// by writeError; nothing is written before fn has succeeded.
func messageAct[R any](s *Server, w http.ResponseWriter, r *http.Request, fn func(id dissent.MessageID, req R) (int, any, error)) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req R
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	status, out, err := fn(id, req)
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case out == nil:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, out)
	}
}

func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req emailsRequest) (int, any, error) {
		n, err := s.svc.Invite(r.Context(), a, id, req.Emails)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, map[string]int{"invited": n, "already_invited": alreadyInvited(req.Emails, n)}, nil
	})
}

type signRequest struct {
	ContentHash  string `json:"content_hash"`
	MinCosigners int    `json:"min_cosigners"`
}

func (s *Server) handleSignatureCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req signRequest) (int, any, error) {
		m, err := s.svc.Sign(r.Context(), a, id, req.ContentHash, req.MinCosigners)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, map[string]any{"message": messageOut(m), "content_hash": req.ContentHash, "conditional": req.MinCosigners > 0}, nil
	})
}

func (s *Server) handleSignatureWithdraw(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Unsign(r.Context(), a, id) })
}

func (s *Server) handleMessageSubmit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req hashRequest) (int, any, error) {
		m, err := s.svc.Submit(r.Context(), a, id, req.ContentHash)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, messageWithText(m), nil
	})
}

func (s *Server) handleMessageWithdraw(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Withdraw(r.Context(), a, id) })
}

type hashRequest struct {
	ContentHash string `json:"content_hash"`
}

func (s *Server) handleEndorse(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req bodyRequest) (int, any, error) {
		return http.StatusNoContent, nil, s.svc.Endorse(r.Context(), a, id, req.Body)
	})
}

type bodyRequest struct {
	Body string `json:"body"`
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

type invitationJSON struct {
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	Org       string  `json:"org"`
	InvitedAt *string `json:"invited_at"`
	Signed    bool    `json:"signed"`
}

func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	invs, pr, err := s.svc.Invitations(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]invitationJSON, len(invs))
	for i, v := range invs {
		out[i] = invitationJSON{Email: v.Email, Name: v.Name, Org: v.OrgID, InvitedAt: ts(v.InvitedAt), Signed: v.Signed}
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out, "invited": pr.Invited, "signed": pr.Signed})
}

func (s *Server) handleReminder(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeOptional(w, r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.RemindInvitees(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int{"reminded": n})
}
