package web

import (
	"net/http"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The message model's API (issue 15): the vocabulary and attachments.

type vocabEntryJSON struct {
	Name    string `json:"name"`
	Retired bool   `json:"retired"`
}

type vocabularyJSON struct {
	Classifications []vocabEntryJSON `json:"classifications"`
	Topics          []vocabEntryJSON `json:"topics"`
	Tiers           []vocabEntryJSON `json:"tiers"`
	AccreditedLevel string           `json:"accredited_level,omitempty"`
}

func vocabOut(v dissent.Vocabulary) vocabularyJSON {
	conv := func(es []dissent.VocabEntry) []vocabEntryJSON {
		out := make([]vocabEntryJSON, len(es))
		for i, e := range es {
			out[i] = vocabEntryJSON{Name: e.Name, Retired: !e.Retired.IsZero()}
		}
		return out
	}
	return vocabularyJSON{Classifications: conv(v.Classifications), Topics: conv(v.Topics), Tiers: conv(v.Tiers), AccreditedLevel: v.Accredited}
}

func (s *Server) handleVocabulary(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	v, err := s.svc.GetVocabulary(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vocabOut(v))
}

// --- the pages' attachment forms and downloads ---

// --- the administrator's vocabulary page ---

func (s *Server) vocabularyAdminRoutes() {
	s.handle("GET /admin/vocabulary", s.page(s.handleAdminVocabulary))
	s.handle("POST /admin/vocabulary", s.page(s.handleAdminVocabularyAdd))
	s.handle("POST /admin/vocabulary/retire", s.page(s.handleAdminVocabularyRetire))
}

// vocabPage is the vocabulary with a method the template ranges over.
type vocabPage struct{ dissent.Vocabulary }

func (v vocabPage) Of(kind string) []dissent.VocabEntry {
	return v.Vocabulary.Of(dissent.VocabKind(kind))
}

func (s *Server) renderVocabulary(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	v, err := s.svc.AdminVocabulary(r.Context(), a)
	if err != nil {
		if s.adminRefused(w, r, err) {
			return
		}
		status = s.fail(r, p, err)
	}
	p.Data = vocabPage{v}
	s.show(w, r, status, "admin_vocabulary", p)
}

func (s *Server) handleAdminVocabulary(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderVocabulary(w, r, a, http.StatusOK, s.newPage(r, &a, "Vocabulary"))
}

func (s *Server) vocabForm(w http.ResponseWriter, r *http.Request, a dissent.Actor, flash string, fn func(dissent.VocabKind, string) error) {
	p := s.newPage(r, &a, "Vocabulary")
	err := readForm(r)
	if err == nil {
		var k dissent.VocabKind
		if k, err = dissent.ParseVocabKind("kind", r.PostForm.Get("kind")); err == nil {
			err = fn(k, r.PostForm.Get("name"))
		}
	}
	if err != nil {
		if dissent.AsError(err).Field == "" && s.adminRefused(w, r, err) {
			return
		}
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderVocabulary(w, r, a, status, p)
		return
	}
	done(w, r, "/admin/vocabulary", flash)
}

func (s *Server) handleAdminVocabularyAdd(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.vocabForm(w, r, a, "vocab_added", func(k dissent.VocabKind, name string) error {
		_, err := s.svc.AddVocabulary(r.Context(), a, k, name)
		return err
	})
}

func (s *Server) handleAdminVocabularyRetire(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.vocabForm(w, r, a, "vocab_retired", func(k dissent.VocabKind, name string) error {
		return s.svc.RetireVocabulary(r.Context(), a, k, name)
	})
}

// --- the office's page of the tiers' default distribution lists ---

func (s *Server) tierRoutes() {
	s.handle("GET /tiers", s.page(s.handleTiersPage))
	s.handle("POST /tiers", s.page(s.handleTiersPost))
}

type tierRow struct {
	Name, Emails string
}

func (s *Server) renderTiers(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData) {
	lists, err := s.svc.TierDistributions(r.Context(), a)
	if err != nil {
		s.showOfficeError(w, r, a, "Tiers", err)
		return
	}
	v, err := s.svc.GetVocabulary(r.Context())
	if err != nil {
		s.showOfficeError(w, r, a, "Tiers", err)
		return
	}
	var rows []tierRow
	for _, t := range v.Tiers {
		if t.Retired.IsZero() {
			rows = append(rows, tierRow{t.Name, strings.Join(lists[t.Name], "\n")})
		}
	}
	p.Data = rows
	s.show(w, r, status, "tiers", p)
}

func (s *Server) handleTiersPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderTiers(w, r, a, http.StatusOK, s.newPage(r, &a, "Tiers"))
}

func (s *Server) handleTiersPost(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Tiers")
	err := readForm(r)
	if err == nil {
		err = s.svc.SetTierDistribution(r.Context(), a, r.PostForm.Get("tier"), splitList(r.PostForm.Get("emails")))
	}
	if err != nil {
		if dissent.ErrorKind(err) == dissent.KindForbidden {
			s.showOfficeError(w, r, a, "Tiers", err)
			return
		}
		status := s.failForm(r, p, "", err) // emails[3] shows beside emails
		s.renderTiers(w, r, a, status, p)
		return
	}
	done(w, r, "/tiers", "tiers_saved")
}
