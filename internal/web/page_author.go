package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dissent-channel/dissent"
)

// The message pages of the web UI (SPEC §7): my messages, the draft editor
// with preview and autosave, the co-signing page, the last review before
// submission, receipts, the access log, the print view and the versions
// with their differences. The case page and its action forms are in page_read.go.
// Every flow works without JavaScript; /static/dissent.js only adds comfort.

// messagePageRoutes lists the routes of the message pages.
func (s *Server) messagePageRoutes() {
	m := s
	m.handle("GET /messages", s.page(s.handleMessagesPage))
	m.handle("GET /messages/new", s.page(s.handleEditorNew))
	m.handle("POST /messages", s.editorPost(s.handleEditorCreate))
	m.handle("GET /messages/{id}/edit", s.page(s.handleEditorEdit))
	m.handle("POST /messages/{id}/edit", s.editorPost(s.handleEditorSave))
	m.handle("POST /messages/{id}/autosave", s.authed(s.handleAutosave))
	m.handle("GET /messages/{id}/sign", s.page(s.handleSignPage))
	m.handle("POST /messages/{id}/sign", s.page(s.handleSignPost))
	m.handle("POST /messages/{id}/unsign", s.page(s.caseAct("unsign", "unsigned", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Unsign(r.Context(), a, id)
		return err
	})))
	m.handle("GET /messages/{id}/submit", s.page(s.handleSubmitPage))
	m.handle("POST /messages/{id}/submit", s.page(s.handleSubmitPost))
	m.handle("GET /messages/{id}/receipt", s.page(s.handleReceiptPage))
	m.handle("GET /messages/{id}/access-log", s.page(s.handleAccessLogPage))
	m.handle("GET /messages/{id}/print", s.page(s.handlePrintPage))
	m.handle("GET /messages/{id}/versions", s.page(s.handleVersionsPage))
	s.casePageRoutes()       // page_read.go
	s.inviteLinkRoutes()     // page_author.go
	s.attachmentPageRoutes() // attachment.go
}

// --- shared helpers of the message pages ---

// messageFor reads the message of the path for a page that needs the
// reader to be allowed act (the Service's Decide, through MessageView.Can);
// otherwise it shows the error page (404 for what the reader may not see,
// 403 with refusal for what they may see but not do) and reports false.
func (s *Server) messageFor(w http.ResponseWriter, r *http.Request, a dissent.Actor, act dissent.Action, refusal string) (dissent.MessageView, bool) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return dissent.MessageView{}, false
	}
	v, err := s.svc.GetMessage(r.Context(), a, id)
	if err == nil && !v.Can[act] {
		err = &dissent.Error{Kind: dissent.KindForbidden, Code: "forbidden", Message: refusal}
	}
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return dissent.MessageView{}, false
	}
	return v, true
}

// readForm parses a posted form within the body limit; an oversized body is
// TooLarge (413), an unreadable one Invalid.
func readForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &dissent.Error{Kind: dissent.KindTooLarge, Code: "too_large", Field: "body", Limit: maxBody,
				Message: "the form must be at most " + strconv.Itoa(maxBody) + " bytes"}
		}
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "unreadable", Field: "body", Message: "the form could not be read"}
	}
	return nil
}

// showMsgError renders a page for an error that leaves nothing to show: a
// message that does not exist or that the reader may not see is 404.
func (s *Server) showMsgError(w http.ResponseWriter, r *http.Request, a *dissent.Actor, err error) {
	title := "Not found"
	if k := dissent.ErrorKind(err); k != dissent.KindNotFound {
		title = "Not possible"
	}
	p := s.newPage(r, a, title)
	status := s.fail(r, p, err)
	if status == http.StatusNotFound {
		p.Error = "There is no such message, or you may not see it."
	}
	s.show(w, r, status, "msg-error", p)
}

// pageMessageID parses {id}; a malformed id is a missing message.
func (s *Server) pageMessageID(w http.ResponseWriter, r *http.Request, a dissent.Actor) (dissent.MessageID, bool) {
	id, err := messageID(r)
	if err != nil {
		s.showMsgError(w, r, &a, dissent.ErrNotFound("message"))
		return "", false
	}
	return id, true
}

