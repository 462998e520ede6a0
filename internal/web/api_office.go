package web

import (
	"net/http"
	"strconv"

	"github.com/dissent-channel/dissent"
)

func (s *Server) handleMessageAcknowledge(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Acknowledge(r.Context(), a, id) })
}

func (s *Server) handleMessageClose(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) { return s.svc.Close(r.Context(), a, id) })
}

type consultRequest struct {
	Email string `json:"email"`
	Due   string `json:"due"`
}

func (s *Server) handleConsult(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req consultRequest) (int, any, error) {
		cid, err := s.svc.Consult(r.Context(), a, id, req.Email, req.Due)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, map[string]int64{"id": cid}, nil
	})
}

func (s *Server) handleInput(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req bodyRequest) (int, any, error) {
		return http.StatusNoContent, nil, s.svc.GiveInput(r.Context(), a, id, req.Body)
	})
}

func (s *Server) handleReplyCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req bodyRequest) (int, any, error) {
		rep, m, err := s.svc.Reply(r.Context(), a, id, req.Body)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, map[string]any{
			"reply":   replyJSON{ID: rep.ID, Body: rep.Body.Reveal(), CreatedAt: ts(rep.Created), ApprovedAt: ts(rep.ApprovedAt)},
			"message": messageOut(m),
		}, nil
	})
}

func (s *Server) handleReplyApprove(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	rid, err := strconv.ParseInt(r.PathValue("reply"), 10, 64)
	if err != nil || rid <= 0 {
		s.writeError(w, r, &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_id", Field: "reply", Message: "reply id must be a positive integer"})
		return
	}
	s.transition(w, r, func(id dissent.MessageID) (dissent.Message, error) {
		return s.svc.ApproveReply(r.Context(), a, id, rid)
	})
}

type extendRequest struct {
	WorkingDays int    `json:"working_days"`
	Reason      string `json:"reason"`
}

func (s *Server) handleMessageExtend(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req extendRequest) (int, any, error) {
		m, err := s.svc.Extend(r.Context(), a, id, req.WorkingDays, req.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, messageOut(m), nil
	})
}

type redirectRequest struct {
	Reason  string `json:"reason"`
	Channel string `json:"channel"`
}

func (s *Server) handleMessageRedirect(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req redirectRequest) (int, any, error) {
		m, err := s.svc.Redirect(r.Context(), a, id, req.Reason, req.Channel)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, messageOut(m), nil
	})
}

func (s *Server) handleDistribute(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req emailsRequest) (int, any, error) {
		return http.StatusNoContent, nil, s.svc.Distribute(r.Context(), a, id, req.Emails)
	})
}

type meetingRequest struct {
	HeldOn string `json:"held_on"`
	Notes  string `json:"notes"`
}

func (s *Server) handleMeetingRecord(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req meetingRequest) (int, any, error) {
		mid, err := s.svc.RecordMeeting(r.Context(), a, id, req.HeldOn, req.Notes)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, map[string]int64{"id": mid}, nil
	})
}

func (s *Server) handleMeetingRequest(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := decodeOptional(w, r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.RequestMeeting(r.Context(), a, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleMessageReopen(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req reasonRequest) (int, any, error) {
		m, err := s.svc.Reopen(r.Context(), a, id, req.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, messageOut(m), nil
	})
}

func (s *Server) handleBreakGlass(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	messageAct(s, w, r, func(id dissent.MessageID, req reasonRequest) (int, any, error) {
		v, signers, err := s.svc.BreakGlass(r.Context(), a, id, req.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"message": viewOut(v), "signatures": signersJSON(signers)}, nil
	})
}

func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.withEmail(w, r, func(id dissent.MessageID, email string) error {
		return s.svc.Assign(r.Context(), a, id, email)
	})
}
