package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// Metrics receives the outcome of every request and serves GET /metrics.
// cmd/dissent implements it with Prometheus. Requests are reported by route
// pattern (such as "GET /api/v1/messages/{id}") and status, never by path,
// person or message.
type Metrics interface {
	http.Handler
	ObserveRequest(route string, status int, d time.Duration)
}

func (s *Server) metricsRoutes() {
	s.handle("GET /metrics", s.handleMetrics)
}

// handleMetrics serves the metrics to a request bearing the metrics token,
// or 404 when none is configured (they may then be served on a separate
// address).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metrics == nil || s.metricsToken == "" {
		s.writeError(w, r, &dissent.Error{Kind: dissent.KindNotFound, Code: "not_found",
			Message: "metrics are not served here: set DISSENT_METRICS_TOKEN, or serve them on --metrics-addr"})
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		s.writeError(w, r, &dissent.Error{Kind: dissent.KindUnauthenticated, Code: "bad_token", Message: "GET /metrics needs the metrics bearer token"})
		return
	}
	s.metrics.ServeHTTP(w, r)
}

// route is the pattern that serves r. The middleware hands the mux a copy
// of the request, so r.Pattern is not set on this one; the mux is asked.
func (s *Server) route(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	_, p := s.mux.Handler(r)
	return p
}

// observe reports a finished request to the metrics, if any.
func (s *Server) observe(route string, status int, d time.Duration) {
	if s.metrics == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.ObserveRequest(route, status, d)
}
