package web

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auth"
)

// AuthOptions configure sign-in, sessions and the web security layer.
type AuthOptions struct {
	// PublicURL is where people reach the service (http://localhost:PORT
	// in tests, https://… in production): the passkey relying party, the
	// single sign-on callback and the cookie's Secure flag follow from it.
	PublicURL string
	// IdleTimeout and Lifetime bound sessions (defaults 30 min and 12 h).
	IdleTimeout, Lifetime time.Duration
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Limits are the rate limits (zero fields take DefaultLimits).
	Limits Limits
	// Getenv reads single sign-on client secrets (nil: none).
	Getenv func(string) string
	// HTTPClient talks to identity providers (nil: a default one).
	HTTPClient *http.Client
	// Now is the clock of the rate limits (default time.Now).
	Now func() time.Time
}

type authState struct {
	sessions *auth.Sessions
	passkeys *auth.Passkeys // nil when the public URL cannot be a relying party
	oidc     *auth.OIDC
	trusted  []netip.Prefix
	secure   bool
	base     string // the public URL, without a trailing slash, for links people share

	signIn, failures, requests, writes *limiter
	linkClients, linkEmails            *limiter // "E-mail me a sign-in link" (page_signin.go)
	linkMails                          linkMailer
}

// initAuth sets up sessions, passkeys, single sign-on and limits, and the
// middleware every request passes: cross-origin protection, a body cap,
// sessions.
func (s *Server) initAuth(o AuthOptions) {
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:8080"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	lim := o.Limits.withDefaults()
	secure := strings.HasPrefix(o.PublicURL, "https://")
	a := &authState{
		sessions: auth.NewSessions(s.svc, auth.SessionConfig{IdleTimeout: o.IdleTimeout, Lifetime: o.Lifetime, Secure: secure}),
		oidc:     auth.NewOIDC(s.svc, o.PublicURL, o.Getenv, o.HTTPClient),
		trusted:  o.TrustedProxies,
		secure:   secure,
		base:     strings.TrimRight(o.PublicURL, "/"),
		signIn:   newLimiter(lim.SignInPerAddress, o.Now),
		failures: newLimiter(lim.FailuresPerAddress, o.Now),
		requests: newLimiter(lim.RequestsPerPerson, o.Now),
		writes:   newLimiter(lim.WritesPerPerson, o.Now),

		linkClients: newLimiter(lim.LinkMailsPerAddress, o.Now),
		linkEmails:  newLimiter(lim.LinkMailsPerEmail, o.Now),
		linkMails:   linkMailer{slots: make(chan struct{}, maxLinkMailsInFlight)},
	}
	pk, err := auth.NewPasskeys(s.svc, o.PublicURL)
	if err != nil {
		s.log.Warn("passkeys are off", "err", err)
	} else {
		a.passkeys = pk
	}
	a.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) { s.writeError(w, r, err) }
	s.auth = a

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, &dissent.Error{Kind: dissent.KindForbidden, Code: "cross_origin", Message: "cross-origin requests that change state are refused"})
	}))
	sessions := a.sessions.Middleware(s.mux)
	s.handler = cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(r))
		}
		sessions.ServeHTTP(w, r)
	}))
}

func (s *Server) addr(r *http.Request) string { return clientAddr(r, s.auth.trusted) }

func errRateLimited(w http.ResponseWriter, d time.Duration, what string) error {
	retryAfter(w, d)
	return &dissent.Error{Kind: dissent.KindRateLimited, Code: "rate_limited", Message: "too many " + what + "; try again later"}
}

// authenticate finds who a request acts for: a bearer token, else the
// session. It applies the limits per address (failed credentials) and per
// person (requests, writes).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (dissent.Actor, error) {
	return s.authenticateFor(w, r, false)
}

// authenticateFor is authenticate; with toWrite, a bearer token's first use
// on a request that may change something is left to the request's own
// write (Service.AuthenticateTokenToWrite), and the caller must call
// Service.FinishActivation when the request is done.
func (s *Server) authenticateFor(w http.ResponseWriter, r *http.Request, toWrite bool) (dissent.Actor, error) {
	a := s.auth
	var actor dissent.Actor
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return actor, &dissent.Error{Kind: dissent.KindUnauthenticated, Code: "unauthenticated", Message: "sign in: send Authorization: Bearer <token>"}
		}
		addr := s.addr(r)
		if ok, d := a.failures.check(addrKey(addr)); !ok {
			return actor, errRateLimited(w, d, "failed sign-ins from your address")
		}
		var err error
		authn := s.svc.AuthenticateToken
		if toWrite && r.Method != http.MethodGet && r.Method != http.MethodHead {
			authn = s.svc.AuthenticateTokenToWrite
		}
		actor, err = authn(r.Context(), dissent.NewSecret(strings.TrimSpace(token)), addr)
		if err != nil {
			if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
				s.failed(r, dissent.MethodToken, "bad token", addr)
			}
			return actor, err
		}
	} else if id := a.sessions.PersonID(r.Context()); id != 0 {
		var err error
		if u, ok := r.Context().Value(unreadKey{}).(*unread); ok {
			actor, u.n, err = s.svc.SessionActorUnread(r.Context(), id)
			u.set = err == nil
		} else {
			actor, err = s.svc.SessionActor(r.Context(), id)
		}
		if err != nil {
			_ = a.sessions.SignOut(r.Context())
			return actor, err
		}
	} else {
		return actor, &dissent.Error{Kind: dissent.KindUnauthenticated, Code: "unauthenticated", Message: "sign in: send Authorization: Bearer <token>, or sign in at /signin"}
	}
	key := "p" + actor.Email
	if ok, d := a.requests.take(key); !ok {
		return actor, errRateLimited(w, d, "requests")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if ok, d := a.writes.take(key); !ok {
			return actor, errRateLimited(w, d, "changes")
		}
	}
	return actor, nil
}

