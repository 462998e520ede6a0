// Package web serves Dissent over HTTP: the JSON API v1 and the web pages
// (templates/*.html). Handlers are thin: they decode a typed request, call one method of
// *dissent.Service, and encode the answer. This package never talks to the
// store directly, so every read passes the Service's authorization and access
// logging.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// Server is the HTTP face of a Service.
type Server struct {
	svc      *dissent.Service
	log      *slog.Logger
	mux      *http.ServeMux
	patterns []string
	ready    func(context.Context) error
	// ClockWarning is shown in a header while the DISSENT_NOW clock is set.
	clockWarning string
	demo         bool         // a throwaway demo deployment (a banner on every page)
	auth         *authState   // sign-in, sessions, limits (api_signin.go)
	handler      http.Handler // the mux behind the security middleware
	metrics      Metrics      // request metrics and GET /metrics (metrics.go); nil: none
	report       reportCache  // the public report page, rendered once per set of numbers (report.go)
	metricsToken string       // the bearer token GET /metrics asks for; "": not served
}

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Ready reports whether the service can take requests (e.g. the database
	// answers); /readyz calls it.
	Ready func(context.Context) error
	// ClockWarning, if set, is sent as the X-Dissent-Clock header on every
	// response (the DISSENT_NOW clock is in effect).
	ClockWarning string
	// Auth configures sign-in, sessions and limits (api_signin.go).
	Auth AuthOptions
	// Demo marks every page with a DEMO banner (dissent serve --demo).
	Demo bool
	// Metrics, if set, is told of every request. It serves GET /metrics
	// only to a request bearing MetricsToken; with no token, /metrics is
	// 404 here (serve it on a separate address instead: serve
	// --metrics-addr).
	Metrics      Metrics
	MetricsToken dissent.Secret
}

// New returns the HTTP handler for svc.
func New(svc *dissent.Service, o Options) *Server {
	s := &Server{svc: svc, log: o.Logger, mux: http.NewServeMux(), ready: o.Ready, clockWarning: o.ClockWarning, demo: o.Demo, metrics: o.Metrics, metricsToken: o.MetricsToken.Reveal()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}
	s.initAuth(o.Auth)
	s.routes()
	return s
}

// ServeHTTP wraps every request in the common middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID()
	r = r.WithContext(context.WithValue(r.Context(), ridKey{}, rid))
	sw := &statusWriter{ResponseWriter: w}
	h := sw.Header()
	h.Set("X-Request-Id", rid)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	// HSTS over TLS, and when the public URL is https (TLS ends at a proxy).
	if r.TLS != nil || s.auth.secure {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	if s.clockWarning != "" {
		h.Set("X-Dissent-Clock", s.clockWarning)
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(r.Context(), "panic", "request_id", rid, "route", r.Pattern, "panic", p)
			if sw.status == 0 {
				s.writeError(sw, r, &dissent.Error{Kind: dissent.KindInternal, Code: "internal", Message: "internal error"})
			}
		}
		// Log the route pattern, never the path's values or any content.
		route := s.route(r)
		s.log.InfoContext(r.Context(), "request", "request_id", rid, "method", r.Method, "route", route,
			"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
		s.observe(route, sw.status, time.Since(start))
	}()
	// HEAD runs the GET handler (ServeMux's rule) and net/http drops the
	// body: a HEAD of protected content passes the same checks and is
	// recorded as the read it is, since its headers (the length) come from
	// the content.
	s.handler.ServeHTTP(sw, r)
}

// allowedMethods lists the methods some route other than the catch-alls
// takes at r's path (HEAD with GET), for 405's Allow header; none: the path
// is unknown, or r's method has a route there (whose handler found nothing).
func (s *Server) allowedMethods(r *http.Request) []string {
	if _, pattern := s.mux.Handler(&http.Request{Method: r.Method, Host: r.Host, URL: r.URL}); pattern != "" && pattern != "/" && pattern != "/api/" {
		return nil
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		_, pattern := s.mux.Handler(&http.Request{Method: m, Host: r.Host, URL: r.URL})
		if pattern != "" && pattern != "/" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// methodNotAllowed answers 405 with Allow when the path exists for other
// methods, and reports whether it did.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) bool {
	allow := s.allowedMethods(r)
	if len(allow) == 0 {
		return false
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorDetail{Code: "method_not_allowed",
		Message: r.Method + " is not allowed here; use " + strings.Join(allow, ", "), RequestID: requestID(r.Context())}})
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

type ridKey struct{}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

// authed wraps a handler that needs a signed-in person: a bearer token in
// the Authorization header, or a session.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, dissent.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticateFor(w, r, true) // api_signin.go: bearer token or session, with limits
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// A token's first use, if the handler's write did not record it.
		defer func() {
			if err := s.svc.FinishActivation(context.WithoutCancel(r.Context()), a); err != nil {
				s.log.Warn("record an account's first use", "err", err)
			}
		}()
		h(w, r, a)
	}
}

// messageID parses the {id} of a route.
func messageID(r *http.Request) (dissent.MessageID, error) {
	return dissent.ParseMessageID(r.PathValue("id"))
}
