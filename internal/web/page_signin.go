package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

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

// "E-mail me a sign-in link" (issue 13): the sign-in page's form, with no
// JavaScript, through which a person gets a one-time link without an
// administrator, and the page a link opens.
//
// Security properties:
//   - The answer is one and the same whether or not the address belongs to
//     a person, whether the person may sign in, and whether the address's
//     own limit is spent: a redirect to /signin?done=link_sent, whose page
//     does not repeat the address. The work that differs (the directory
//     look-up, issuing and queueing the link) runs after the answer, off
//     the request's path, so its time tells nothing either.
//   - Two limits: per client address (past it, 429 whatever the address
//     typed, which tells nothing of it) and per e-mail address (past it,
//     the same answer as always and nothing sent; a 429 there would tell
//     that someone had just asked for that address).
//   - The address is never logged, never put in a URL, and kept in memory
//     only as a hash (the limiter's key); the link's secret is only in the
//     e-mail (sealed in the outbox until sent) and in the link page's form.
//   - The Service decides whom to send to (MailSignInLink: deny by
//     default) and issues the link through the one path that issues links.

// maxLinkMailsInFlight bounds the requests handed to the background at
// once; past it a request is dropped (with the same answer), so a flood
// cannot pile up goroutines.
const maxLinkMailsInFlight = 16

// linkMailTimeout bounds one background request.
const linkMailTimeout = 30 * time.Second

// linkMailer runs MailSignInLink after the answer is sent.
type linkMailer struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

// mailLinkLater hands the request to the background. The request's
// context is kept for its values (the request id), not its cancellation.
func (s *Server) mailLinkLater(r *http.Request, email string) {
	m := &s.auth.linkMails
	select {
	case m.slots <- struct{}{}:
	default:
		s.log.WarnContext(r.Context(), "sign-in link request dropped: too many at once", "request_id", requestID(r.Context()))
		return
	}
	m.wg.Add(1)
	ctx := context.WithoutCancel(r.Context())
	rid := requestID(r.Context())
	go func() {
		defer func() { <-m.slots; m.wg.Done() }()
		ctx, cancel := context.WithTimeout(ctx, linkMailTimeout)
		defer cancel()
		if err := s.svc.MailSignInLink(ctx, email); err != nil {
			// The error names no address (the address was checked before).
			s.log.ErrorContext(ctx, "e-mail a sign-in link", "request_id", rid, "code", dissent.AsError(err).Code, "err", err)
		}
	}()
}

// Drain waits for the work handed to the background (the sign-in links
// asked for) to end; serve calls it once the listener has drained, before
// the store closes.
func (s *Server) Drain() { s.auth.linkMails.wg.Wait() }

// emailKey is the per-address limiter's key: a hash, so that memory holds
// no address.
func emailKey(email string) string {
	h := sha256.Sum256([]byte("dissent link mail v1\n" + email))
	return hex.EncodeToString(h[:16])
}

var errNoMail = &dissent.Error{Kind: dissent.KindUnavailable, Code: "no_mail",
	Message: "This deployment sends no e-mail, so it cannot send you a sign-in link; ask your administrator for one."}

// handleSignInEmail is POST /signin/email.
func (s *Server) handleSignInEmail(w http.ResponseWriter, r *http.Request) {
	if !s.svc.SendsMail() {
		s.renderSignIn(w, r, statusFor(errNoMail), errNoMail.Message)
		return
	}
	if err := s.signInGate(w, r); err != nil {
		s.renderSignIn(w, r, http.StatusTooManyRequests, s.safeMessage(r, err))
		return
	}
	if ok, d := s.auth.linkClients.take(addrKey(s.addr(r))); !ok {
		s.renderSignIn(w, r, http.StatusTooManyRequests, s.safeMessage(r, errRateLimited(w, d, "sign-in links asked for from your address")))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.renderSignIn(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	email, err := dissent.NormalizeEmail("email", strings.TrimSpace(r.PostForm.Get("email")))
	if err != nil {
		p := s.signInData(r)
		p.Form = r.PostForm
		status := s.fail(r, p, &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_email", Field: "email",
			Message: "Enter your e-mail address, such as name@agency.gov."})
		s.show(w, r, status, "signin", p)
		return
	}
	if ok, _ := s.auth.linkEmails.take(emailKey(email)); ok {
		s.mailLinkLater(r, email)
	}
	http.Redirect(w, r, "/signin?done=link_sent", http.StatusSeeOther)
}

// linkPage is what a one-time link shows: a button (a GET spends nothing,
// so link previews and scanners cannot use it up), or, once spent, why it
// did not work and what to do.
type linkPage struct {
	Secret string
	Failed bool // the link is invalid, used or expired
	Mail   bool // the page offers to e-mail a new link
}

func (s *Server) renderLink(w http.ResponseWriter, r *http.Request, status int, d linkPage, msg string) {
	title := "Sign in"
	if d.Failed {
		title = "This sign-in link does not work"
	}
	d.Mail = s.svc.SendsMail()
	p := s.newPage(r, nil, title)
	p.Error, p.Data = msg, d
	s.show(w, r, status, "signinlink", p)
}

// handleSignInLinkPage is GET /signin/link/{secret}.
func (s *Server) handleSignInLinkPage(w http.ResponseWriter, r *http.Request) {
	s.renderLink(w, r, http.StatusOK, linkPage{Secret: r.PathValue("secret")}, "")
}