// failed spends a failure token of the address and records the failed
// sign-in; once the address has no failures left, nothing more is recorded
// until it refills (the limiter bounds the audit trail's growth too).
func (s *Server) failed(r *http.Request, method, reason, addr string) {
	if ok, _ := s.auth.failures.take(addrKey(addr)); !ok {
		return
	}
	if err := s.svc.RecordFailedSignIn(context.WithoutCancel(r.Context()), method, reason, addr); err != nil {
		s.log.ErrorContext(r.Context(), "record failed sign-in", "request_id", requestID(r.Context()), "err", err)
	}
}

// signInGate applies the per-address limits to a sign-in attempt.
func (s *Server) signInGate(w http.ResponseWriter, r *http.Request) error {
	key := addrKey(s.addr(r))
	if ok, d := s.auth.failures.check(key); !ok {
		return errRateLimited(w, d, "failed sign-ins from your address")
	}
	if ok, d := s.auth.signIn.take(key); !ok {
		return errRateLimited(w, d, "sign-in attempts from your address")
	}
	return nil
}

// startSession signs the actor in to the browser's session under a new
// session token.
func (s *Server) startSession(r *http.Request, a dissent.Actor, method string) error {
	return s.auth.sessions.SignIn(r.Context(), a, method)
}

// --- JSON API: tokens and sign-out ---

func rfc(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func (s *Server) handleSignOutAPI(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	var req struct {
		Everywhere bool `json:"everywhere"`
	}
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.signOut(r, a, req.Everywhere); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) signOut(r *http.Request, a dissent.Actor, everywhere bool) error {
	if err := s.svc.SignOut(r.Context(), a, everywhere, s.addr(r)); err != nil {
		return err
	}
	return s.auth.sessions.SignOut(r.Context())
}

// --- passkeys (JSON, called by static/passkey.js) ---

const (
	keyPasskeyReg   = "passkey_registration"
	keyPasskeyLogin = "passkey_login"
	keyOIDC         = "oidc"
	maxCeremonyBody = 64 << 10
)

var errNoPasskeys = &dissent.Error{Kind: dissent.KindUnavailable, Code: "passkeys_off", Message: "passkeys need the service's public URL (--public-url) to be http://localhost:PORT or https://HOST"}

func readCeremony(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCeremonyBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &dissent.Error{Kind: dissent.KindTooLarge, Code: "too_large", Field: "body", Limit: maxCeremonyBody, Message: "the request body is too large"}
	}
	if err != nil {
		return nil, &dissent.Error{Kind: dissent.KindInvalid, Code: "unreadable", Field: "body", Message: "could not read the request body"}
	}
	return b, nil
}

