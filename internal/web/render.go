package web

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dissent-channel/dissent"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds every page template, parsed once at start-up. Each page is a
// {{define "name"}} that begins with {{template "head" .}} and ends with
// {{template "foot" .}}, and takes a *pageData.
var pages = template.Must(template.New("pages").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html"))

var templateFuncs = template.FuncMap{
	// date shows an instant in UTC; "never" for the zero time.
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// day shows the calendar date of t in its own zone (deadlines are
	// already in the channel office's zone); "—" for the zero time.
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("Mon 2 Jan 2006")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// fp is a content hash's short fingerprint: its first 16 hex digits
	// in groups of four, enough to compare two copies by eye.
	"fp": func(h string) string {
		if len(h) < 16 {
			return h
		}
		return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
	},
	// when shows a time in the channel office's zone (loc), the zone of
	// its deadlines; "never" for the zero time.
	"when": func(t time.Time, loc *time.Location) string {
		if t.IsZero() {
			return "never"
		}
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
	},
	// reveal and markdown are the only ways a template can show protected
	// text; a bare {{.Title}} prints "[redacted]".
	"reveal":   func(t dissent.Text) string { return t.Reveal() },
	"markdown": func(t dissent.Text) template.HTML { return renderMarkdown(t.Reveal()) },
	"pkid":     passkeyID,
	"menus": func(a *dissent.Actor) dissent.Menus {
		if a == nil {
			return dissent.Menus{}
		}
		return dissent.Navigation(*a)
	},
	"list": func(s ...string) []string { return s },
	// stats pairs a statistics page's data with the heading of its
	// timeliness chart, for the shared "stats-body" template.
	"stats": func(page any, heading string) struct {
		Page    any
		Heading string
	} {
		return struct {
			Page    any
			Heading string
		}{page, heading}
	},
}

// pageData is what every page template receives. Data holds the page's
// own values.
type pageData struct {
	Title   string
	Actor   *dissent.Actor // nil when nobody is signed in
	Nav     []navItem
	Current string // the path of the page, to mark the current nav item
	Demo    bool   // a throwaway demo deployment: a banner on every page
	Clock   string // the DISSENT_NOW clock is set: a warning on every page
	Marking string // classification marking of the message shown, as a banner
	Flash   string // a notice after a successful POST (from the query, never content)
	Error   string // an error about the whole page or form
	// Errors maps a form field to what is wrong with it; Form holds what the
	// person typed, so that a refused form comes back as they left it.
	Errors map[string]string
	Form   url.Values
	Data   any
}

// Err is the error of one form field ("" when none).
func (p *pageData) Err(field string) string { return p.Errors[field] }

// Val is what the person last typed in one form field.
func (p *pageData) Val(field string) string { return p.Form.Get(field) }

type navItem struct{ Path, Label string }

// nav lists the pages the actor's roles open (dissent.Navigation), in a
// fixed order.
func nav(a *dissent.Actor) []navItem {
	if a == nil {
		return nil
	}
	m := dissent.Navigation(*a)
	var items []navItem
	add := func(ok bool, path, label string) {
		if ok {
			items = append(items, navItem{path, label})
		}
	}
	add(m.Messages, "/messages", "My messages")
	add(m.Messages, "/messages/new", "New message")
	add(m.Office, "/inbox", "Inbox")
	add(m.Office, "/dashboard", "Dashboard")
	add(m.Exposure, "/exposure", "Exposure") // the office's monitor, or the findings on one's own messages
	add(m.Distributed, "/distributed", "Distributed to me")
	add(m.Consultations, "/consultations", "Consultations")
	add(m.Timeliness, "/timeliness", "Timeliness")
	add(m.Audit, "/audit", "Audit")
	add(m.Admin, "/admin", "Administration")
	return append(items, navItem{"/notifications", "Notifications"}, navItem{"/account", "Account"})
}

// newPage starts the data of a page for the actor (nil: signed out).
func (s *Server) newPage(r *http.Request, a *dissent.Actor, title string) *pageData {
	p := &pageData{Title: title, Actor: a, Nav: nav(a), Current: r.URL.Path, Demo: s.demo, Clock: s.clockWarning,
		Flash: flashText(r.URL.Query())}
	if a != nil && a.ID != 0 {
		// The unread count is the person's own; a failure to count must not
		// keep them from the page, so it only goes unshown. A page request
		// signed in by session has it already, read with the session's
		// person (authenticate).
		n, err := 0, error(nil)
		if u, ok := r.Context().Value(unreadKey{}).(*unread); ok && u.set {
			n = u.n
		} else {
			n, err = s.svc.UnreadNotifications(r.Context(), *a)
		}
		if err == nil && n > 0 {
			for i := range p.Nav {
				if p.Nav[i].Path == "/notifications" {
					p.Nav[i].Label = fmt.Sprintf("Notifications (%d unread)", n)
				}
			}
		}
	}
	return p
}

// flashes are the notices a redirect after a POST may ask for, by key, so
// that nothing a person typed ever travels in a URL.
var flashes = map[string]string{
	"saved":           "Draft saved.",
	"welcome":         "You are signed in.",
	"link_sent":       "If an account here has that address, a one-time sign-in link is on its way to it. It works once, for 24 hours. Nothing after a few minutes? Check the address and your junk mail folder, or ask your administrator.",
	"welcome_passkey": "You are signed in. You have no passkey yet: add one on your Account page, so that you can sign in next time without a link.",
	"created":         "Draft created.",
	"invited":         "Invitations sent.",
	"invited_n":       "Invitations sent: {n} ({k} already invited).",
	"reminded":        "Reminder sent to {n} invitees who have not signed. The e-mail says only that something in Dissent needs their attention.",
	"saved_voided":    "Saved as a new version. {n} co-signatures were on the earlier version and no longer count; their signers were notified to read the changes and sign again.",
	"requested":       "Your request for a meeting is sent to the authors and the channel office.",
	"signed":          "Your signature is recorded.",
	"unsigned":        "Your signature is withdrawn.",
	"submitted":       "Submitted to the channel. Your receipt is ready.",
	"withdrawn":       "The message is withdrawn.",
	"acknowledged":    "Acknowledged.",
	"assigned":        "Assigned.",
	"consulted":       "Consultation sent.",
	"input":           "Your input is recorded.",
	"replied":         "Reply recorded.",
	"approved":        "Reply approved and sent.",
	"extended":        "Reply deadline extended.",
	"redirected":      "Redirected to the proper channel.",
	"distributed":     "Distribution updated.",
	"meeting":         "Meeting recorded.",
	"closed":          "Case closed.",
	"reopened":        "Case reopened.",
	"coauthor":        "Co-author added.",
	"endorse":         "Endorsement requested.",
	"endorsed":        "Endorsement recorded.",
	"updated":         "Saved.",
	"imported":        "People imported.",
	"attached":        "The file is attached: a new version, which co-signers must sign again.",
	"detached":        "The file is removed: a new version, which co-signers must sign again.",
	"vocab_added":     "Added.",
	"vocab_retired":   "Retired; messages that carry it keep it.",
}

// flashText is the notice the query asks for. A notice may show counts,
// {n} and {k}, taken from the query only when they are small whole numbers
// (a count, never anything typed); without them the notice is not shown.
func flashText(q url.Values) string {
	t := flashes[q.Get("done")]
	for _, k := range []string{"n", "k"} {
		ph := "{" + k + "}"
		if !strings.Contains(t, ph) {
			continue
		}
		v := q.Get(k)
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 1_000_000 || strconv.Itoa(n) != v {
			return ""
		}
		t = strings.ReplaceAll(t, ph, v)
	}
	return t
}

// doneN is done with counts for the notice ({n}, {k}).
func doneN(w http.ResponseWriter, r *http.Request, path, flash string, counts ...int) {
	q := url.Values{"done": {flash}}
	for i, c := range counts {
		q.Set([]string{"n", "k"}[i], strconv.Itoa(c))
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
}

// fail puts err on the page: beside its field when the error names one the
// form has, and at the top in every case.
func (s *Server) fail(r *http.Request, p *pageData, err error) int {
	p.Error = s.safeMessage(r, err)
	if e := dissent.AsError(err); e.Field != "" {
		if p.Errors == nil {
			p.Errors = map[string]string{}
		}
		p.Errors[e.Field] = e.Message
	}
	return statusFor(err)
}

// show renders the named page into a buffer and writes it only when the
// whole page rendered, with the page CSP.
//
// Errors are shown as sentences and once (issue 13): every error starts
// with a capital (errorSentence), and an error about one field is shown
// beside that field, with at the top only a summary sentence that points
// to it (formSummary) — the top does not repeat the field's message. When
// the page has no place beside the field for it, the message stays at the
// top, so nothing is lost.
func (s *Server) show(w http.ResponseWriter, r *http.Request, status int, name string, p *pageData) {
	p.Error = errorSentence(p.Error)
	for k, v := range p.Errors {
		p.Errors[k] = errorSentence(v)
	}
	var buf bytes.Buffer
	err := pages.ExecuteTemplate(&buf, name, p)
	if err == nil && p.Error != "" && fieldErrorShown(buf.Bytes(), p.Error) {
		p.Error = formSummary
		buf.Reset()
		err = pages.ExecuteTemplate(&buf, name, p)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "render page", "request_id", requestID(r.Context()), "page", name, "err", err)
		http.Error(w, "internal error (request "+requestID(r.Context())+")", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(showBidi(buf.Bytes()))
}

// formSummary is the top of a page whose error is shown beside its field.
const formSummary = "The form was not accepted: see the message beside the field."

// fieldErrorRE finds the errors shown beside fields (templates "ferr" and
// "msg-ferr", and the few written out in place).
var fieldErrorRE = regexp.MustCompile(`<span class="field-error"[^>]*>([^<]*)</span>`)

// fieldErrorShown reports whether the rendered page shows msg beside a field.
func fieldErrorShown(page []byte, msg string) bool {
	for _, m := range fieldErrorRE.FindAllSubmatch(page, -1) {
		if html.UnescapeString(string(m[1])) == msg {
			return true
		}
	}
	return false
}

// errorSentence makes an error read as a sentence: its first letter a
// capital. The Service's messages begin in lower case (they are also the
// API's, which clients may match); a page shows them as sentences. A message
// that begins with a field's name (feed_url, reply_days) shows it as words.
func errorSentence(msg string) string {
	if first, rest, ok := strings.Cut(msg, " "); ok && strings.Contains(first, "_") && strings.ToLower(first) == first {
		msg = strings.ReplaceAll(first, "_", " ") + " " + rest
	}
	r, n := utf8.DecodeRuneInString(msg)
	if !unicode.IsLower(r) {
		return msg
	}
	return string(unicode.ToUpper(r)) + msg[n:]
}

// showBidi writes every bidirectional control (U+202A–U+202E,
// U+2066–U+2069) of a page as the visible text [U+202E]: text that titles
// and names may not hold (dissent.checkLabel) but bodies, summaries,
// replies and article titles may, so that none can reorder how the page
// around it reads. The marker holds no HTML-significant character, so it is
// safe in text, attributes and form fields alike; a form saved again keeps
// the marker rather than the control.
func showBidi(b []byte) []byte {
	if !bytes.ContainsAny(b, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) + 64)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if dissent.IsBidiControl(r) {
			fmt.Fprintf(&out, "[U+%04X]", r)
		} else {
			out.Write(b[:n])
		}
		b = b[n:]
	}
	return out.Bytes()
}

// done redirects after a successful POST (POST-redirect-GET), with a
// notice key from flashes.
func done(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		path += "?done=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// landing is the page a person's work starts from: the office's inbox,
// a reviewer's consultations, what was distributed to a principal, an
// employee's messages; for the other roles the first page their roles
// open. Account settings are never a landing page.
func landing(a *dissent.Actor) string {
	switch m := dissent.Navigation(*a); {
	case m.Office:
		return "/inbox"
	case m.Consultations:
		return "/consultations"
	case m.Distributed:
		return "/distributed"
	case m.Messages:
		return "/messages"
	}
	return nav(a)[0].Path
}

// handleHome sends each person to their landing page, keeping a notice
// asked for by the sign-in.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	path := landing(&a)
	if k := r.URL.Query().Get("done"); k == "welcome" || k == "welcome_passkey" {
		path += "?done=" + k
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// afterSignIn is where a fresh session goes: the landing page, with an
// offer of a passkey to whoever has none yet.
func (s *Server) afterSignIn(r *http.Request, a dissent.Actor) string {
	if pks, err := s.svc.Passkeys(r.Context(), a); err == nil && len(pks) == 0 {
		return landing(&a) + "?done=welcome_passkey"
	}
	return landing(&a) + "?done=welcome"
}

// handlePageNotFound answers unknown paths outside the API with a page.
func (s *Server) handlePageNotFound(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); len(allow) > 0 && !strings.HasPrefix(r.URL.Path, "/log/") {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p := s.newPage(r, nil, "Method not allowed")
		p.Error = "This address does not take " + r.Method + " requests."
		s.show(w, r, http.StatusMethodNotAllowed, "notfound", p)
		return
	}
	if s.methodNotAllowed(w, r) {
		return
	}
	p := s.newPage(r, nil, "Not found")
	p.Error = "There is no page here, or you may not see it."
	s.show(w, r, http.StatusNotFound, "notfound", p)
}
