package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// The message (case) page, for every role, and the action forms on it.
// Which forms appear is the Service's answer (MessageView.Can, from the one
// policy Decide) combined with the message's state; the Service decides
// again when a form is sent.

// casePage is what the case page shows.
type casePage struct {
	V            dissent.MessageView
	Can          map[string]bool // action name → allowed (dissent.Action.String)
	Author       bool            // the reader drafted or co-authors it: their reads are not recorded
	Signers      []dissent.SignerView
	SignerTotal  int  // every signature, those of signers the reader supervises included (not listed)
	ShowSigners  bool // names were asked for (or the reader is an author)
	BreakGlass   bool // an auditor's recorded read: names and text shown
	AckBadge     msgBadge
	ReplyBadge   msgBadge
	Pending      int    // replies awaiting the director's approval
	Today        string // for date inputs
	MaxReplyDays int
	ClearDraft   string // the editor's copy in the browser tab to forget: the text is saved
	Invitations  []dissent.InvitationView
	Progress     dissent.Progress
	SignersOpen  bool // the signer list is short enough to show unfolded
}

// collapseAt is the length beyond which a list of people is folded away
// (the actions above it stay in view).
const collapseAt = 20

// Open reports whether the message is still with the channel office
// (submitted or acknowledged).
func (c casePage) Open() bool {
	return c.V.State == dissent.StateSubmitted || c.V.State == dissent.StateAcknowledged
}

func (s *Server) casePageRoutes() {
	m := s
	m.handle("GET /messages/{id}", s.page(s.handleCasePage))
	act := func(path, form, flash string, fn func(*http.Request, dissent.Actor, dissent.MessageID) error) {
		m.handle("POST /messages/{id}/"+path, s.page(s.caseAct(form, flash, fn)))
	}
	f := func(r *http.Request, k string) string { return r.PostForm.Get(k) }
	m.handle("POST /messages/{id}/invite", s.page(s.caseActN("invite", func(r *http.Request, a dissent.Actor, id dissent.MessageID) (string, []int, error) {
		list := []string{f(r, "emails")}
		good, err := dissent.ParseAddressList("emails", list)
		if err != nil {
			// Every bad entry is named in the error; the good ones stay in
			// the form, one a line, for the next try.
			r.PostForm.Set("emails", strings.Join(good, "\n"))
			return "", nil, err
		}
		added, err := s.svc.Invite(r.Context(), a, id, good)
		return "invited_n", []int{added, len(good) - added}, err
	})))
	m.handle("POST /messages/{id}/remind", s.page(s.caseActN("remind", func(r *http.Request, a dissent.Actor, id dissent.MessageID) (string, []int, error) {
		n, err := s.svc.RemindInvitees(r.Context(), a, id)
		return "reminded", []int{n}, err
	})))
	act("invite-unit", "invite_unit", "invited", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.InviteUnit(r.Context(), a, id, f(r, "unit"))
		return err
	})
	act("coauthors", "coauthor", "coauthor", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.AddCoauthor(r.Context(), a, id, f(r, "email"))
	})
	act("endorsers", "endorser", "endorse", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.AskEndorsement(r.Context(), a, id, f(r, "email"))
	})
	act("endorse", "endorse", "endorsed", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.Endorse(r.Context(), a, id, f(r, "body"))
	})
	act("withdraw", "withdraw", "withdrawn", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		if f(r, "confirm") == "" {
			return &dissent.Error{Kind: dissent.KindInvalid, Code: "required", Field: "confirm", Message: "tick the box to confirm that you withdraw the whole message"}
		}
		_, err := s.svc.Withdraw(r.Context(), a, id)
		return err
	})
	act("acknowledge", "acknowledge", "acknowledged", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Acknowledge(r.Context(), a, id)
		return err
	})
	act("assign", "assign", "assigned", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.Assign(r.Context(), a, id, f(r, "email"))
	})
	act("consult", "consult", "consulted", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Consult(r.Context(), a, id, f(r, "email"), f(r, "due"))
		return err
	})
	// Once given, the input closes the reviewer's consultation and with it
	// their sight of the message: they land on their consultations.
	m.handle("POST /messages/{id}/input", s.page(func(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
		id, ok := s.pageMessageID(w, r, a)
		if !ok {
			return
		}
		err := readForm(r)
		if err == nil {
			err = s.svc.GiveInput(r.Context(), a, id, f(r, "body"))
		}
		if err != nil {
			s.caseRefused(w, r, a, id, "input", err)
			return
		}
		done(w, r, "/consultations", "input")
	}))
	act("reply", "reply", "replied", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, _, err := s.svc.Reply(r.Context(), a, id, f(r, "body"))
		return err
	})
	act("replies/{reply}/approve", "approve", "approved", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		rid, err := strconv.ParseInt(r.PathValue("reply"), 10, 64)
		if err != nil {
			return dissent.ErrNotFound("reply")
		}
		_, err = s.svc.ApproveReply(r.Context(), a, id, rid)
		return err
	})
	act("extend", "extend", "extended", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		days, err := strconv.Atoi(strings.TrimSpace(f(r, "working_days")))
		if err != nil {
			return &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_number", Field: "working_days", Limit: dissent.MaxReplyDays,
				Message: "working_days must be a whole number of working days, at most " + strconv.Itoa(dissent.MaxReplyDays)}
		}
		_, err = s.svc.Extend(r.Context(), a, id, days, f(r, "reason"))
		return err
	})
	act("redirect", "redirect", "redirected", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Redirect(r.Context(), a, id, f(r, "reason"), f(r, "channel"))
		return err
	})
	act("distribute", "distribute", "distributed", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.Distribute(r.Context(), a, id, splitList(f(r, "emails")))
	})
	act("meetings", "meeting", "meeting", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.RecordMeeting(r.Context(), a, id, f(r, "held_on"), f(r, "notes"))
		return err
	})
	act("meeting-request", "meeting_request", "requested", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		return s.svc.RequestMeeting(r.Context(), a, id)
	})
	act("close", "close", "closed", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Close(r.Context(), a, id)
		return err
	})
	act("reopen", "reopen", "reopened", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		_, err := s.svc.Reopen(r.Context(), a, id, f(r, "reason"))
		return err
	})
	m.handle("POST /messages/{id}/break-glass", s.page(s.handleBreakGlassPage))
}