func (s *Server) handlePasskeyRegisterOptions(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if s.auth.passkeys == nil {
		s.writeError(w, r, errNoPasskeys)
		return
	}
	opts, state, err := s.auth.passkeys.BeginRegistration(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auth.sessions.Put(r.Context(), keyPasskeyReg, state)
	writeRawJSON(w, opts)
}

func (s *Server) handlePasskeyRegister(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if s.auth.passkeys == nil {
		s.writeError(w, r, errNoPasskeys)
		return
	}
	body, err := readCeremony(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	state := s.auth.sessions.PopBytes(r.Context(), keyPasskeyReg)
	if err := s.auth.passkeys.FinishRegistration(r.Context(), a, state, body, r.URL.Query().Get("name")); err != nil {
		s.logCeremony(r, err)
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"status": "registered"})
}

func (s *Server) handlePasskeySignInOptions(w http.ResponseWriter, r *http.Request) {
	if s.auth.passkeys == nil {
		s.writeError(w, r, errNoPasskeys)
		return
	}
	if err := s.signInGate(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, state, err := s.auth.passkeys.BeginLogin()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.auth.sessions.Put(r.Context(), keyPasskeyLogin, state)
	writeRawJSON(w, opts)
}

func (s *Server) handlePasskeySignIn(w http.ResponseWriter, r *http.Request) {
	if s.auth.passkeys == nil {
		s.writeError(w, r, errNoPasskeys)
		return
	}
	if err := s.signInGate(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readCeremony(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	addr := s.addr(r)
	state := s.auth.sessions.PopBytes(r.Context(), keyPasskeyLogin)
	a, err := s.auth.passkeys.FinishLogin(r.Context(), state, body, addr)
	if err != nil {
		s.logCeremony(r, err)
		if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
			s.failed(r, dissent.MethodPasskey, dissent.AsError(err).Code, addr)
		}
		s.writeError(w, r, err)
		return
	}
	if err := s.startSession(r, a, dissent.MethodPasskey); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_in", "next": s.afterSignIn(r, a)})
}

func (s *Server) logCeremony(r *http.Request, err error) {
	s.log.InfoContext(r.Context(), "sign-in ceremony failed", "request_id", requestID(r.Context()), "err", err)
}

func writeRawJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// --- single sign-on ---

func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	if err := s.signInGate(w, r); err != nil {
		s.renderSignIn(w, r, http.StatusTooManyRequests, dissent.AsError(err).Message)
		return
	}
	u, state, err := s.auth.oidc.Begin(r.Context(), r.PathValue("org"))
	if err != nil {
		s.renderSignIn(w, r, statusFor(err), s.safeMessage(r, err))
		return
	}
	s.auth.sessions.Put(r.Context(), keyOIDC, state)
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if err := s.signInGate(w, r); err != nil {
		s.renderSignIn(w, r, http.StatusTooManyRequests, dissent.AsError(err).Message)
		return
	}
	addr := s.addr(r)
	state := s.auth.sessions.PopBytes(r.Context(), keyOIDC)
	a, err := s.auth.oidc.Finish(r.Context(), state, r.URL.Query(), addr)
	if err != nil {
		s.logCeremony(r, err)
		if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
			s.failed(r, dissent.MethodOIDC, dissent.AsError(err).Code, addr)
		}
		s.renderSignIn(w, r, statusFor(err), s.safeMessage(r, err))
		return
	}
	if err := s.startSession(r, a, dissent.MethodOIDC); err != nil {
		s.renderSignIn(w, r, http.StatusInternalServerError, s.safeMessage(r, err))
		return
	}
	http.Redirect(w, r, s.afterSignIn(r, a), http.StatusSeeOther)
}

// --- one-time links ---

// handleSignInLinkSession spends a one-time link and signs its person in to
// this browser.
func (s *Server) handleSignInLinkSession(w http.ResponseWriter, r *http.Request) {
	if err := s.signInGate(w, r); err != nil {
		s.renderLink(w, r, http.StatusTooManyRequests, linkPage{}, s.safeMessage(r, err))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.renderLink(w, r, http.StatusBadRequest, linkPage{}, "The form could not be read.")
		return
	}
	addr := s.addr(r)
	a, err := s.svc.SignInWithLink(r.Context(), dissent.NewSecret(strings.TrimSpace(r.PostForm.Get("secret"))), addr)
	if err != nil {
		if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
			s.failed(r, dissent.MethodLink, "bad link", addr)
			// Used, expired, mistyped or of a deactivated account: one
			// page, which the page itself explains (signinlink).
			s.renderLink(w, r, statusFor(err), linkPage{Failed: true}, "")
			return
		}
		s.renderLink(w, r, statusFor(err), linkPage{}, s.safeMessage(r, err))
		return
	}
	if err := s.startSession(r, a, dissent.MethodLink); err != nil {
		s.renderLink(w, r, http.StatusInternalServerError, linkPage{}, s.safeMessage(r, err))
		return
	}
	http.Redirect(w, r, s.afterSignIn(r, a), http.StatusSeeOther)
}

// handleSignInLinkToken is the API form of a one-time link: it answers
// with a bearer token, for scripts.
func (s *Server) handleSignInLinkToken(w http.ResponseWriter, r *http.Request) {
	if err := s.signInGate(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req linkRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, tok, err := s.svc.RedeemSignInLink(r.Context(), dissent.NewSecret(req.Secret))
	if err != nil {
		if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
			s.failed(r, dissent.MethodLink, "bad link", s.addr(r))
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok.Reveal(), "email": a.Email, "roles": a.Roles})
}

// safeMessage is what a page may show of an error: its message, or for an
// internal error only the request id.
func (s *Server) safeMessage(r *http.Request, err error) string {
	e := dissent.AsError(err)
	if e.Kind == dissent.KindInternal {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "route", r.Pattern, "err", err)
		return "Internal error; quote request id " + requestID(r.Context()) + " to your administrator."
	}
	return e.Message
}

func passkeyID(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
