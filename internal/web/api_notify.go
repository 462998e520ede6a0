package web

import (
	"net/http"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// A person's own notifications in the API (notify.go in the root package).
// The pages show the same at /notifications.

func (s *Server) participantRoutes() {
	m := s
	m.handle("GET /api/v1/messages/{id}/invitations", s.authed(s.handleInvitationList))
	m.handle("POST /api/v1/messages/{id}/reminders", s.authed(s.handleReminder))
	m.handle("GET /api/v1/notifications", s.authed(s.handleNotificationList))
	m.handle("POST /api/v1/notifications/{id}/read", s.authed(s.handleNotificationRead))
}

type notificationJSON struct {
	ID      int64   `json:"id"`
	Kind    string  `json:"kind"`
	Message string  `json:"message"`
	Link    string  `json:"link"`
	At      *string `json:"at"`
	Read    bool    `json:"read"`
}

func (s *Server) handleNotificationList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	ns, unread, err := s.svc.Notifications(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]notificationJSON, len(ns))
	for i, n := range ns {
		out[i] = notificationJSON{ID: n.ID, Kind: n.Kind, Message: n.Text(), Link: n.Link(), At: ts(n.Created), Read: !n.Read.IsZero()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out, "unread": unread})
}

func (s *Server) handleNotificationRead(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_id", Field: "id", Message: "id must be a notification number"})
		return
	}
	if err := decodeOptional(w, r, &struct{}{}); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.MarkNotificationsRead(r.Context(), a, []int64{id})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if n == 0 {
		// Not the caller's, or already read: the same answer, so that ids
		// of others' notifications cannot be probed.
		ns, _, err := s.svc.Notifications(r.Context(), a)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, x := range ns {
			if x.ID == id {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		s.writeError(w, r, dissent.ErrNotFound("notification"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