var fieldIndexRE = regexp.MustCompile(`\[\d+\]`)

// failForm puts err on a page whose forms are told apart by their hidden
// "form" field: a field error is kept under "form.field" so that it shows
// beside the form that was sent, and the typed input comes back.
func (s *Server) failForm(r *http.Request, p *pageData, form string, err error) int {
	status := s.fail(r, p, err)
	p.Form = r.PostForm
	if p.Errors != nil {
		fixed := make(map[string]string, len(p.Errors))
		for k, v := range p.Errors {
			k = fieldIndexRE.ReplaceAllString(k, "")
			if form != "" {
				k = form + "." + k
			}
			fixed[k] = v
		}
		p.Errors = fixed
	}
	return status
}

// FErr is the error of one field of one form of the page.
func (p *pageData) FErr(form, field string) string { return p.Errors[form+"."+field] }

// FVal is what the person typed in one field of one form, if that form was
// the one sent.
func (p *pageData) FVal(form, field string) string {
	if p.Form.Get("form") != form {
		return ""
	}
	return p.Form.Get(field)
}

// Sent reports whether the refused form was this one (to open its details).
func (p *pageData) Sent(form string) bool { return p.Form.Get("form") == form }

// splitList splits a list of addresses typed one a line or separated by
// commas, semicolons or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// msgBadge is a deadline badge: a class for its colour and words that say
// the same, so that colour is never the only sign.
type msgBadge struct {
	Class, Label string
}

// deadlineBadge describes a deadline due at due (zero: none) met at met.
func deadlineBadge(due, met, now time.Time) msgBadge {
	switch {
	case due.IsZero():
		return msgBadge{}
	case !met.IsZero() && met.After(due):
		return msgBadge{"badge-overdue", "met late"}
	case !met.IsZero():
		return msgBadge{"badge-done", "met"}
	}
	dn := now.In(due.Location())
	y1, m1, d1 := dn.Date()
	y2, m2, d2 := due.Date()
	today := y1 == y2 && m1 == m2 && d1 == d2
	switch {
	case now.After(due):
		return msgBadge{"badge-overdue", "overdue"}
	case today:
		return msgBadge{"badge-today", "due today"}
	case due.Sub(now) < 72*time.Hour:
		return msgBadge{"badge-soon", "due soon"}
	}
	return msgBadge{"badge-ok", "on time"}
}

// msgRow is one message in a list, with its deadline badges: the fields
// the list shows and nothing else, none of them promoted from an embedded
// struct. (text/template finds a promoted field by a breadth-first search
// that allocates on every access: a fifth of all the allocations of "My
// messages", 13 fields on each of 50 rows.)
type msgRow struct {
	ID                              dissent.MessageID
	Text                            bool // the reader may read the title
	Title                           dissent.Text
	Classification                  string
	State                           dissent.State
	Version, SignatureCount         int
	AcknowledgeBy, ReplyBy, Updated time.Time
	AckBadge, ReplyBadge            msgBadge
}

func (s *Server) msgRow(v dissent.MessageView) msgRow {
	ack, reply := clockBadges(v.Message, s.svc.Now())
	return msgRow{ID: v.ID, Text: v.Text, Title: v.Title, Classification: v.Classification, State: v.State,
		Version: v.Version, SignatureCount: v.SignatureCount, AcknowledgeBy: v.AcknowledgeBy, ReplyBy: v.ReplyBy,
		Updated: v.Updated, AckBadge: ack, ReplyBadge: reply}
}

