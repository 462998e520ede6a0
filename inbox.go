package dissent

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// InboxTx lists message metadata in bulk for the channel office's inbox,
// the dashboards and the principals' and reviewers' lists. Metadata never
// includes text or names; titles are opened separately, only for the
// messages a page shows.
type InboxTx interface {
	// SubmittedMeta lists the metadata of every message that has ever been
	// submitted (with q.Distributed, only those distributed to q.Reader),
	// with how q.Reader relates to each: every field of Facts, Assigned and
	// DistributedAt. The reader's relation is as Relation would give it at
	// q.Now. Order is unspecified.
	SubmittedMeta(ctx context.Context, q MetaQuery) ([]MessageMeta, error)
	// Titles opens the titles of the current versions of the messages.
	// A missing message is a KindNotFound error.
	Titles(ctx context.Context, ids []MessageID) (map[MessageID]Text, error)
	// ConsultationsFor lists the consultations a reviewer was sent, newest
	// first, without their input.
	ConsultationsFor(ctx context.Context, reviewer PersonID) ([]Consultation, error)
	// SubmittedSnapshot returns the metadata of every submitted message as
	// of the transaction's snapshot, without any reader's relation, and the
	// metadata version it is at. Its rows and index are shared with the
	// store's cache: the caller reads them and changes nothing in them.
	SubmittedSnapshot(ctx context.Context) (MetaSnapshot, error)
	// MetaChanges lists, once each, the messages whose metadata changed
	// after version since, up to version upto (a snapshot's). ok is false
	// when those changes are no longer all recorded.
	MetaChanges(ctx context.Context, since, upto int64) (ids []MessageID, ok bool, err error)
	// ReaderRelations reads how the reader relates to every message at now,
	// as SubmittedMeta fills it in; Assigned only with assigned (nil
	// otherwise).
	ReaderRelations(ctx context.Context, reader PersonID, now time.Time, assigned bool) (ReaderRelations, error)
	// AssignedOf says which of the messages are assigned to the reader.
	AssignedOf(ctx context.Context, reader PersonID, ids []MessageID) (map[MessageID]bool, error)
}

// ReaderRelations is how one reader relates to every message, by message
// id: a message absent from a set is not related that way.
type ReaderRelations struct {
	Drafter, Coauthor, Signer, Invitee, Endorser, Consulted, InChain map[MessageID]bool
	Distributed                                                      map[MessageID]time.Time
	Assigned                                                         map[MessageID]bool // nil unless asked for
}

// Related is the set of messages the reader relates to in any way: the
// others' Facts are Facts{Submitted: true}.
func (r ReaderRelations) Related() map[MessageID]bool {
	out := map[MessageID]bool{}
	for _, set := range []map[MessageID]bool{r.Drafter, r.Coauthor, r.Signer, r.Invitee, r.Endorser, r.Consulted, r.InChain} {
		for id, ok := range set {
			if ok {
				out[id] = true
			}
		}
	}
	for id := range r.Distributed {
		out[id] = true
	}
	return out
}

// Facts is the reader's relation to the submitted message id, as
// SubmittedMeta gives it.
func (r ReaderRelations) Facts(id MessageID) Facts {
	_, distributed := r.Distributed[id]
	f := Facts{Drafter: r.Drafter[id], Coauthor: r.Coauthor[id], Signer: r.Signer[id], Invitee: r.Invitee[id], Endorser: r.Endorser[id],
		Consulted: r.Consulted[id], Distributed: distributed, Submitted: true}
	f.InChain = r.InChain[id] && !f.TakesPart()
	return f
}

// MetaSnapshot is the metadata of every submitted message at one metadata
// version: every change to a submitted message's metadata moves the version
// on, in the transaction of the change. Facts, Assigned and DistributedAt
// are zero. The rows are in chunks of MetaChunk (the last may hold fewer),
// so that a change copies one chunk rather than every row. Chunks and Index
// are shared: read only.
type MetaSnapshot struct {
	Version int64
	Chunks  [][]MessageMeta
	Index   map[MessageID]int // position (as Row takes it) by id
}

// MetaChunk is how many rows a chunk of a MetaSnapshot holds.
const MetaChunk = 1024

