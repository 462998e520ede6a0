package web

import (
	"net/http"

	"github.com/dissent-channel/dissent"
)

// The reading API (read.go in the root package): messages, versions,
// signers, the access log, receipts, and who one is (/api/v1/me).

func (s *Server) handleMessageList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	vs, err := s.svc.ListMessages(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]messageJSON, len(vs))
	for i, v := range vs {
		out[i] = viewOut(v)
		out[i].Summary, out[i].Body = nil, nil // a list shows titles only
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) handleMessageShow(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.svc.GetMessage(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOut(v))
}

func (s *Server) handleVersionList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.svc.Versions(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type versionJSON struct {
		Number         int              `json:"number"`
		Title          string           `json:"title"`
		Summary        string           `json:"summary"`
		Body           string           `json:"body"`
		ContentHash    string           `json:"content_hash"`
		CreatedAt      *string          `json:"created_at"`
		Classification string           `json:"classification"`
		Topic          string           `json:"topic"`
		Attachments    []attachmentJSON `json:"attachments"`
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionJSON{v.Number, v.Title.Reveal(), v.Summary.Reveal(), v.Body.Reveal(), v.ContentHash, ts(v.Created),
			v.Classification, v.Topic, attachmentsOut(v.Attachments)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

func (s *Server) handleSignatureList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ss, err := s.svc.Signers(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"signatures": signersJSON(ss.Signers), "total": ss.Total})
}

func (s *Server) handleAccessLog(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, err := s.svc.AccessLog(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]accessJSON, len(es))
	for i, e := range es {
		out[i] = accessJSON{At: ts(e.At), What: e.Kind, Role: e.Role, Org: e.OrgID, Unit: e.UnitID, Name: e.Name}
	}
	writeJSON(w, http.StatusOK, map[string]any{"access": out})
}

func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc, err := s.svc.Receipt(r.Context(), a, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	writeJSON(w, http.StatusOK, map[string]any{"email": a.Email, "name": a.Name, "org": a.OrgID, "unit": a.UnitID, "roles": a.Roles})
}