// clockBadges are the badges of a message's two deadlines. A deadline that
// was met shows whether in time; one that is still running shows how near
// it is; one whose clock stopped unmet (the message was withdrawn,
// redirected or closed) shows none, since nothing is overdue any more.
func clockBadges(m dissent.Message, now time.Time) (ack, reply msgBadge) {
	running := func(states ...dissent.State) bool {
		for _, st := range states {
			if m.State == st {
				return true
			}
		}
		return false
	}
	if !m.AcknowledgedAt.IsZero() || running(dissent.StateSubmitted) {
		ack = deadlineBadge(m.AcknowledgeBy, m.AcknowledgedAt, now)
	}
	if !m.RepliedAt.IsZero() || running(dissent.StateSubmitted, dissent.StateAcknowledged) {
		reply = deadlineBadge(m.ReplyBy, m.RepliedAt, now)
	}
	return ack, reply
}

// --- my messages ---

type msgGroup struct {
	ID, Heading, Empty string
	Rows               []msgRow
}

type messagesPage struct {
	Groups      []msgGroup
	Count       int
	Query, Sort string
	Sorts       []option
}

func (s *Server) handleMessagesPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	vs, err := s.svc.ListMessages(r.Context(), a)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	// Search and sort, with no script: q matches the title (where the
	// reader may read it) or the start of the id; sort orders each group.
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if len(q) > 200 {
		q = q[:200]
	}
	sortBy := r.URL.Query().Get("sort")
	if sortBy != "title" && sortBy != "state" && sortBy != "signatures" {
		sortBy = "updated"
	}
	if q != "" {
		vs = slices.DeleteFunc(vs, func(v dissent.MessageView) bool {
			return !strings.HasPrefix(string(v.ID), q) && !(v.Text && strings.Contains(strings.ToLower(v.Title.Reveal()), q))
		})
	}
	slices.SortStableFunc(vs, func(x, y dissent.MessageView) int {
		switch sortBy {
		case "title":
			return strings.Compare(strings.ToLower(x.Title.Reveal()), strings.ToLower(y.Title.Reveal()))
		case "state":
			return strings.Compare(string(x.State), string(y.State))
		case "signatures":
			return y.SignatureCount - x.SignatureCount
		}
		return y.Updated.Compare(x.Updated)
	})
	groups := []msgGroup{
		{ID: "drafts", Heading: "Drafts", Empty: "No drafts."},
		{ID: "circulating", Heading: "Circulating for signatures", Empty: "Nothing circulating."},
		{ID: "submitted", Heading: "Submitted to the channel", Empty: "Nothing submitted yet."},
		{ID: "ended", Heading: "Closed, withdrawn or redirected", Empty: "None."},
	}
	for _, v := range vs {
		g := 3
		switch v.State {
		case dissent.StateDraft:
			g = 0
		case dissent.StateCirculating:
			g = 1
		case dissent.StateSubmitted, dissent.StateAcknowledged, dissent.StateReplied:
			g = 2
		}
		groups[g].Rows = append(groups[g].Rows, s.msgRow(v))
	}
	p := s.newPage(r, &a, "My messages")
	p.Data = messagesPage{Groups: groups, Count: len(vs), Query: r.URL.Query().Get("q"), Sort: sortBy,
		Sorts: []option{{"updated", "Last change", sortBy == "updated"}, {"title", "Title", sortBy == "title"},
			{"state", "State", sortBy == "state"}, {"signatures", "Most signatures", sortBy == "signatures"}}}
	s.show(w, r, http.StatusOK, "msg-list", p)
}

// --- the draft editor ---

type editorPage struct {
	ID       dissent.MessageID // empty for a new message
	Action   string
	Version  int
	Next     int // the version a save makes
	Signers  int // effective signatures on the version being edited
	State    dissent.State
	Preview  bool
	Title    dissent.Text // the preview's title
	Body     dissent.Text // the preview's body
	Summary  dissent.Text
	Limits   struct{ Title, Summary, Body int }
	Autosave bool   // the server saves the draft as it is typed (JS)
	DraftKey string // key of the browser's copy of unsaved text (JS)
	Expired  bool   // the session ended: the text is kept, sign in again
	Vocab    dissent.Vocabulary
	// Classification is the marking of the version being edited, for the
	// banner; Attachments its files.
	Classification string
	Attachments    []dissent.Attachment
}

