package web

import (
	"bytes"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

//go:embed static
var static embed.FS

// pageCSP allows the page's own script and style files and nothing else:
// no inline script, no other origin, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"pkid": passkeyID,
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} — Dissent</title><link rel="stylesheet" href="/static/dissent.css">
<script src="/static/passkey.js" defer></script></head>
<body><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "signin"}}{{template "head" "Sign in"}}
<h1>Sign in to Dissent</h1>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
<section>
<h2>With a passkey</h2>
<p><button type="button" id="passkey-signin">Sign in with a passkey</button></p>
<p role="status" id="passkey-status"></p>
</section>
{{if .Providers}}<section>
<h2>With your organization's single sign-on</h2>
<ul>{{range .Providers}}<li><a id="sso-{{.OrgID}}" href="/signin/oidc/{{.OrgID}}">Sign in through {{.OrgID}}</a></li>{{end}}</ul>
</section>{{end}}
<section><h2>First time here?</h2>
<p>Use the one-time sign-in link your administrator gave you, then add a passkey.</p></section>
{{template "foot"}}{{end}}

{{define "account"}}{{template "head" "Your account"}}
<h1>Signed in as {{.Actor.Name}}</h1>
<p id="who">{{.Actor.Email}} · roles: {{.Actor.Roles}}</p>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
<section><h2>Passkeys</h2>
{{if .Passkeys}}<ul id="passkeys">{{range .Passkeys}}<li>{{.Name}} — added {{date .Created}}, last used {{date .LastUsed}}
<form method="post" action="/account/passkeys/{{pkid .ID}}/remove"><button type="submit">Remove</button></form></li>{{end}}</ul>
{{else}}<p id="no-passkeys">You have no passkey yet. Add one to sign in again later.</p>{{end}}
<p><label for="passkey-name">Name of the new passkey</label> <input id="passkey-name" maxlength="100" value="passkey">
<button type="button" id="passkey-register">Add a passkey</button></p>
<p role="status" id="passkey-status"></p>
</section>
<section><h2>API tokens</h2>
{{if .NewToken}}<p role="status">Your new token (shown once; keep it secret): <code id="new-token">{{.NewToken}}</code></p>{{end}}
{{if .Tokens}}<table><thead><tr><th scope="col">id</th><th scope="col">label</th><th scope="col">created</th><th scope="col">last used</th><th scope="col">state</th></tr></thead><tbody>
{{range .Tokens}}<tr><td><code>{{.ID}}</code></td><td>{{.Label}}</td><td>{{date .Created}}</td><td>{{date .LastUsed}}</td>
<td>{{if .Revoked.IsZero}}<form method="post" action="/account/tokens/{{.ID}}/revoke"><button type="submit">Revoke</button></form>{{else}}revoked {{date .Revoked}}{{end}}</td></tr>{{end}}
</tbody></table>{{end}}
<form method="post" action="/account/tokens"><label for="token-label">Label</label> <input id="token-label" name="label" maxlength="100">
<button type="submit">Create a token</button></form>
</section>
<section><h2>Sign out</h2>
<form method="post" action="/signout"><button type="submit" id="signout">Sign out</button></form>
<form method="post" action="/signout/everywhere"><button type="submit" id="signout-everywhere">Sign out everywhere</button></form>
</section>
{{template "foot"}}{{end}}
`))

// render writes a page rendered into a buffer first, with the page CSP.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "request_id", requestID(r.Context()), "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type signInPage struct {
	Error     string
	Providers []dissent.OIDCProvider
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ps, err := s.svc.OIDCProviders(r.Context())
	if err != nil {
		msg = s.safeMessage(r, err)
	}
	s.render(w, r, status, "signin", signInPage{Error: msg, Providers: ps})
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

type accountPage struct {
	Actor    dissent.Actor
	Passkeys []dissent.Passkey
	Tokens   []dissent.TokenInfo
	NewToken string
	Error    string
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p accountPage) {
	p.Actor = a
	var err error
	if p.Passkeys, err = s.svc.Passkeys(r.Context(), a); err == nil {
		p.Tokens, err = s.svc.Tokens(r.Context(), a)
	}
	if err != nil {
		p.Error, status = s.safeMessage(r, err), statusFor(err)
	}
	s.render(w, r, status, "account", p)
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