// caseAct is the POST handler of one form of the case page: read the form,
// call one Service method, then redirect with a notice, or show the case
// page again with the error beside the field and the input kept.
func (s *Server) caseAct(form, flash string, fn func(*http.Request, dissent.Actor, dissent.MessageID) error) func(http.ResponseWriter, *http.Request, dissent.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
		id, ok := s.pageMessageID(w, r, a)
		if !ok {
			return
		}
		err := readForm(r)
		if err == nil {
			err = fn(r, a, id)
		}
		if err == nil {
			done(w, r, "/messages/"+string(id), flash)
			return
		}
		s.caseRefused(w, r, a, id, form, err)
	}
}

// caseActN is caseAct for an action whose notice shows counts: fn returns
// the notice's key and its counts.
func (s *Server) caseActN(form string, fn func(*http.Request, dissent.Actor, dissent.MessageID) (string, []int, error)) func(http.ResponseWriter, *http.Request, dissent.Actor) {
	return func(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
		id, ok := s.pageMessageID(w, r, a)
		if !ok {
			return
		}
		err := readForm(r)
		var flash string
		var counts []int
		if err == nil {
			flash, counts, err = fn(r, a, id)
		}
		if err == nil {
			doneN(w, r, "/messages/"+string(id), flash, counts...)
			return
		}
		s.caseRefused(w, r, a, id, form, err)
	}
}

// caseRefused answers a refused action of the case page: a message the
// reader may not see is the not-found page; any other refusal brings the
// case page back with the form open, the input kept and the error beside
// its field.
func (s *Server) caseRefused(w http.ResponseWriter, r *http.Request, a dissent.Actor, id dissent.MessageID, form string, err error) {
	if dissent.ErrorKind(err) == dissent.KindNotFound && dissent.AsError(err).Field == "" {
		s.showMsgError(w, r, &a, err)
		return
	}
	p := s.newPage(r, &a, "Message")
	status := s.failForm(r, p, form, err)
	if p.Form == nil {
		p.Form = map[string][]string{}
	}
	if p.Form.Get("form") == "" {
		p.Form.Set("form", form)
	}
	s.showCase(w, r, a, id, status, p, false)
}

func (s *Server) handleCasePage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	s.showCase(w, r, a, id, http.StatusOK, s.newPage(r, &a, "Message"), r.URL.Query().Get("names") == "1")
}

// showCase loads and renders the case page. Names are read (and, for
// readers other than the authors, recorded) only when asked for. The case
// comes from one Service call: one read transaction and at most one write
// (the record of the reads).
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, a dissent.Actor, id dissent.MessageID, status int, p *pageData, names bool) {
	c, err := s.svc.GetCase(r.Context(), a, id, dissent.CaseOptions{Names: names, Invitations: true})
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	s.renderCase(w, r, a, status, p, c, false)
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, a dissent.Actor, status int, p *pageData, cs dissent.Case, breakGlass bool) {
	v := cs.MessageView
	c := casePage{V: v, Can: map[string]bool{}, Author: v.Facts.Drafter || v.Facts.Coauthor, BreakGlass: breakGlass,
		Today: s.svc.Now().Format("2006-01-02"), MaxReplyDays: dissent.MaxReplyDays}
	for act, ok := range v.Can {
		if ok {
			c.Can[act.String()] = true
		}
	}
	switch r.URL.Query().Get("done") {
	case "created":
		c.ClearDraft = "new"
	case "saved", "saved_voided":
		c.ClearDraft = string(v.ID)
	}
	c.AckBadge, c.ReplyBadge = clockBadges(v.Message, s.svc.Now())
	for _, rp := range v.Replies {
		if rp.ApprovedAt.IsZero() {
			c.Pending++
		}
	}
	c.Invitations, c.Progress = cs.Invitations, cs.Progress
	if !cs.ShowInvitations && v.Can[dissent.ActReadInvitations] {
		var err error
		if c.Invitations, c.Progress, err = s.svc.Invitations(r.Context(), a, v.ID); err != nil {
			s.showMsgError(w, r, &a, err)
			return
		}
	}
	c.Signers, c.SignerTotal, c.ShowSigners = cs.Signers.Signers, cs.Signers.Total, cs.ShowSigners
	c.SignersOpen = len(c.Signers) <= collapseAt
	p.Data = c
	p.Marking = v.Classification
	s.show(w, r, status, "msg-case", p)
}

