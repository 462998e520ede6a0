package web

import (
	_ "embed"
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

type linkRequest struct {
	Secret string `json:"secret"`
}
