package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dissent-channel/dissent"
)

// officePageRoutes lists the pages of the channel office, the principals,
// the reviewers and the compliance monitor.
func (s *Server) officePageRoutes() {
	m := s
	m.handle("GET /inbox", s.page(s.handleInboxPage))
	m.handle("GET /dashboard", s.page(s.handleDashboardPage))
	m.handle("GET /timeliness", s.page(s.handleTimelinessPage))
	m.handle("GET /statistics.csv", s.page(s.handleStatisticsCSV))
	m.handle("GET /inbox.csv", s.page(s.handleInboxCSV))
	m.handle("GET /distributed", s.page(s.handleDistributedPage))
	m.handle("GET /consultations", s.page(s.handleConsultationsPage))
}

// showOfficeError renders a page that could not be made, with the error at
// the top and the status of its kind.
func (s *Server) showOfficeError(w http.ResponseWriter, r *http.Request, a dissent.Actor, title string, err error) {
	p := s.newPage(r, &a, title)
	status := s.fail(r, p, err)
	s.show(w, r, status, "office-error", p)
}

type option struct {
	Value, Label string
	Selected     bool
}

type inboxPage struct {
	dissent.Inbox
	Rows               []inboxRow // Items, as the list shows them
	States, Orgs, Dues []option
	Prev, Next         string // links to the neighbouring pages, "" at the ends
	First, Last        int    // positions of the page's items, from 1
	CSV                string // the export of the list as filtered
	Sorts              []option
	SortLabel          string
}

// inboxRow is an inbox item with the fields the list shows, none of them
// promoted from an embedded struct (see msgRow).
type inboxRow struct {
	ID                                                             dissent.MessageID
	Title                                                          dissent.Text
	Urgency                                                        dissent.Urgency
	State                                                          dissent.State
	Assigned                                                       bool
	Pending                                                        int
	OrgID                                                          string
	SignatureCount, ReplyDays                                      int
	SubmittedAt, AcknowledgeBy, AcknowledgedAt, ReplyBy, RepliedAt time.Time
}

func inboxRows(items []dissent.InboxItem) []inboxRow {
	out := make([]inboxRow, len(items))
	for i, it := range items {
		out[i] = inboxRow{ID: it.ID, Title: it.Title, Urgency: it.Urgency, State: it.State, Assigned: it.Assigned,
			Pending: it.Pending, OrgID: it.OrgID, SignatureCount: it.SignatureCount, ReplyDays: it.ReplyDays,
			SubmittedAt: it.SubmittedAt, AcknowledgeBy: it.AcknowledgeBy, AcknowledgedAt: it.AcknowledgedAt,
			ReplyBy: it.ReplyBy, RepliedAt: it.RepliedAt}
	}
	return out
}

var sortLabels = map[string]string{"urgency": "Most urgent first", "newest": "Newest first", "oldest": "Oldest first", "signatures": "Most signatures first"}

var stateLabels = map[string]string{
	"open": "Open cases", "all": "All states", "submitted": "Submitted (to acknowledge)", "acknowledged": "Acknowledged (to reply)",
	"replied": "Replied", "closed": "Closed", "redirected": "Redirected", "withdrawn": "Withdrawn",
}

// inboxFilter reads the filter of the inbox from the query string.
func inboxFilter(q url.Values) (dissent.InboxFilter, error) {
	f := dissent.InboxFilter{State: q.Get("state"), Org: q.Get("org"), Due: q.Get("due"), Mine: q.Get("mine") == "1", ID: q.Get("id"), Sort: q.Get("sort")}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return f, &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_page", Field: "page", Message: "page must be a whole number from 1"}
		}
		f.Page = n
	}
	return f, nil
}