// handleBreakGlassPage is an auditor's recorded read: the answer is the
// page itself, with text and names, and the authors see the read in their
// access log.
func (s *Server) handleBreakGlassPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	err := readForm(r)
	var v dissent.MessageView
	var signers []dissent.SignerView
	if err == nil {
		v, signers, err = s.svc.BreakGlass(r.Context(), a, id, r.PostForm.Get("reason"))
	}
	if err != nil {
		s.caseRefused(w, r, a, id, "break_glass", err)
		return
	}
	p := s.newPage(r, &a, "Break-glass read")
	p.Flash = "Break-glass read recorded; the authors will see it in their access log."
	s.renderCase(w, r, a, http.StatusOK, p, dissent.Case{MessageView: v, Signers: dissent.SignerList{Signers: signers, Total: len(signers)}, ShowSigners: true}, true)
}

func (s *Server) handleReceiptPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	rc, err := s.svc.Receipt(r.Context(), a, id)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	p := s.newPage(r, &a, "Your receipt")
	p.Data = rc
	s.show(w, r, http.StatusOK, "msg-receipt", p)
}

type accessLogPage struct {
	ID      dissent.MessageID
	Entries []dissent.AccessEntry
}

func (s *Server) handleAccessLogPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	es, err := s.svc.AccessLog(r.Context(), a, id)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	p := s.newPage(r, &a, "Who read this message")
	p.Data = accessLogPage{ID: id, Entries: es}
	s.show(w, r, http.StatusOK, "msg-access", p)
}

type printPage struct {
	V   dissent.MessageView
	Who string
	At  time.Time
	// Signers are the names the reader may see (their reading is
	// recorded like any other); the total is V.SignatureCount.
	Signers  []dissent.SignerView
	Withheld int // signers whose names are withheld from the reader
}

func (s *Server) handlePrintPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	v, err := s.svc.PrintMessage(r.Context(), a, id)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	pp := printPage{V: v, Who: a.Name + " <" + a.Email + ">", At: s.svc.Now()}
	if v.Can[dissent.ActReadNames] {
		signers, err := s.svc.Signers(r.Context(), a, id)
		if err != nil {
			s.showMsgError(w, r, &a, err)
			return
		}
		pp.Signers = signers.Signers
		pp.Withheld = signers.Total - len(signers.Signers)
	}
	p := s.newPage(r, &a, "Print")
	p.Data = pp
	p.Marking = v.Classification // the layout repeats it at the top and the bottom
	s.show(w, r, http.StatusOK, "msg-print", p)
}

type versionsPage struct {
	ID                 dissent.MessageID
	Versions           []dissent.Version
	From, To           int
	Title, Summary     []diffOp
	Body               []diffOp
	TooLong, Different bool
	Classification     string // of the newest version, for the banner
}

func (s *Server) handleVersionsPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	vs, err := s.svc.Versions(r.Context(), a, id)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	p := s.newPage(r, &a, "Versions")
	vp := versionsPage{ID: id, Versions: vs}
	if len(vs) > 0 {
		vp.Classification = vs[len(vs)-1].Classification
	}
	if n := len(vs); n > 0 {
		vp.From, vp.To = max(1, vs[n-1].Number-1), vs[n-1].Number
		q := r.URL.Query()
		if f, err := strconv.Atoi(q.Get("from")); err == nil {
			vp.From = f
		}
		if t, err := strconv.Atoi(q.Get("to")); err == nil {
			vp.To = t
		}
		var from, to *dissent.Version
		for i := range vs {
			if vs[i].Number == vp.From {
				from = &vs[i]
			}
			if vs[i].Number == vp.To {
				to = &vs[i]
			}
		}
		if from == nil || to == nil {
			p.Error = "There is no such version; pick two from the list."
			p.Data = vp
			s.show(w, r, http.StatusNotFound, "msg-versions", p)
			return
		}
		vp.Title = wordDiff(from.Title.Reveal(), to.Title.Reveal())
		vp.Summary = wordDiff(from.Summary.Reveal(), to.Summary.Reveal())
		vp.Body = wordDiff(from.Body.Reveal(), to.Body.Reveal())
		vp.Different = from.ContentHash != to.ContentHash
	}
	p.Data = vp
	p.Marking = vp.Classification
	s.show(w, r, http.StatusOK, "msg-versions", p)
}