// VocabOptions lists the choices of one kind for the editor: the entries in
// use, and a retired one only if it is the current value.
func (e editorPage) VocabOptions(kind, current string) []string {
	var out []string
	for _, x := range e.Vocab.Of(dissent.VocabKind(kind)) {
		if x.Retired.IsZero() || x.Name == current {
			out = append(out, x.Name)
		}
	}
	return out
}

func newEditor(id dissent.MessageID) editorPage {
	e := editorPage{ID: id, Action: "/messages", DraftKey: "new"}
	if id != "" {
		e.Action, e.DraftKey = "/messages/"+string(id)+"/edit", string(id)
	}
	e.Limits.Title, e.Limits.Summary, e.Limits.Body = dissent.MaxTitle, dissent.MaxSummary, dissent.MaxBody
	return e
}

func (s *Server) showEditor(w http.ResponseWriter, r *http.Request, a *dissent.Actor, status int, p *pageData, e editorPage) {
	if a != nil {
		if v, err := s.svc.GetVocabulary(r.Context()); err == nil {
			e.Vocab = v
		}
	}
	p.Data = e
	p.Marking = e.Classification
	s.show(w, r, status, "msg-editor", p)
}

// messageTemplate is the starting outline a drafter may ask for.
const messageTemplate = "## What happened\n\n(The policy or decision, and what you saw of its effects.)\n\n" +
	"## Why it matters\n\n(Why you disagree: the facts, the risks, who is affected.)\n\n" +
	"## What we ask\n\n(What you propose instead, as precisely as you can.)\n"

func (s *Server) handleEditorNew(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "New message")
	p.Form = url.Values{}
	if r.URL.Query().Get("template") == "1" {
		p.Form.Set("body", messageTemplate)
	}
	s.showEditor(w, r, &a, http.StatusOK, p, newEditor(""))
}

func (s *Server) handleEditorEdit(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	v, ok := s.messageFor(w, r, a, dissent.ActEdit, "you may not edit this message")
	if !ok {
		return
	}
	p := s.newPage(r, &a, "Edit the draft")
	p.Form = url.Values{"title": {v.Title.Reveal()}, "summary": {v.Summary.Reveal()}, "body": {v.Body.Reveal()},
		"classification": {v.Classification}, "topic": {v.Topic}, "tier": {v.Tier}, "related": {joinIDs(v.Related)}}
	e := newEditor(v.ID)
	e.Classification, e.Attachments = v.Classification, v.Attachments
	e.Version, e.Next, e.Signers, e.State, e.Autosave = v.Version, v.Version+1, v.SignatureCount, v.State, v.State == dissent.StateDraft
	if !v.State.Editable() {
		p.Error = "This message is " + string(v.State) + " and can no longer be edited."
	}
	s.showEditor(w, r, &a, http.StatusOK, p, e)
}

// editorPost wraps the editor's POST handlers: when the session has ended,
// the form comes back with everything typed in it and a request to sign in
// again, instead of a redirect that would lose the text.
func (s *Server) editorPost(h func(http.ResponseWriter, *http.Request, dissent.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var a dissent.Actor
		var err error
		if s.auth.sessions.PersonID(r.Context()) == 0 {
			err = &dissent.Error{Kind: dissent.KindUnauthenticated, Code: "unauthenticated", Message: "sign in"}
		} else {
			a, err = s.authenticate(w, r)
		}
		if err != nil {
			p := s.newPage(r, nil, "Your session has ended")
			_ = readForm(r)
			p.Form = r.PostForm
			status := http.StatusUnauthorized
			p.Error = "Your session has ended, so this text was not saved. It is still in the form below: open Sign in in a new tab, sign in, then come back and save again."
			if dissent.ErrorKind(err) != dissent.KindUnauthenticated {
				p.Title, status = "Not saved", statusFor(err)
				p.Error = s.safeMessage(r, err) + " Your text was not saved; it is still in the form below."
			}
			e := newEditor("")
			if id, err := dissent.ParseMessageID(r.PathValue("id")); err == nil {
				e = newEditor(id)
			}
			e.Expired = status == http.StatusUnauthorized
			s.showEditor(w, r, nil, status, p, e)
			return
		}
		h(w, r, a)
	}
}

