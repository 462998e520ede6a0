package web

import (
	"net/http"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The audit log is public (it holds no text and no names) and served as
// C2SP tlog-tiles, so that anyone holding its public key can check it with
// standard tools.

func (s *Server) handleLogCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.svc.LogCheckpoint(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(cp)
}

func (s *Server) handleLogTile(w http.ResponseWriter, r *http.Request) {
	path := "tile/" + r.PathValue("path")
	b, err := s.svc.LogTile(r.Context(), path)
	if err != nil {
		if dissent.ErrorKind(err) != dissent.KindNotFound {
			s.writeError(w, r, err)
			return
		}
		s.writeError(w, r, dissent.ErrNotFound("tile"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// Full tiles never change; partial ones do as the log grows.
	if !strings.Contains(path, ".p/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(b)
}