// Len is how many rows the snapshot holds.
func (s *MetaSnapshot) Len() int {
	if len(s.Chunks) == 0 {
		return 0
	}
	return (len(s.Chunks)-1)*MetaChunk + len(s.Chunks[len(s.Chunks)-1])
}

// Row is the row at position i, from 0 to Len()-1.
func (s *MetaSnapshot) Row(i int) *MessageMeta { return &s.Chunks[i/MetaChunk][i%MetaChunk] }

// MetaQuery selects the messages SubmittedMeta lists.
type MetaQuery struct {
	Reader      PersonID // whose relation to each message to fill in
	Now         time.Time
	Distributed bool    // only the messages distributed to Reader
	States      []State // only messages in these states; every state when empty
	// IDs, when set, lists the only messages wanted (at most a few hundred).
	IDs []MessageID
	// Fresh reads the database, not the process's metadata cache (for
	// checks of the database itself).
	Fresh bool
}

// MessageMeta is a message without its text: state, organization, counts
// and clocks, and the reader's relation to it.
type MessageMeta struct {
	ID             MessageID
	OrgID          string
	State          State
	SignatureCount int
	SubmittedAt    time.Time
	AcknowledgeBy  time.Time
	ReplyBy        time.Time
	ReplyDays      int
	AcknowledgedAt time.Time
	RepliedAt      time.Time
	Topic, Tier    string // "" when none
	// The reader's relation: Facts (Drafter and Submitted included), whether
	// the message is assigned to the reader, and when it was distributed to
	// the reader (zero if it was not).
	Facts         Facts
	Assigned      bool
	DistributedAt time.Time
}

// Open reports whether the case is still waiting for the channel office.
func (m MessageMeta) Open() bool { return m.State == StateSubmitted || m.State == StateAcknowledged }

// UrgencyLevel orders how pressing a message's next deadline is.
type UrgencyLevel int

// The levels, most pressing first.
const (
	UrgencyOverdue UrgencyLevel = iota // the deadline has passed
	UrgencyToday                       // due by the end of today
	UrgencySoon                        // due within DueSoonDays working days
	UrgencyLater                       // due later
	UrgencyNone                        // no running clock: answered, closed or out of the channel
)

// DueSoonDays is how many working days ahead a deadline counts as due soon.
const DueSoonDays = 3

// Urgency is where a message stands against its next deadline.
type Urgency struct {
	Level UrgencyLevel
	Clock string    // "acknowledge" or "reply"; "" with UrgencyNone
	Due   time.Time // the deadline, in the channel office's zone
	// Days counts working days: left before Due (UrgencySoon, UrgencyLater)
	// or passed since Due (UrgencyOverdue).
	Days int
}

// Label is the badge text, so that urgency never rests on colour alone:
// "Overdue 3 working days", "Due today", "5 working days left".
func (u Urgency) Label() string {
	switch u.Level {
	case UrgencyOverdue:
		if u.Days == 0 {
			return "Overdue"
		}
		return "Overdue " + plural(u.Days, "working day")
	case UrgencyToday:
		return "Due today"
	case UrgencySoon, UrgencyLater:
		return plural(u.Days, "working day") + " left"
	}
	return "No deadline running"
}

