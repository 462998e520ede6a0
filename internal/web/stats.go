package web

import (
	"bytes"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// Charts are drawn on the server as inline SVG with presentation attributes
// and classes (the CSP forbids inline style), as horizontal bars that read
// well from 360 px up. Each has a <title> and <desc>, and its numbers also
// stand in a data table beside it.

// chart is a horizontal bar chart laid out for the template.
type chart struct {
	ID, Title, Desc string
	Unit            string // heading of the value column of the data table
	Height          int    // of the viewBox; the width is chartWidth
	Rows            []chartRow
}

type chartRow struct {
	Label string
	Short string  // the label cut to fit the label column
	Value string  // as printed at the end of the bar and in the table
	Y     int     // top of the row
	W     float64 // bar width in viewBox units
	TextX float64 // where the value is printed
}

const (
	chartWidth  = 640
	chartLabelW = 190 // label column
	chartBarMax = chartWidth - chartLabelW - 70
	chartRowH   = 30
)

// ChartWidth and friends let the template draw the frame.
func (c chart) Width() int    { return chartWidth }
func (c chart) BarX() int     { return chartLabelW }
func (c chart) LabelX() int   { return chartLabelW - 8 }
func (c chart) BarH() int     { return chartRowH - 10 }
func (c chart) Empty() bool   { return len(c.Rows) == 0 }
func (r chartRow) TextY() int { return r.Y + chartRowH/2 + 5 }
func (r chartRow) BarY() int  { return r.Y + 5 }

// newChart lays out bars whose length is value/max of the bar area.
func newChart(id, title, desc, unit string, labels []string, values []float64, printed []string, max float64) chart {
	c := chart{ID: id, Title: title, Desc: desc, Unit: unit}
	if max <= 0 {
		for _, v := range values {
			max = math.Max(max, v)
		}
	}
	for i, l := range labels {
		w := 0.0
		if max > 0 {
			w = math.Round(values[i]/max*chartBarMax*10) / 10
		}
		c.Rows = append(c.Rows, chartRow{Label: l, Short: shorten(l, 24), Value: printed[i], Y: i * chartRowH, W: w, TextX: float64(chartLabelW) + w + 6})
	}
	c.Height = max0(len(labels)*chartRowH, chartRowH)
	return c
}

// shorten cuts s to n characters, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func max0(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func countChart(id, title, desc string, cs []dissent.StatsCount) chart {
	labels := make([]string, len(cs))
	values := make([]float64, len(cs))
	printed := make([]string, len(cs))
	for i, c := range cs {
		labels[i], values[i], printed[i] = c.Label, float64(c.N), strconv.Itoa(c.N)
	}
	return newChart(id, title, desc, "Messages", labels, values, printed, 0)
}

type stat struct{ Label, Value string }

// statsPage is what the dashboard and the timeliness page show.
type statsPage struct {
	dissent.Stats
	Summary    []stat
	Timeliness chart
	Rows       []timelinessRow // the timeliness table
	Charts     []chart
	Orgs       []option
	Action     string // the page the filter form goes to
	CSV        string // the same statistics as a CSV file
}

type timelinessRow struct {
	Measure     string
	OnTime, Due int
	Share       string
}

