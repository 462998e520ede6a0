package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/dissent-channel/dissent"
)

// The public transparency report (SPEC §6) at /report, without sign-in, and
// its JSON at GET /api/v1/report: the numbers of `dissent report`. The
// answer carries an ETag over the numbers (not the time they were computed
// at), so a client's copy holds until the numbers change; the page is
// rendered once per set of numbers and kept.

func (s *Server) reportRoutes() {
	s.handle("GET /report", s.handleReportPage)
	s.handle("GET /api/v1/report", s.handleReportAPI)
	s.handle("GET /api/v1/statistics", s.authed(s.handleStatisticsAPI))
	s.handle("GET /api/v1/findings", s.authed(s.handleFindingsAPI))
}

type reportCache struct {
	mu   sync.Mutex
	etag string
	page []byte
}

// reportETag is the entity tag of the report's numbers: AsOf is left out.
func reportETag(rep dissent.PublicReport) string {
	rep.AsOf = ""
	b, _ := json.Marshal(rep)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// notModified sets the caching headers and answers 304 when the client
// holds the current numbers.
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, no-cache") // revalidate: cheap, and the copy is always current
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

func (s *Server) handleReportAPI(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.PublishedReport(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if notModified(w, r, reportETag(rep)) {
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// reportPage is what the public report page shows.
type reportPage struct {
	dissent.PublicReport
	Charts []chart
	Groups []reportGroup
	Shares []reportShareRow
}

type reportGroup struct {
	Title  string
	Counts []dissent.ReportCount
}

type reportShareRow struct {
	Measure string
	Value   string
}

// reportChart draws a group: a withheld count is an empty bar that says
// "withheld".
func reportChart(id, title, desc string, cs []dissent.ReportCount) chart {
	labels := make([]string, len(cs))
	values := make([]float64, len(cs))
	printed := make([]string, len(cs))
	for i, c := range cs {
		labels[i], printed[i] = c.Label, reportCell(c)
		if c.Count != nil {
			values[i] = float64(*c.Count)
		}
	}
	return newChart(id, title, desc, "Messages", labels, values, printed, 0)
}

func reportCell(c dissent.ReportCount) string {
	if c.Withheld {
		return "withheld"
	}
	if c.Count == nil {
		return "—"
	}
	return strconv.Itoa(*c.Count)
}

func reportShare(sh dissent.ReportShare) string {
	switch {
	case sh.Withheld:
		return "withheld (too few due)"
	case sh.Percent == nil:
		return "— (none due yet)"
	}
	return strconv.FormatFloat(*sh.Percent, 'f', 0, 64) + " % of " + strconv.Itoa(*sh.Due)
}

func newReportPage(rep dissent.PublicReport) reportPage {
	d := reportPage{PublicReport: rep}
	d.Groups = []reportGroup{{"By month of submission", rep.ByMonth}, {"By organization", rep.ByOrg}, {"By outcome so far", rep.ByOutcome},
		{"By number of signatures", rep.Signers}, {"By policy topic", rep.ByTopic}, {"By distribution tier", rep.ByTier}}
	d.Charts = []chart{
		reportChart("report-months", "Submitted by month", "Messages submitted in each month; counts under the threshold are withheld.", rep.ByMonth),
		reportChart("report-outcomes", "Outcome so far", "Messages by their state today; counts under the threshold are withheld.", rep.ByOutcome),
	}
	if len(rep.ByTopic) > 0 {
		d.Charts = append(d.Charts, reportChart("report-topics", "By policy topic", "Messages by policy topic; counts under the threshold are withheld.", rep.ByTopic))
	}
	d.Shares = []reportShareRow{{"Acknowledged within 2 working days", reportShare(rep.AckWithin2)},
		{"Replied within 30 working days", reportShare(rep.ReplyWithin30)}, {"Replied within 60 working days", reportShare(rep.ReplyWithin60)}}
	return d
}

// handleReportPage serves /report to anyone: no sign-in, no session read
// (the page is the same for everyone, so it can be kept).
func (s *Server) handleReportPage(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.PublishedReport(r.Context())
	if err != nil {
		p := s.newPage(r, nil, "Public report")
		s.show(w, r, s.fail(r, p, err), "office-error", p)
		return
	}
	etag := reportETag(rep)
	if notModified(w, r, etag) {
		return
	}
	s.report.mu.Lock()
	page := s.report.page
	if s.report.etag != etag {
		page = nil
	}
	s.report.mu.Unlock()
	if page == nil {
		var buf bytes.Buffer
		p := s.newPage(r, nil, "Public report")
		p.Data = newReportPage(rep)
		if err := pages.ExecuteTemplate(&buf, "public-report", p); err != nil {
			s.log.ErrorContext(r.Context(), "render page", "request_id", requestID(r.Context()), "page", "public-report", "err", err)
			http.Error(w, "internal error (request "+requestID(r.Context())+")", http.StatusInternalServerError)
			return
		}
		page = buf.Bytes()
		s.report.mu.Lock()
		s.report.etag, s.report.page = etag, page
		s.report.mu.Unlock()
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(page)
}

// statsRows are the office statistics as rows: section, label, value, due.
// The CSV export and GET /api/v1/statistics hold the same rows.
func statsRows(st dissent.Stats) [][]string {
	d := newStatsPage(st, "", true)
	rows := [][]string{{"as_of", "", st.AsOf.UTC().Format("2006-01-02T15:04:05Z"), ""}}
	for _, x := range d.Summary {
		rows = append(rows, []string{"summary", x.Label, x.Value, ""})
	}
	for _, x := range d.Rows {
		rows = append(rows, []string{"timeliness", x.Measure, strconv.Itoa(x.OnTime), strconv.Itoa(x.Due)})
	}
	for _, sec := range []struct {
		name string
		cs   []dissent.StatsCount
	}{{"by_month", st.ByMonth}, {"by_org", st.ByOrg}, {"by_state", st.ByState}, {"open_by_age_working_days", st.OpenByAge}, {"signatures", st.Signers},
		{"by_topic", st.ByTopic}, {"by_tier", st.ByTier}} {
		for _, c := range sec.cs {
			rows = append(rows, []string{sec.name, c.Label, strconv.Itoa(c.N), ""})
		}
	}
	return rows
}

type statsRowJSON struct {
	Section string `json:"section"`
	Label   string `json:"label"`
	Value   string `json:"value"`
	Due     string `json:"due"`
}

// handleStatisticsAPI is the office statistics of /statistics.csv as JSON,
// row for row, with the same filters and the same access.
func (s *Server) handleStatisticsAPI(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	q := r.URL.Query()
	st, err := s.svc.Statistics(r.Context(), a, dissent.StatsFilter{Org: q.Get("org"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows := statsRows(st)
	out := make([]statsRowJSON, len(rows))
	for i, x := range rows {
		out[i] = statsRowJSON{x[0], x[1], x[2], x[3]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": out})
}

func writeStatsCSV(buf *bytes.Buffer, st dissent.Stats) error {
	cw := csv.NewWriter(buf)
	return cw.WriteAll(append([][]string{{"section", "label", "value", "due"}}, statsRows(st)...))
}

type findingJSON struct {
	ID           int64   `json:"id"`
	Message      string  `json:"message_id"`
	Score        float64 `json:"score"`
	Passages     int     `json:"passages"`
	FoundAt      *string `json:"found_at"`
	ArticleTitle string  `json:"article_title"`
	ArticleURL   string  `json:"article_url,omitempty"`
}

// handleFindingsAPI lists the exposure findings the caller may see (the
// channel office, except where recused; authors, on their own messages).
// No message text: listing is not a read.
func (s *Server) handleFindingsAPI(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	fs, err := s.svc.ExposureFindings(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]findingJSON, len(fs))
	for i, f := range fs {
		out[i] = findingJSON{ID: f.ID, Message: string(f.MessageID), Score: f.Score, Passages: len(f.Passages), FoundAt: ts(f.Found),
			ArticleTitle: f.Article.Title, ArticleURL: f.Article.URL}
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": out})
}