// Class names the urgency for styling: overdue, today, soon, ok or done.
func (u Urgency) Class() string {
	return [...]string{"overdue", "today", "soon", "ok", "done"}[u.Level]
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// urgencyOf returns the urgency of m's next deadline at now: the
// acknowledgement until the message is acknowledged, then the reply.
func urgencyOf(cal Calendar, m MessageMeta, now time.Time) Urgency {
	var u Urgency
	switch {
	case m.State == StateSubmitted:
		u.Clock, u.Due = "acknowledge", m.AcknowledgeBy
	case m.State == StateAcknowledged:
		u.Clock, u.Due = "reply", m.ReplyBy
	default:
		return Urgency{Level: UrgencyNone}
	}
	if u.Due.IsZero() {
		return Urgency{Level: UrgencyNone}
	}
	switch left := cal.WorkingDaysBetween(now, u.Due); {
	case now.After(u.Due):
		u.Level, u.Days = UrgencyOverdue, cal.WorkingDaysBetween(u.Due, now)
	case left == 0:
		u.Level = UrgencyToday
	case left <= DueSoonDays:
		u.Level, u.Days = UrgencySoon, left
	default:
		u.Level, u.Days = UrgencyLater, left
	}
	return u
}

// InboxPageSize is how many messages one page of the inbox shows.
const InboxPageSize = 50

// InboxFilter narrows the inbox. The zero value lists the open cases.
type InboxFilter struct {
	State string // "" or "open": submitted and acknowledged; "all"; or one State
	Org   string // "" for every organization
	Due   string // "", "overdue" or "soon" (overdue, due today or within DueSoonDays)
	Mine  bool   // only messages assigned to the reader
	Page  int    // from 1; 0 means 1
	// ID finds messages by the start of their id (hex). Titles are not
	// searched: each one opened would be a recorded read.
	ID string
	// Sort is "" or "urgency" (most urgent first), "newest" or "oldest"
	// (by submission), or "signatures" (most first).
	Sort string
}

// InboxSorts are the values InboxFilter.Sort takes, in the order a form
// offers them.
var InboxSorts = []string{"urgency", "newest", "oldest", "signatures"}

// InboxFilterStates are the values InboxFilter.State takes, in the order a
// form offers them.
var InboxFilterStates = []string{"open", "all", string(StateSubmitted), string(StateAcknowledged), string(StateReplied),
	string(StateClosed), string(StateRedirected), string(StateWithdrawn)}

func (f *InboxFilter) validate() error {
	if f.State == "" {
		f.State = "open"
	}
	if !slices.Contains(InboxFilterStates, f.State) {
		return errInvalid("state", "unknown_state", "state must be one of %s", strings.Join(InboxFilterStates, ", "))
	}
	if f.Due != "" && f.Due != "overdue" && f.Due != "soon" {
		return errInvalid("due", "unknown_due", "due must be overdue, soon or empty")
	}
	if f.Org != "" {
		if err := checkID("org", f.Org); err != nil {
			return err
		}
	}
	if f.Sort == "" {
		f.Sort = "urgency"
	}
	if !slices.Contains(InboxSorts, f.Sort) {
		return errInvalid("sort", "unknown_sort", "sort must be one of %s", strings.Join(InboxSorts, ", "))
	}
	f.ID = strings.ToLower(strings.TrimSpace(f.ID))
	if len(f.ID) > 32 || strings.Trim(f.ID, "0123456789abcdef") != "" {
		return errInvalid("id", "malformed_id", "id must be the start of a message id: up to 32 hexadecimal digits")
	}
	if f.Page < 0 || f.Page > 1_000_000 {
		return errInvalid("page", "out_of_range", "page must be between 1 and 1000000")
	}
	if f.Page == 0 {
		f.Page = 1
	}
	return nil
}

func (f InboxFilter) keep(m *MessageMeta, assigned bool, u Urgency) bool {
	switch f.State {
	case "open":
		if !m.Open() {
			return false
		}
	case "all":
	default:
		if string(m.State) != f.State {
			return false
		}
	}
	if f.Org != "" && m.OrgID != f.Org {
		return false
	}
	switch f.Due {
	case "overdue":
		if u.Level != UrgencyOverdue {
			return false
		}
	case "soon":
		if u.Level > UrgencySoon {
			return false
		}
	}
	if f.ID != "" && !strings.HasPrefix(string(m.ID), f.ID) {
		return false
	}
	return !f.Mine || assigned
}

// InboxItem is one row of the inbox.
type InboxItem struct {
	MessageMeta
	Title   Text // empty when the reader may not read it
	Urgency Urgency
	// Pending counts the replies awaiting approval, shown to those who
	// may approve them (the director).
	Pending int
}

// Inbox is one page of the channel office's inbox.
type Inbox struct {
	Filter  InboxFilter // as applied, defaults filled in
	Items   []InboxItem
	Total   int // messages matching the filter
	Pages   int
	Orgs    []string // the organizations of the deployment, for the filter
	Overdue int      // open messages the reader may see that are overdue, whatever the filter
	DueSoon int      // open messages due today or soon, whatever the filter
}

// Inbox lists the submitted messages the actor may handle for the channel
// office, most urgent first, one page at a time. Only the titles of the page
// shown are opened, and each is a recorded read. Messages the actor is
// recused from (in a signer's management chain, or taking part) are left out
// entirely.
func (s *Service) Inbox(ctx context.Context, a Actor, f InboxFilter) (Inbox, error) {
	return s.inbox(ctx, a, f, false)
}

// InboxExport is every message of the inbox that matches the filter (all
// pages, the page number ignored), in the inbox's order, for the office's
// CSV export: metadata only, no title, so nothing protected is read.
func (s *Service) InboxExport(ctx context.Context, a Actor, f InboxFilter) ([]InboxItem, error) {
	f.Page = 1
	in, err := s.inbox(ctx, a, f, true)
	return in.Items, err
}

func (s *Service) inbox(ctx context.Context, a Actor, f InboxFilter, export bool) (Inbox, error) {
	// Which messages the office sees is still decided message by message.
	if err := permit(a, ActReadInbox); err != nil {
		return Inbox{}, err
	}
	if err := f.validate(); err != nil {
		return Inbox{}, err
	}
	// The listing and the page's titles are read in one read-only
	// transaction, so that it holds no writer; only the page's titles are
	// opened, and their reads are recorded in one write that appends them.
	out := Inbox{Filter: f}
	var reads []Event
	err := s.store.View(ctx, func(tx Tx) error {
		now := s.now().UTC()
		od, err := readOfficeDays(ctx, tx)
		if err != nil {
			return err
		}
		loc := od.loc
		cal, err := s.calendarOf(loc, od.closures)
		if err != nil {
			return err
		}
		// Only open messages have a running clock, so the counts of overdue
		// and soon-due ones need no more than the open ones; other states
		// are read only when the filter asks for them.
		states := []State{StateSubmitted, StateAcknowledged}
		switch f.State {
		case "open":
		case "all":
			states = nil
		default:
			states = append(states, State(f.State))
		}
		snap, err := tx.SubmittedSnapshot(ctx)
		if err != nil {
			return err
		}
		// The messages of those states in urgency order, the same for every
		// reader; the reader's relations decide which of them they see. The
		// assignments are read for all messages only to filter by them or to
		// export every page; otherwise for the page's messages only.
		order, err := s.orders.get(ctx, tx, orderKey{states: fmt.Sprint(states), calendarKey: od.key()},
			snap, states, cal, loc, now)
		if err != nil {
			return err
		}
		rel, err := tx.ReaderRelations(ctx, a.ID, now, f.Mine || export)
		if err != nil {
			return err
		}
		out.Items, out.Orgs, out.Overdue, out.DueSoon = nil, nil, 0, 0
		// Most messages relate to the reader in no way: they share one set
		// of facts, decided once; only the related ones are decided each.
		base := Facts{Submitted: true}
		baseOK := Decide(a.Roles, ActSee, base) && Decide(a.Roles, ActAcknowledge, base)
		related := rel.Related()
		// Positions in order.items of the messages kept, read from the
		// order's own rows: at the same version as snap's, though they need
		// not be the same slice.
		kept := make([]int32, 0, min(len(order.items), 4096))
		for i, it := range order.items {
			m := order.snap.Row(int(it.pos))
			ok := baseOK
			if len(related) > 0 && related[m.ID] {
				facts := rel.Facts(m.ID)
				ok = Decide(a.Roles, ActSee, facts) && Decide(a.Roles, ActAcknowledge, facts)
			}
			if !ok {
				continue
			}
			switch {
			case it.u.Level == UrgencyOverdue:
				out.Overdue++
			case it.u.Level <= UrgencySoon:
				out.DueSoon++
			}
			if f.keep(m, rel.Assigned[m.ID], it.u) {
				kept = append(kept, int32(i))
			}
		}
		// The organizations are the directory's, which is not secret.
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			out.Orgs = append(out.Orgs, o.ID)
		}
		// kept is in urgency order, a total order: a stable sort on another
		// key gives what sorting on that key, then urgency, would.
		if f.Sort != "urgency" {
			row := func(i int32) *MessageMeta { return order.snap.Row(int(order.items[i].pos)) }
			slices.SortStableFunc(kept, func(x, y int32) int {
				mx, my := row(x), row(y)
				switch f.Sort {
				case "newest":
					return my.SubmittedAt.Compare(mx.SubmittedAt)
				case "oldest":
					return mx.SubmittedAt.Compare(my.SubmittedAt)
				case "signatures":
					return my.SignatureCount - mx.SignatureCount
				}
				return 0
			})
		}
		out.Total = len(kept)
		out.Pages = max(1, (out.Total+InboxPageSize-1)/InboxPageSize)
		lo, hi := min((f.Page-1)*InboxPageSize, out.Total), min((f.Page-1)*InboxPageSize+InboxPageSize, out.Total)
		if export {
			lo, hi = 0, out.Total
		}
		var ids []MessageID
		for _, k := range kept[lo:hi] {
			it := order.items[k]
			m := *order.snap.Row(int(it.pos))
			m.Facts, m.DistributedAt = rel.Facts(m.ID), rel.Distributed[m.ID]
			out.Items = append(out.Items, InboxItem{MessageMeta: m, Urgency: it.u})
			ids = append(ids, m.ID)
		}
		assigned := rel.Assigned
		if assigned == nil && len(ids) > 0 {
			if assigned, err = tx.AssignedOf(ctx, a.ID, ids); err != nil {
				return err
			}
		}
		for i := range out.Items {
			out.Items[i].Assigned = assigned[out.Items[i].ID]
			out.Items[i].MessageMeta = inZone(out.Items[i].MessageMeta, loc)
		}
		var approver []MessageID
		for _, it := range out.Items {
			if it.State == StateAcknowledged && Decide(a.Roles, ActApproveReply, it.Facts) {
				approver = append(approver, it.ID)
			}
		}
		if len(approver) > 0 {
			pending, err := tx.PendingReplies(ctx, approver)
			if err != nil {
				return err
			}
			for i := range out.Items {
				out.Items[i].Pending = pending[out.Items[i].ID]
			}
		}
		if export {
			return nil
		}
		// The page's titles, read from the snapshot that authorized them.
		reads, err = s.titleReads(ctx, tx, a, now, out.Items)
		return err
	})
	if err != nil || export {
		return out, err
	}
	// The page is served only once the record of its title reads is
	// durable: one write that appends them, all in one batch.
	if err := s.record(ctx, reads); err != nil {
		return Inbox{}, err
	}
	return out, nil
}

