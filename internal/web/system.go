package web

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"

	"github.com/dissent-channel/dissent"
)

//go:embed openapi.json
var openAPI []byte

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if err := s.ready(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPI)
}

func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	if s.methodNotAllowed(w, r) {
		return
	}
	s.writeError(w, r, &dissent.Error{Kind: dissent.KindNotFound, Code: "not_found", Message: "no such API route"})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	writeJSON(w, http.StatusOK, map[string]any{"email": a.Email, "name": a.Name, "org": a.OrgID, "unit": a.UnitID, "roles": a.Roles})
}

type linkRequest struct {
	Secret string `json:"secret"`
}

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Dissent</title></head>
<body><main>
<h1>Sign in to Dissent</h1>
{{if .Error}}
<p role="alert">{{.Error}}</p>
{{else}}
<p>This one-time link signs you in to this browser. It can be used once; afterwards, add a passkey.</p>
<form method="post" action="/signin/link"><input type="hidden" name="secret" value="{{.Secret}}">
<button type="submit">Sign in</button></form>
{{end}}
</main></body></html>
`))

type linkPageData struct {
	Secret, Error string
}

// handleSignInLinkPage shows a button rather than spending the link on GET,
// so that link previews and scanners cannot use it up.
func (s *Server) handleSignInLinkPage(w http.ResponseWriter, r *http.Request) {
	s.renderLink(w, http.StatusOK, linkPageData{Secret: r.PathValue("secret")})
}

func (s *Server) renderLink(w http.ResponseWriter, status int, d linkPageData) {
	var buf bytes.Buffer
	if err := linkPage.Execute(&buf, d); err != nil {
		s.log.Error("render sign-in page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