func draftOf(r *http.Request) dissent.Draft {
	f := r.PostForm
	d := dissent.Draft{Title: f.Get("title"), Summary: f.Get("summary"), Body: f.Get("body")}
	// The model's fields count only when the form has them, so that a form
	// without them (an older tab, a script) leaves them as they are.
	for _, x := range []struct {
		name string
		to   **string
	}{{"classification", &d.Classification}, {"topic", &d.Topic}, {"tier", &d.Tier}} {
		if f.Has(x.name) {
			v := f.Get(x.name)
			*x.to = &v
		}
	}
	if f.Has("related") {
		rel := splitList(f.Get("related"))
		d.Related = &rel
	}
	return d
}

func joinIDs(ids []dissent.MessageID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return strings.Join(out, "\n")
}

// editorRefuse shows the editor again with what was typed and the error
// beside its field.
func (s *Server) editorRefuse(w http.ResponseWriter, r *http.Request, a dissent.Actor, e editorPage, err error) {
	p := s.newPage(r, &a, "Draft not saved")
	status := s.failForm(r, p, "", err)
	if dissent.ErrorKind(err) == dissent.KindTooLarge {
		p.Form = url.Values{}
	}
	s.showEditor(w, r, &a, status, p, e)
}

// preview re-renders the editor with the sanitized Markdown; nothing is
// saved.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, a dissent.Actor, e editorPage) {
	p := s.newPage(r, &a, "Preview")
	p.Form = r.PostForm
	d := draftOf(r)
	e.Preview = true
	e.Title, e.Summary, e.Body = dissent.NewText(d.Title), dissent.NewText(d.Summary), dissent.NewText(d.Body)
	if !utf8.ValidString(d.Title + d.Summary + d.Body) {
		s.editorRefuse(w, r, a, editorPage{}, &dissent.Error{Kind: dissent.KindInvalid, Code: "invalid_utf8", Field: "body", Message: "the text is not valid UTF-8"})
		return
	}
	// The preview renders what it is given: the same bounds as saving, so
	// that no one spends the server's CPU through it.
	if utf8.RuneCountInString(d.Body) > dissent.MaxBody {
		s.editorRefuse(w, r, a, editorPage{}, &dissent.Error{Kind: dissent.KindInvalid, Code: "too_long", Field: "body", Limit: dissent.MaxBody,
			Message: "body must be at most " + strconv.Itoa(dissent.MaxBody) + " characters"})
		return
	}
	if err := dissent.CheckMarkdown("body", d.Body); err != nil {
		s.editorRefuse(w, r, a, editorPage{}, err)
		return
	}
	s.showEditor(w, r, &a, http.StatusOK, p, e)
}

func (s *Server) handleEditorCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	e := newEditor("")
	if err := readForm(r); err != nil {
		s.editorRefuse(w, r, a, e, err)
		return
	}
	if r.PostForm.Get("action") == "preview" {
		s.preview(w, r, a, e)
		return
	}
	m, err := s.svc.CreateMessage(r.Context(), a, draftOf(r))
	if err != nil {
		s.editorRefuse(w, r, a, e, err)
		return
	}
	done(w, r, "/messages/"+string(m.ID), "created")
}

func (s *Server) handleEditorSave(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	e := newEditor(id)
	if err := readForm(r); err != nil {
		s.editorRefuse(w, r, a, e, err)
		return
	}
	if r.PostForm.Get("action") == "preview" {
		s.preview(w, r, a, e)
		return
	}
	_, voided, err := s.svc.EditMessageVoiding(r.Context(), a, id, draftOf(r))
	if err != nil {
		if dissent.ErrorKind(err) == dissent.KindNotFound {
			s.showMsgError(w, r, &a, err)
			return
		}
		s.editorRefuse(w, r, a, e, err)
		return
	}
	if voided > 0 {
		doneN(w, r, "/messages/"+string(id), "saved_voided", voided)
		return
	}
	done(w, r, "/messages/"+string(id), "saved")
}