// query is the filter as a query string for page n.
func inboxQuery(f dissent.InboxFilter, n int) string {
	v := url.Values{}
	if f.State != "" && f.State != "open" {
		v.Set("state", f.State)
	}
	sort := f.Sort
	if sort == "urgency" {
		sort = ""
	}
	for k, s := range map[string]string{"org": f.Org, "due": f.Due, "id": f.ID, "sort": sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Mine {
		v.Set("mine", "1")
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/inbox"
	}
	return "/inbox?" + v.Encode()
}

func (s *Server) handleInboxPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Inbox")
	q := r.URL.Query()
	f, err := inboxFilter(q)
	var in dissent.Inbox
	if err == nil {
		in, err = s.svc.Inbox(r.Context(), a, f)
	}
	status := http.StatusOK
	if err != nil {
		status = s.fail(r, p, err)
		p.Form = q
		if status != http.StatusBadRequest {
			s.show(w, r, status, "office-error", p)
			return
		}
		// A bad filter: show the form as typed, with the inbox unfiltered.
		if in, err = s.svc.Inbox(r.Context(), a, dissent.InboxFilter{}); err != nil {
			s.showOfficeError(w, r, a, "Inbox", err)
			return
		}
	}
	d := inboxPage{Inbox: in, Rows: inboxRows(in.Items)}
	d.SortLabel = sortLabels[in.Filter.Sort]
	for _, so := range dissent.InboxSorts {
		d.Sorts = append(d.Sorts, option{so, sortLabels[so], so == in.Filter.Sort})
	}
	cq := url.Values{}
	for k, v := range map[string]string{"state": in.Filter.State, "org": in.Filter.Org, "due": in.Filter.Due, "id": in.Filter.ID, "sort": in.Filter.Sort} {
		if v != "" {
			cq.Set(k, v)
		}
	}
	if in.Filter.Mine {
		cq.Set("mine", "1")
	}
	d.CSV = "/inbox.csv"
	if len(cq) > 0 {
		d.CSV += "?" + cq.Encode()
	}
	for _, st := range dissent.InboxFilterStates {
		d.States = append(d.States, option{st, stateLabels[st], st == in.Filter.State})
	}
	d.Orgs = append(d.Orgs, option{"", "All organizations", in.Filter.Org == ""})
	for _, o := range in.Orgs {
		d.Orgs = append(d.Orgs, option{o, o, o == in.Filter.Org})
	}
	d.Dues = []option{{"", "Any deadline", in.Filter.Due == ""}, {"overdue", "Overdue", in.Filter.Due == "overdue"},
		{"soon", "Overdue or due within " + strconv.Itoa(dissent.DueSoonDays) + " working days", in.Filter.Due == "soon"}}
	if in.Filter.Page > 1 {
		d.Prev = inboxQuery(in.Filter, min(in.Filter.Page-1, in.Pages))
	}
	if in.Filter.Page < in.Pages {
		d.Next = inboxQuery(in.Filter, in.Filter.Page+1)
	}
	if len(in.Items) > 0 {
		d.First = (in.Filter.Page-1)*dissent.InboxPageSize + 1
		d.Last = d.First + len(in.Items) - 1
	}
	p.Data = d
	s.show(w, r, status, "inbox", p)
}

func (s *Server) handleDistributedPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	items, err := s.svc.Distributed(r.Context(), a)
	if err != nil {
		s.showOfficeError(w, r, a, "Distributed to you", err)
		return
	}
	p := s.newPage(r, &a, "Distributed to you")
	p.Data = items
	s.show(w, r, http.StatusOK, "distributed", p)
}

func (s *Server) handleConsultationsPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	items, err := s.svc.ReviewerConsultations(r.Context(), a)
	if err != nil {
		s.showOfficeError(w, r, a, "Consultations", err)
		return
	}
	var d struct{ Open, Past []dissent.ConsultationItem }
	for _, c := range items {
		if c.Open {
			d.Open = append(d.Open, c)
		} else {
			d.Past = append(d.Past, c)
		}
	}
	p := s.newPage(r, &a, "Consultations")
	p.Data = d
	s.show(w, r, http.StatusOK, "consultations", p)
}

// handleInboxCSV exports the office's list as filtered on the inbox page,
// every page of it: metadata only (no titles, so no protected read), times
// in UTC, deadlines as the office's dates.
func (s *Server) handleInboxCSV(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	f, err := inboxFilter(r.URL.Query())
	var items []dissent.InboxItem
	if err == nil {
		items, err = s.svc.InboxExport(r.Context(), a, f)
	}
	if err != nil {
		s.showOfficeError(w, r, a, "Inbox", err)
		return
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02")
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	rows := [][]string{{"id", "state", "org", "signatures", "submitted_at", "acknowledge_by", "acknowledged_at", "reply_by", "reply_working_days", "replied_at", "deadline", "assigned_to_me"}}
	for _, it := range items {
		rows = append(rows, []string{string(it.ID), string(it.State), it.OrgID, strconv.Itoa(it.SignatureCount), at(it.SubmittedAt),
			day(it.AcknowledgeBy), at(it.AcknowledgedAt), day(it.ReplyBy), strconv.Itoa(it.ReplyDays), at(it.RepliedAt),
			it.Urgency.Label(), strconv.FormatBool(it.Assigned)})
	}
	var buf bytes.Buffer
	if err := csv.NewWriter(&buf).WriteAll(rows); err != nil {
		s.showOfficeError(w, r, a, "Inbox", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="dissent-inbox.csv"`)
	_, _ = buf.WriteTo(w)
}
