package web

import (
	"context"
	"embed"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/dissent-channel/dissent"
)

//go:embed static
var static embed.FS

// pageCSP allows the page's own script and style files and nothing else:
// no inline script, no other origin, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type signInPage struct {
	Providers []dissent.OIDCProvider
	Mail      bool // the deployment sends e-mail: the page offers a link by e-mail
}

// signInData is the sign-in page's data; an error listing the identity
// providers is the page's error.
func (s *Server) signInData(r *http.Request) *pageData {
	p := s.newPage(r, nil, "Sign in")
	ps, err := s.svc.OIDCProviders(r.Context())
	if err != nil {
		p.Error = s.safeMessage(r, err)
	}
	p.Data = signInPage{Providers: ps, Mail: s.svc.SendsMail()}
	return p
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.signInData(r)
	if p.Error == "" {
		p.Error = msg
	}
	s.show(w, r, status, "signin", p)
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	s.renderSignIn(w, r, http.StatusOK, "")
}

// page wraps a handler of a page that needs a session: without one the
// browser goes to /signin.
func (s *Server) page(h func(http.ResponseWriter, *http.Request, dissent.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.auth.sessions.PersonID(r.Context()) == 0 {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		// The session's reader and their unread notifications are read
		// together; newPage shows the count.
		r = r.WithContext(context.WithValue(r.Context(), unreadKey{}, &unread{}))
		a, err := s.authenticate(w, r)
		if err != nil {
			if dissent.ErrorKind(err) == dissent.KindUnauthenticated {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.renderSignIn(w, r, statusFor(err), s.safeMessage(r, err))
			return
		}
		h(w, r, a)
	}
}

// unreadKey marks, in a page request's context, where authenticate leaves
// the reader's count of unread notifications, read with the session's
// person in one transaction.
type unreadKey struct{}

type unread struct {
	n   int
	set bool
}

type accountPage struct {
	Passkeys []dissent.Passkey
	Tokens   []dissent.TokenInfo
	NewToken string
	Error    string
	dissent.AccountView
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p accountPage) {
	var err error
	if p.Passkeys, err = s.svc.Passkeys(r.Context(), a); err == nil {
		p.Tokens, err = s.svc.Tokens(r.Context(), a)
	}
	if err == nil {
		p.AccountView, err = s.svc.Account(r.Context(), a)
	}
	if err != nil {
		p.Error, status = s.safeMessage(r, err), statusFor(err)
	}
	pd := s.newPage(r, &a, "Your account")
	pd.Error, pd.Data = p.Error, p
	s.show(w, r, status, "account", pd)
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderAccount(w, r, a, http.StatusOK, accountPage{})
}

func (s *Server) handleAccountTokenCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if err := r.ParseForm(); err != nil {
		s.renderAccount(w, r, a, http.StatusBadRequest, accountPage{Error: "The form could not be read."})
		return
	}
	_, tok, err := s.svc.CreateToken(r.Context(), a, r.PostForm.Get("label"))
	if err != nil {
		s.renderAccount(w, r, a, statusFor(err), accountPage{Error: s.safeMessage(r, err)})
		return
	}
	s.renderAccount(w, r, a, http.StatusCreated, accountPage{NewToken: tok.Reveal()})
}

func (s *Server) handleAccountTokenRevoke(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if err := s.svc.RevokeToken(r.Context(), a, r.PathValue("id")); err != nil {
		s.renderAccount(w, r, a, statusFor(err), accountPage{Error: s.safeMessage(r, err)})
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) handleAccountPasskeyRemove(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := base64.RawURLEncoding.DecodeString(r.PathValue("id"))
	if err == nil {
		err = s.svc.RemovePasskey(r.Context(), a, id)
	} else {
		err = dissent.ErrNotFound("passkey")
	}
	if err != nil {
		s.renderAccount(w, r, a, statusFor(err), accountPage{Error: s.safeMessage(r, err)})
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) handleSignOutPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	everywhere := strings.HasSuffix(r.URL.Path, "/everywhere")
	if err := s.signOut(r, a, everywhere); err != nil {
		s.renderAccount(w, r, a, statusFor(err), accountPage{Error: s.safeMessage(r, err)})
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := static.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// authRoutes lists the routes of sign-in, sessions and tokens.
func (s *Server) authRoutes() {
	m := s
	m.handle("GET /static/{file}", s.handleStatic)
	m.handle("GET /signin", s.handleSignInPage)
	m.handle("POST /signin/email", s.handleSignInEmail)
	m.handle("POST /signin/passkey/options", s.handlePasskeySignInOptions)
	m.handle("POST /signin/passkey", s.handlePasskeySignIn)
	m.handle("GET /signin/oidc/{org}", s.handleOIDCStart)
	m.handle("GET /signin/oidc/callback", s.handleOIDCCallback)
	m.handle("GET /account", s.page(s.handleAccount))
	m.handle("POST /account/passkeys/options", s.authed(s.handlePasskeyRegisterOptions))
	m.handle("POST /account/passkeys", s.authed(s.handlePasskeyRegister))
	m.handle("POST /account/passkeys/{id}/remove", s.page(s.handleAccountPasskeyRemove))
	m.handle("POST /account/tokens", s.page(s.handleAccountTokenCreate))
	m.handle("POST /account/tokens/{id}/revoke", s.page(s.handleAccountTokenRevoke))
	m.handle("POST /signout", s.page(s.handleSignOutPage))
	m.handle("POST /signout/everywhere", s.page(s.handleSignOutPage))

	m.handle("GET /api/v1/tokens", s.authed(s.handleTokenList))
	m.handle("POST /api/v1/tokens", s.authed(s.handleTokenCreate))
	m.handle("DELETE /api/v1/tokens/{id}", s.authed(s.handleTokenRevoke))
	m.handle("POST /api/v1/signout", s.authed(s.handleSignOutAPI))
}