// handleAutosave is the editor script's save as one types: 204, or the
// API's JSON error (401 once the session has ended: the script keeps the
// text in the tab).
func (s *Server) handleAutosave(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err == nil {
		err = readForm(r)
	}
	if err == nil {
		_, err = s.svc.Autosave(r.Context(), a, id, draftOf(r))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- co-signing ---

type signPage struct {
	V                  dissent.MessageView
	Stale              bool // the text changed since the signer opened the page
	CanSign, CanUnsign bool
	// Changed is set when the signer signed an earlier version: the word
	// difference from that version (From) to this one.
	Changed        bool
	From           int
	Title, Summary []diffOp
	Body           []diffOp
}

func (s *Server) showSign(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData, stale bool) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	v, err := s.svc.GetMessage(r.Context(), a, id)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	if !v.Can[dissent.ActSign] && p.Error == "" {
		p.Error = "You are not invited to sign this message."
	} else if !v.State.Editable() && p.Error == "" {
		p.Error = "This message is " + string(v.State) + "; signatures are frozen."
	}
	sp := signPage{V: v, Stale: stale, CanSign: v.Can[dissent.ActSign], CanUnsign: v.Can[dissent.ActUnsign]}
	if v.MySignedVersion != 0 && v.MySignedVersion != v.Version && !v.Facts.Drafter {
		from, to, ok, err := s.svc.SignedVersion(r.Context(), a, id)
		if err != nil {
			s.showMsgError(w, r, &a, err)
			return
		}
		if ok {
			sp.Changed, sp.From = true, from.Number
			sp.Title = wordDiff(from.Title.Reveal(), to.Title.Reveal())
			sp.Summary = wordDiff(from.Summary.Reveal(), to.Summary.Reveal())
			sp.Body = wordDiff(from.Body.Reveal(), to.Body.Reveal())
		}
	}
	p.Data = sp
	p.Marking = v.Classification
	s.show(w, r, status, "msg-sign", p)
}

func (s *Server) handleSignPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.showSign(w, r, a, http.StatusOK, s.newPage(r, &a, "Co-sign"), false)
}

func (s *Server) handleSignPost(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	p := s.newPage(r, &a, "Co-sign")
	err := readForm(r)
	minOthers := 0
	if err == nil && r.PostForm.Get("conditional") != "" {
		minOthers, err = strconv.Atoi(strings.TrimSpace(r.PostForm.Get("min_cosigners")))
		if err != nil || minOthers < 1 {
			err = &dissent.Error{Kind: dissent.KindInvalid, Code: "out_of_range", Field: "min_cosigners", Limit: dissent.MaxSigners - 1,
				Message: "the number of other signers must be a whole number from 1 to " + strconv.Itoa(dissent.MaxSigners-1)}
		}
	}
	if err == nil {
		_, err = s.svc.Sign(r.Context(), a, id, r.PostForm.Get("content_hash"), minOthers)
	}
	if err == nil {
		done(w, r, "/messages/"+string(id), "signed")
		return
	}
	if dissent.ErrorKind(err) == dissent.KindNotFound {
		s.showMsgError(w, r, &a, err)
		return
	}
	status := s.failForm(r, p, "", err)
	stale := dissent.AsError(err).Code == "stale_content_hash"
	if stale {
		p.Error = "The text changed after you opened this page, so your signature was not recorded. Read the new version below; sign it if you agree with it."
	}
	s.showSign(w, r, a, status, p, stale)
}

// --- submission ---

type submitPage struct {
	V       dissent.MessageView
	Signers dissent.SignerList
	Stale   bool
	AckDays int
	Reply   int
}