func newStatsPage(st dissent.Stats, action string, all bool) statsPage {
	tl := st.Timeliness
	d := statsPage{Stats: st, Action: action}
	open := 0
	for _, c := range st.ByState {
		if c.Label == string(dissent.StateSubmitted) || c.Label == string(dissent.StateAcknowledged) {
			open += c.N
		}
	}
	d.Summary = []stat{
		{"Submitted", strconv.Itoa(st.Submitted)},
		{"Open cases", strconv.Itoa(open)},
		{"Acknowledgements overdue", strconv.Itoa(tl.OverdueAck)},
		{"Replies overdue", strconv.Itoa(tl.OverdueReply)},
		{"Median working days to acknowledge", days(tl.MedianAckDays, tl.Acknowledged)},
		{"Median working days to reply", days(tl.MedianReplyDays, tl.Replied)},
	}
	d.Rows = []timelinessRow{
		{"Acknowledged within 2 working days", tl.AckOnTime, tl.AckDue, dissent.Share(tl.AckOnTime, tl.AckDue)},
		{"Replied within 30 working days", tl.Reply30, tl.Reply30Due, dissent.Share(tl.Reply30, tl.Reply30Due)},
		{"Replied within 60 working days", tl.Reply60, tl.Reply60Due, dissent.Share(tl.Reply60, tl.Reply60Due)},
	}
	labels := make([]string, len(d.Rows))
	values := make([]float64, len(d.Rows))
	printed := make([]string, len(d.Rows))
	for i, r := range d.Rows {
		labels[i], values[i], printed[i] = []string{"Acknowledged ≤ 2 days", "Replied ≤ 30 days", "Replied ≤ 60 days"}[i], dissent.Percent(r.OnTime, r.Due), r.Share
	}
	d.Timeliness = newChart("chart-timeliness", "Timeliness", "Share of the messages due for each measure that met it, in working days from submission: "+
		d.Rows[0].Share+" acknowledged within 2, "+d.Rows[1].Share+" replied within 30, "+d.Rows[2].Share+" replied within 60.", "Share", labels, values, printed, 100)
	d.Charts = []chart{
		countChart("chart-age", "Open cases by age", "Open cases by working days since submission.", st.OpenByAge),
		countChart("chart-months", "Submitted by month", "Messages submitted in each month, in the channel office's time zone.", st.ByMonth),
	}
	if all {
		d.Charts = append(d.Charts,
			countChart("chart-outcome", "Outcome so far", "Messages by their state today.", st.ByState),
			countChart("chart-orgs", "By organization", "Messages by the organization of their drafter.", st.ByOrg),
			countChart("chart-signers", "Signatures per message", "Messages by the number of signatures on the submitted version.", st.Signers),
		)
	}
	if len(st.ByTopic) > 0 {
		d.Charts = append(d.Charts, countChart("chart-topics", "By topic", "Messages by policy topic.", st.ByTopic))
	}
	if len(st.ByTier) > 0 {
		d.Charts = append(d.Charts, countChart("chart-tiers", "By tier", "Messages by the distribution tier they are addressed to.", st.ByTier))
	}
	q := url.Values{}
	for k, v := range map[string]string{"org": st.Filter.Org, "from": st.Filter.From, "to": st.Filter.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	d.CSV = "/statistics.csv"
	if len(q) > 0 {
		d.CSV += "?" + q.Encode()
	}
	d.Orgs = append(d.Orgs, option{"", "All organizations", st.Filter.Org == ""})
	for _, o := range st.Orgs {
		d.Orgs = append(d.Orgs, option{o, o, o == st.Filter.Org})
	}
	return d
}

func days(median float64, n int) string {
	if n == 0 {
		return "—"
	}
	return strconv.FormatFloat(median, 'f', -1, 64)
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, a dissent.Actor, title, tmpl, action string, all bool) {
	p := s.newPage(r, &a, title)
	q := r.URL.Query()
	f := dissent.StatsFilter{Org: q.Get("org"), From: q.Get("from"), To: q.Get("to")}
	st, err := s.svc.Statistics(r.Context(), a, f)
	status := http.StatusOK
	if err != nil {
		status = s.fail(r, p, err)
		if status != http.StatusBadRequest {
			s.show(w, r, status, "office-error", p)
			return
		}
		p.Form = q
		if st, err = s.svc.Statistics(r.Context(), a, dissent.StatsFilter{}); err != nil {
			s.showOfficeError(w, r, a, title, err)
			return
		}
	}
	p.Data = newStatsPage(st, action, all)
	s.show(w, r, status, tmpl, p)
}

// handleDashboardPage is the channel office's SLA dashboard.
func (s *Server) handleDashboardPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.statsPage(w, r, a, "Dashboard", "dashboard", "/dashboard", true)
}

// handleTimelinessPage is the compliance monitor's view: timeliness over
// every message, no text, no names.
func (s *Server) handleTimelinessPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.statsPage(w, r, a, "Timeliness", "timeliness", "/timeliness", false)
}

// handleStatisticsCSV exports the statistics of the dashboard as CSV:
// section, label, value (counts and shares only; no text, no names).
func (s *Server) handleStatisticsCSV(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	q := r.URL.Query()
	st, err := s.svc.Statistics(r.Context(), a, dissent.StatsFilter{Org: q.Get("org"), From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		s.showOfficeError(w, r, a, "Statistics", err)
		return
	}
	var buf bytes.Buffer
	if err := writeStatsCSV(&buf, st); err != nil {
		s.showOfficeError(w, r, a, "Statistics", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="dissent-statistics.csv"`)
	_, _ = buf.WriteTo(w)
}
