package web

import (
	"net/http"

	"github.com/dissent-channel/dissent"
)

// API tokens in the API (token.go in the root package): one's own only.

func toTokenJSON(t dissent.TokenInfo) tokenJSON {
	return tokenJSON{ID: t.ID, Label: t.Label, Created: *rfc(t.Created), LastUsed: rfc(t.LastUsed), Revoked: rfc(t.Revoked)}
}

type tokenJSON struct {
	ID       string  `json:"id"`
	Label    string  `json:"label"`
	Created  string  `json:"created_at"`
	LastUsed *string `json:"last_used_at"`
	Revoked  *string `json:"revoked_at"`
	Token    string  `json:"token,omitempty"`
}

func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	ts, err := s.svc.Tokens(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTokenJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	var req struct {
		Label string `json:"label"`
	}
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	info, tok, err := s.svc.CreateToken(r.Context(), a, req.Label)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	j := toTokenJSON(info)
	j.Token = tok.Reveal()
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	if err := s.svc.RevokeToken(r.Context(), a, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
