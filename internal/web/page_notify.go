package web

import (
	"net/http"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// Notifications in the web UI: the list (newest first), marking read, and
// the e-mail preference. A notification shows only a sentence by kind and a
// link; never a title, text or name.

func init() {
	flashes["notifications_read"] = "Marked as read."
	flashes["notification_prefs"] = "Your notification preferences are saved."
}

// opsRoutes registers the routes of background work's web face.
func (s *Server) opsRoutes() {
	s.notificationRoutes()
	s.metricsRoutes()
}

func (s *Server) notificationRoutes() {
	s.handle("GET /notifications", s.page(s.handleNotifications))
	s.handle("POST /notifications/read", s.page(s.handleNotificationsRead))
	s.handle("POST /notifications/preferences", s.page(s.handleNotificationPrefs))
}

type notificationsPage struct {
	Items  []dissent.Notification
	Unread int
	Prefs  dissent.NotificationPrefs
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	var d notificationsPage
	var err error
	if d.Items, d.Unread, err = s.svc.Notifications(r.Context(), a); err == nil {
		d.Prefs, err = s.svc.NotificationPrefs(r.Context(), a)
	}
	if err != nil {
		status = s.fail(r, p, err)
	}
	p.Data = d
	s.show(w, r, status, "notifications", p)
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderNotifications(w, r, a, http.StatusOK, s.newPage(r, &a, "Notifications"))
}

// handleNotificationsRead marks one notification (field id) or, without
// an id, all of them read.
func (s *Server) handleNotificationsRead(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Notifications")
	var ids []int64
	err := r.ParseForm()
	if err == nil {
		for _, v := range r.PostForm["id"] {
			id, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || id <= 0 {
				err = &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_id", Field: "id", Message: "id must be a notification number"}
				break
			}
			ids = append(ids, id)
		}
	} else {
		err = &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_form", Message: "the form could not be read"}
	}
	if err == nil {
		_, err = s.svc.MarkNotificationsRead(r.Context(), a, ids)
	}
	if err != nil {
		status := s.fail(r, p, err)
		s.renderNotifications(w, r, a, status, p)
		return
	}
	done(w, r, "/notifications", "notifications_read")
}

func (s *Server) handleNotificationPrefs(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Notifications")
	if err := r.ParseForm(); err != nil {
		status := s.fail(r, p, &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_form", Message: "the form could not be read"})
		s.renderNotifications(w, r, a, status, p)
		return
	}
	prefs := dissent.NotificationPrefs{Email: r.PostForm.Get("email") == "on"}
	if err := s.svc.SetNotificationPrefs(r.Context(), a, prefs); err != nil {
		status := s.fail(r, p, err)
		s.renderNotifications(w, r, a, status, p)
		return
	}
	done(w, r, "/notifications", "notification_prefs")
}