func (s *Server) showSubmit(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData, stale bool) {
	v, ok := s.messageFor(w, r, a, dissent.ActSubmit, "only the drafter may submit this message")
	if !ok {
		return
	}
	sp := submitPage{V: v, Stale: stale, AckDays: dissent.DefaultAckDays, Reply: dissent.DefaultReplyDay}
	var err error
	if sp.Signers, err = s.svc.Signers(r.Context(), a, v.ID); err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	if !v.State.Editable() && p.Error == "" {
		p.Error = "This message is " + string(v.State) + " and cannot be submitted again."
	}
	p.Data = sp
	p.Marking = sp.V.Classification
	s.show(w, r, status, "msg-submit", p)
}

func (s *Server) handleSubmitPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	s.showSubmit(w, r, a, http.StatusOK, s.newPage(r, &a, "Submit to the channel"), false)
}

func (s *Server) handleSubmitPost(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	err := readForm(r)
	if err == nil {
		_, err = s.svc.Submit(r.Context(), a, id, r.PostForm.Get("content_hash"))
	}
	if err == nil {
		done(w, r, "/messages/"+string(id), "submitted")
		return
	}
	if dissent.ErrorKind(err) == dissent.KindNotFound {
		s.showMsgError(w, r, &a, err)
		return
	}
	p := s.newPage(r, &a, "Submit to the channel")
	status := s.failForm(r, p, "", err)
	stale := dissent.AsError(err).Code == "stale_content_hash"
	if stale {
		p.Error = "The text changed after you opened this page (a co-author saved a new version), so nothing was submitted. Review the new version below."
	}
	s.showSubmit(w, r, a, status, p, stale)
}

// --- receipt, access log, print, versions ---

// formField is one field of one form of a page, for the templates: its
// element id, name, the value typed (if that form was sent) and its error.
type formField struct {
	ID, Name, Value, Err string
}

// F describes one field of one form ("" for a page with one form).
func (p *pageData) F(form, field string) formField {
	if form == "" {
		return formField{ID: field, Name: field, Value: p.Val(field), Err: p.Err(field)}
	}
	return formField{ID: form + "-" + field, Name: field, Value: p.FVal(form, field), Err: p.FErr(form, field)}
}

func (s *Server) inviteLinkRoutes() {
	m := s
	m.handle("POST /messages/{id}/invite-link", s.page(s.handleInviteLinkCreate))
	m.handle("POST /messages/{id}/invite-link/revoke", s.page(s.caseAct("invite_link", "links_revoked",
		func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
			_, err := s.svc.RevokeInviteLinks(r.Context(), a, id)
			return err
		})))
	m.handle("GET /join/{secret}", s.page(s.handleJoinPage))
	m.handle("POST /join/{secret}", s.page(s.handleJoin))
}

type inviteLinkPage struct {
	ID   dissent.MessageID
	Link string
}

func (s *Server) handleInviteLinkCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	sec, err := s.svc.CreateInviteLink(r.Context(), a, id)
	if err != nil {
		s.caseRefused(w, r, a, id, "invite_link", err)
		return
	}
	p := s.newPage(r, &a, "Invitation link")
	p.Data = inviteLinkPage{ID: id, Link: s.auth.base + "/join/" + sec.Reveal()}
	s.show(w, r, http.StatusCreated, "invite-link", p)
}

func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	p := s.newPage(r, &a, "Join a message")
	p.Data = r.PathValue("secret")
	s.show(w, r, http.StatusOK, "join", p)
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := s.svc.JoinByLink(r.Context(), a, dissent.NewSecret(r.PathValue("secret")))
	if err != nil {
		p := s.newPage(r, &a, "Join a message")
		status := s.fail(r, p, err)
		s.show(w, r, status, "join", p)
		return
	}
	done(w, r, "/messages/"+string(id)+"/sign", "joined")
}

// Shareable invitation links: made on the case page by whoever may invite,
// shown once; opened by an employee, who joins the invitees and goes to the
// co-signing page. The link's secret travels in the path, which the request
// log never records (it logs route patterns), and pages send no referrer.

func init() {
	flashes["links_revoked"] = "Every invitation link to this message is revoked; those who joined stay invited."
	flashes["joined"] = "You are invited. Read the text below before you sign."
}