// inZone gives m's instants in the channel office's zone, so that pages
// show the dates people there would name.
func inZone(m MessageMeta, loc *time.Location) MessageMeta {
	for _, t := range []*time.Time{&m.SubmittedAt, &m.AcknowledgedAt, &m.RepliedAt, &m.DistributedAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	return m
}

// compareUrgency orders by urgency level, then the earlier deadline (the
// longest overdue first), then the earlier submission, then the id.
func compareUrgency(x *MessageMeta, ux Urgency, y *MessageMeta, uy Urgency) int {
	if c := int(ux.Level) - int(uy.Level); c != 0 {
		return c
	}
	if c := ux.Due.Compare(uy.Due); c != 0 {
		return c
	}
	if c := x.SubmittedAt.Compare(y.SubmittedAt); c != 0 {
		return c
	}
	return strings.Compare(string(x.ID), string(y.ID))
}

// openTitles fills in the titles the actor may read, recording each read
// by someone other than the message's authors.
func (s *Service) openTitles(ctx context.Context, tx Tx, a Actor, now time.Time, items []InboxItem) error {
	reads, err := s.titleReads(ctx, tx, a, now, items)
	if err != nil {
		return err
	}
	for _, e := range reads {
		if err := tx.AppendEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// titleReads fills in the titles the actor may read and returns the
// events that record them: one for each read by someone other than the
// message's authors. The caller appends them before it shows a title.
func (s *Service) titleReads(ctx context.Context, tx Tx, a Actor, now time.Time, items []InboxItem) ([]Event, error) {
	var ids []MessageID
	for _, it := range items {
		if Decide(a.Roles, ActReadText, it.Facts) {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	titles, err := tx.Titles(ctx, ids)
	if err != nil {
		return nil, err
	}
	var reads []Event
	for i := range items {
		t, ok := titles[items[i].ID]
		if !ok {
			continue
		}
		items[i].Title = t
		if f := items[i].Facts; needsRecord(f) {
			reads = append(reads, messageEvent(a, eventRole(a, ActReadText, f), "read.title", items[i].ID, "", f, now))
		}
	}
	return reads, nil
}

// record appends the events of a page's reads in one write transaction
// (one append batch); the page is served only once it returns nil.
func (s *Service) record(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.store.Update(ctx, func(tx Tx) error {
		for _, e := range events {
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// DistributedItem is a message distributed to a principal.
type DistributedItem struct {
	MessageMeta
	Title Text
}

// Distributed lists the messages distributed to the actor as a principal,
// most recently distributed first, with their titles (each a recorded read).
func (s *Service) Distributed(ctx context.Context, a Actor) ([]DistributedItem, error) {
	if err := permit(a, ActListDistributed); err != nil {
		return nil, err
	}
	var out []DistributedItem
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		metas, err := tx.SubmittedMeta(ctx, MetaQuery{Reader: a.ID, Now: now, Distributed: true})
		if err != nil {
			return err
		}
		var items []InboxItem
		for _, m := range metas {
			if Decide(a.Roles, ActSee, m.Facts) {
				items = append(items, InboxItem{MessageMeta: m})
			}
		}
		slices.SortFunc(items, func(x, y InboxItem) int {
			if c := y.DistributedAt.Compare(x.DistributedAt); c != 0 {
				return c
			}
			return strings.Compare(string(x.ID), string(y.ID))
		})
		if err := s.openTitles(ctx, tx, a, now, items); err != nil {
			return err
		}
		out = make([]DistributedItem, len(items))
		for i, it := range items {
			out[i] = DistributedItem{MessageMeta: it.MessageMeta, Title: it.Title}
		}
		return nil
	})
	return out, err
}

// ConsultationItem is one consultation sent to a reviewer. Title is set only
// while the consultation is open: afterwards the reviewer may no longer read
// the message.
type ConsultationItem struct {
	Consultation
	State State // the message's state
	Open  bool  // unanswered and not yet due
	Title Text
}

// ReviewerConsultations lists the consultations sent to the actor as a
// reviewer: the open ones first, soonest due first, with the message's title
// (a recorded read), then the answered and expired ones without it. Names
// are never part of it.
func (s *Service) ReviewerConsultations(ctx context.Context, a Actor) ([]ConsultationItem, error) {
	if err := permit(a, ActListConsultations); err != nil {
		return nil, err
	}
	var out []ConsultationItem
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		cs, err := tx.ConsultationsFor(ctx, a.ID)
		if err != nil {
			return err
		}
		_, loc, err := officeOrg(ctx, tx)
		if err != nil {
			return err
		}
		out = out[:0]
		var items []InboxItem
		for _, c := range cs {
			c.Due = c.Due.In(loc)
			m, err := tx.Message(ctx, c.MessageID)
			if err != nil {
				return err
			}
			f, err := s.facts(ctx, tx, a, m, now)
			if err != nil {
				return err
			}
			ci := ConsultationItem{Consultation: c, State: m.State, Open: c.AnsweredAt.IsZero() && c.Due.After(now)}
			if ci.Open && Decide(a.Roles, ActReadText, f) && !slices.ContainsFunc(items, func(it InboxItem) bool { return it.ID == m.ID }) {
				items = append(items, InboxItem{MessageMeta: MessageMeta{ID: m.ID, Facts: f}})
			}
			out = append(out, ci)
		}
		if err := s.openTitles(ctx, tx, a, now, items); err != nil {
			return err
		}
		for i := range out {
			if !out[i].Open {
				continue
			}
			for _, it := range items {
				if it.ID == out[i].MessageID {
					out[i].Title = it.Title
				}
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(x, y ConsultationItem) int {
		if x.Open != y.Open {
			if x.Open {
				return -1
			}
			return 1
		}
		if x.Open {
			return x.Due.Compare(y.Due)
		}
		return y.Created.Compare(x.Created)
	})
	return out, err
}
