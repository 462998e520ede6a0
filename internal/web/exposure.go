package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dissent-channel/dissent"
)

// The exposure monitor: the article upload API, the findings pages, and the
// forms the channel office uses to add articles and feeds.
func (s *Server) exposureRoutes() {
	m := s
	m.handle("POST /api/v1/articles", s.authed(s.handleArticleCreate))
	m.handle("GET /exposure", s.page(s.handleExposureList))
	m.handle("POST /exposure/articles", s.page(s.handleArticleUpload))
	m.handle("POST /exposure/feeds", s.page(s.handleFeedAdd))
	m.handle("GET /exposure/{finding}", s.page(s.handleExposureShow))
}

func init() {
	flashes["article"] = "Article added and matched against every submitted message."
	flashes["article_known"] = "This article was already stored; nothing new."
	flashes["feed"] = "Feed added; it is polled on the next round."
}

type articleRequest struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Body  string `json:"body"`
}

type articleJSON struct {
	ID        int64   `json:"id"`
	Hash      string  `json:"hash"`
	Title     string  `json:"title"`
	URL       string  `json:"url"`
	Source    string  `json:"source"`
	CreatedAt *string `json:"created_at"`
	New       bool    `json:"new"`
}

// handleArticleCreate stores an article: 201 when new, 200 with the stored
// one when the same text is already there.
func (s *Server) handleArticleCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	var req articleRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	art, created, err := s.svc.AddArticle(r.Context(), a, dissent.ArticleInput{Title: req.Title, URL: req.URL, Body: req.Body})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, articleJSON{ID: art.ID, Hash: art.Hash, Title: art.Title, URL: art.URL, Source: art.Source,
		CreatedAt: ts(art.Added), New: created})
}

type exposureListPage struct {
	Findings []dissent.FindingView
	Office   bool // may add articles
	Feeds    []dissent.Feed
	Manage   bool // may add feeds
}

func (s *Server) renderExposureList(w http.ResponseWriter, r *http.Request, a dissent.Actor, p *pageData, status int) {
	fs, err := s.svc.ExposureFindings(r.Context(), a)
	if err != nil {
		status = s.fail(r, p, err)
	}
	data := exposureListPage{Findings: fs, Office: dissent.May(a, dissent.ActAddArticle),
		Manage: dissent.May(a, dissent.ActManageFeeds)}
	if data.Manage {
		if data.Feeds, err = s.svc.Feeds(r.Context(), a); err != nil {
			status = s.fail(r, p, err)
		}
	}
	p.Data = data
	s.show(w, r, status, "exposure", p)
}

func (s *Server) handleExposureList(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.renderExposureList(w, r, a, s.newPage(r, &a, "Exposure"), http.StatusOK)
}

func (s *Server) handleArticleUpload(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Exposure")
	if err := r.ParseForm(); err != nil {
		p.Error = "The form could not be read (at most " + strconv.Itoa(maxBody) + " bytes)."
		s.renderExposureList(w, r, a, p, http.StatusBadRequest)
		return
	}
	in := dissent.ArticleInput{Title: r.PostForm.Get("title"), URL: r.PostForm.Get("url"), Body: r.PostForm.Get("body")}
	_, created, err := s.svc.AddArticle(r.Context(), a, in)
	if err != nil {
		status := s.fail(r, p, err)
		p.Form = r.PostForm
		s.renderExposureList(w, r, a, p, status)
		return
	}
	flash := "article"
	if !created {
		flash = "article_known"
	}
	done(w, r, "/exposure", flash)
}

func (s *Server) handleFeedAdd(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Exposure")
	if err := r.ParseForm(); err != nil {
		p.Error = "The form could not be read."
		s.renderExposureList(w, r, a, p, http.StatusBadRequest)
		return
	}
	if _, err := s.svc.AddFeed(r.Context(), a, r.PostForm.Get("feed_url")); err != nil {
		status := s.fail(r, p, err)
		if e := dissent.AsError(err); e != nil && e.Field == "url" {
			p.Errors["feed_url"] = e.Message
		}
		p.Form = r.PostForm
		s.renderExposureList(w, r, a, p, status)
		return
	}
	done(w, r, "/exposure", "feed")
}

// excerpt is a passage with some text around it.
type excerpt struct {
	Before, Mark, After string
	Cut0, Cut1          bool // text left out before, after
}

// excerptContext is how many bytes of context an excerpt shows on each side.
const excerptContext = 160

// makeExcerpt cuts text[start:end] with context, at word boundaries, never
// inside a UTF-8 sequence. Offsets out of range or inside a character give
// an empty excerpt.
func makeExcerpt(text string, start, end int) excerpt {
	if start < 0 || end > len(text) || start > end || !runeBoundary(text, start) || !runeBoundary(text, end) {
		return excerpt{}
	}
	lo, hi := max(0, start-excerptContext), min(len(text), end+excerptContext)
	if lo > 0 {
		if k := strings.IndexAny(text[lo:start], " \n"); k >= 0 {
			lo += k + 1
		}
	}
	if hi < len(text) {
		if k := strings.LastIndexAny(text[end:hi], " \n"); k >= 0 {
			hi = end + k
		}
	}
	for lo < start && !utf8.RuneStart(text[lo]) {
		lo++
	}
	for hi > end && hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi--
	}
	return excerpt{Before: text[lo:start], Mark: text[start:end], After: text[end:hi], Cut0: lo > 0, Cut1: hi < len(text)}
}

func runeBoundary(s string, i int) bool { return i == len(s) || utf8.RuneStart(s[i]) }

type passageRow struct {
	N                int
	Kind             string
	Article, Message excerpt
}

type exposureShowPage struct {
	dissent.FindingView
	Rows []passageRow
}

func (s *Server) handleExposureShow(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := strconv.ParseInt(r.PathValue("finding"), 10, 64)
	if err != nil || id <= 0 {
		s.handlePageNotFound(w, r)
		return
	}
	v, err := s.svc.ExposureFinding(r.Context(), a, id)
	if dissent.ErrorKind(err) == dissent.KindNotFound {
		s.handlePageNotFound(w, r)
		return
	}
	p := s.newPage(r, &a, "Exposure finding")
	if err != nil {
		status := s.fail(r, p, err)
		s.show(w, r, status, "exposure_finding", p)
		return
	}
	body := v.MessageBody.Reveal()
	data := exposureShowPage{FindingView: v}
	for i, ps := range v.Passages {
		data.Rows = append(data.Rows, passageRow{N: i + 1, Kind: ps.Kind,
			Article: makeExcerpt(v.Article.Body, ps.ArticleStart, ps.ArticleEnd),
			Message: makeExcerpt(body, ps.MessageStart, ps.MessageEnd)})
	}
	p.Data = data
	w.Header().Set("Cache-Control", "no-store")
	s.show(w, r, http.StatusOK, "exposure_finding", p)
}
