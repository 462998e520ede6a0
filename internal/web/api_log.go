package web

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The audit log is public (it holds no text and no names) and served as
// C2SP tlog-tiles, so that anyone holding its public key can check it with
// standard tools, from any site: /log/ allows cross-origin reads (CORS).

// tilePathRE is a C2SP tlog-tiles resource below /log/: tile/<L>/<N>[.p/<W>]
// for hash tiles (L from 0 to 63), tile/entries/<N>[.p/<W>] for entry
// bundles; <N> is in groups of three digits, all but the last prefixed
// with x; <W> from 1 to 255.
var tilePathRE = regexp.MustCompile(`^tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?$`)

// checkTilePath reports whether path names a tlog-tiles resource, and
// whether it is an entry bundle and a partial one. Anything else is 404
// here, before the log is asked.
func checkTilePath(path string) (entries, partial, ok bool) {
	m := tilePathRE.FindStringSubmatch(path)
	if m == nil {
		return false, false, false
	}
	if m[1] != "entries" {
		if l, _ := strconv.Atoi(m[1]); l > 63 {
			return false, false, false
		}
	}
	if m[3] != "" {
		if w, _ := strconv.Atoi(m[3]); w > 255 {
			return false, false, false
		}
	}
	return m[1] == "entries", m[3] != "", true
}

// publicLog marks a response of /log/ readable from any origin.
func publicLog(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
}

func (s *Server) handleLogCheckpoint(w http.ResponseWriter, r *http.Request) {
	publicLog(w)
	cp, err := s.svc.LogCheckpoint(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// The checkpoint changes as the log grows.
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(cp)
}

// handleLogPreflight answers CORS preflights of /log/ (a monitor sending
// If-None-Match, say): reads only.
func (s *Server) handleLogPreflight(w http.ResponseWriter, r *http.Request) {
	publicLog(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	h.Set("Access-Control-Allow-Headers", "*")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleLogTile(w http.ResponseWriter, r *http.Request) {
	publicLog(w)
	path := "tile/" + r.PathValue("level") + "/" + r.PathValue("index")
	entries, partial, ok := checkTilePath(path)
	if !ok {
		s.writeError(w, r, dissent.ErrNotFound("tile"))
		return
	}
	b, err := s.svc.LogTile(r.Context(), path)
	if err != nil {
		if dissent.ErrorKind(err) != dissent.KindNotFound {
			s.writeError(w, r, err)
			return
		}
		s.writeError(w, r, dissent.ErrNotFound("tile"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	// Full tiles never change; partial ones do as the log grows.
	if partial {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if entries {
		// Entry bundles compress well (hashes do not): gzip them for the
		// clients that accept it.
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(b); err == nil && zw.Close() == nil {
				h.Set("Content-Encoding", "gzip")
				b = buf.Bytes()
			}
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (and does not give it q=0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q, found := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q=")
			if !found {
				return true
			}
			f, err := strconv.ParseFloat(q, 64)
			return err == nil && f > 0
		}
	}
	return false
}
