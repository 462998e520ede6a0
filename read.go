package dissent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the reads: a message's view and the case page (GetCase),
// the lists of one's messages, signers (names only to those entitled),
// versions, the print view, the access log, break-glass, and the
// participants' side of a message (issue #13): who is invited and who has
// signed, and the history a role may see. Every read of protected content
// is recorded, in one append, before it is served.

// needsRecord reports whether a read by this person is recorded for the
// message's authors to see. Authors reading their own message are not.
func needsRecord(f Facts) bool { return !f.Drafter && !f.Coauthor }

// GetMessage returns the message as the actor may see it. A read of its text
// by anyone but its authors is recorded in the transaction it is served from.
func (s *Service) GetMessage(ctx context.Context, a Actor, id MessageID) (MessageView, error) {
	var v MessageView
	var record bool
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		v, record, err = s.loadView(ctx, tx, a, id, s.now().UTC(), false)
		return err
	})
	if err != nil || !record {
		return v, err
	}
	// The read is served only once its record is durable: one write that
	// appends the event, not a second load of the message (issue 17).
	err = s.store.Update(ctx, func(tx Tx) error {
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActReadText, v.Facts), "read.text", id, "version "+strconv.Itoa(v.Version), v.Facts, s.now().UTC()))
	})
	if err != nil {
		return MessageView{}, err
	}
	return v, nil
}

// CaseOptions says what a case page shows beside the message.
type CaseOptions struct {
	// Names asks for the signers' names, where the reader may read them;
	// the message's authors always get them, unasked.
	Names bool
	// Invitations asks for the invitations and their progress, where the
	// reader may see them.
	Invitations bool
}

// Case is a message as its case page shows it.
type Case struct {
	MessageView
	// Signers is the signer list (Signers), when it was asked for (or the
	// reader is an author) and the reader may read the names; ShowSigners
	// says whether it was read.
	Signers     SignerList
	ShowSigners bool
	// Invitations and Progress are the invitations (Invitations), when
	// asked for and the reader may see them; ShowInvitations says whether
	// they were read.
	Invitations     []InvitationView
	Progress        Progress
	ShowInvitations bool
}

// GetCase is GetMessage with what the case page shows beside the message,
// the signers' names and the invitations, read from the same snapshot (one
// read-only transaction: the message is loaded and authorized once, the
// reader's management chain queried once). The reads to record, of the
// text and of the names, are appended in one write, before the case is
// returned.
func (s *Service) GetCase(ctx context.Context, a Actor, id MessageID, opt CaseOptions) (Case, error) {
	var c Case
	var record bool
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		c = Case{}
		if c.MessageView, record, err = s.loadView(ctx, tx, a, id, s.now().UTC(), false); err != nil {
			return err
		}
		f := c.Facts
		if opt.Invitations && Decide(a.Roles, ActReadInvitations, f) {
			if c.Invitations, c.Progress, err = s.invitations(ctx, tx, a, c.Message); err != nil {
				return err
			}
			c.ShowInvitations = true
		}
		if (opt.Names || !needsRecord(f)) && Decide(a.Roles, ActReadNames, f) {
			if c.Signers, err = s.signers(ctx, tx, a, c.Message); err != nil {
				return err
			}
			c.ShowSigners = true
		}
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	f := c.Facts
	var events []Event
	now := s.now().UTC()
	if record { // the text, as GetMessage records it
		events = append(events, messageEvent(a, eventRole(a, ActReadText, f), "read.text", id, "version "+strconv.Itoa(c.Version), f, now))
	}
	if c.ShowSigners && needsRecord(f) { // the names, as Signers records them
		events = append(events, messageEvent(a, eventRole(a, ActReadNames, f), "read.names", id, strconv.Itoa(len(c.Signers.Signers))+" names", f, now))
	}
	// The case is served only once the record of its reads is durable.
	if err := s.record(ctx, events); err != nil {
		return Case{}, err
	}
	return c, nil
}

// BreakGlass gives an auditor the message's text and names for an
// investigation; the read is recorded with its reason and shown to the
// authors.
func (s *Service) BreakGlass(ctx context.Context, a Actor, id MessageID, reason string) (MessageView, []SignerView, error) {
	if err := checkText("reason", reason, MaxReason, true, true); err != nil {
		return MessageView{}, nil, err
	}
	var v MessageView
	var signers []SignerView
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		m, f, err := s.authorize(ctx, tx, a, id, ActBreakGlass, now)
		if err != nil {
			return err
		}
		if v, _, err = s.loadView(ctx, tx, a, id, now, true); err != nil {
			return err
		}
		list, err := s.signers(ctx, tx, a, m)
		if err != nil {
			return err
		}
		signers = list.Signers
		if err := s.notifySigners(ctx, tx, NoteBreakGlass, &m); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, messageEvent(a, RoleAuditor, "read.break_glass", id, "version "+strconv.Itoa(m.Version)+", "+strconv.Itoa(len(signers))+" names; reason: "+reasonDigest(reason), f, now))
	})
	return v, signers, err
}

func (s *Service) loadView(ctx context.Context, tx Tx, a Actor, id MessageID, now time.Time, breakGlass bool) (MessageView, bool, error) {
	m, f, err := s.authorize(ctx, tx, a, id, ActSee, now)
	if err != nil {
		return MessageView{}, false, err
	}
	v := MessageView{Message: m, Facts: f, Can: can(a.Roles, f)}
	if _, v.Zone, err = officeOrg(ctx, tx); err != nil {
		return MessageView{}, false, err
	}
	if f.Signer {
		if v.MySignedVersion, v.MyMinCosigners, err = tx.OwnSignature(ctx, id, a.ID); err != nil {
			return MessageView{}, false, err
		}
	}
	v.Text = breakGlass || Decide(a.Roles, ActReadText, f)
	if !v.Text {
		v.Title, v.Summary, v.Body, v.ExtensionNote, v.RedirectNote = Text{}, Text{}, Text{}, Text{}, Text{}
		v.Related, v.Attachments = nil, nil
		return v, false, nil
	}
	// A related message the reader may not see is left out, silently.
	if err := s.visibleRelated(ctx, tx, a, &v.Message, now); err != nil {
		return MessageView{}, false, err
	}
	names := breakGlass || Decide(a.Roles, ActReadNames, f)
	office := Decide(a.Roles, ActAcknowledge, f) || breakGlass
	if names || office {
		replies, err := tx.Replies(ctx, id)
		if err != nil {
			return v, false, err
		}
		for _, r := range replies {
			if office || !r.ApprovedAt.IsZero() {
				v.Replies = append(v.Replies, r)
			}
		}
		if v.Meetings, err = tx.Meetings(ctx, id); err != nil {
			return v, false, err
		}
		if v.Endorsements, err = tx.Endorsements(ctx, id); err != nil {
			return v, false, err
		}
	}
	if office {
		var err error
		if v.Consultations, err = tx.Consultations(ctx, id); err != nil {
			return v, false, err
		}
		// Due dates are shown in the channel office's zone, the one they
		// were set in, to the office as to the reviewer.
		for i := range v.Consultations {
			v.Consultations[i].Due = v.Consultations[i].Due.In(v.Zone)
		}
	}
	if names || office {
		if err := s.caseDetails(ctx, tx, &v, office); err != nil {
			return v, false, err
		}
	}
	if names || office || Decide(a.Roles, ActRequestMeeting, f) {
		n, mine, err := tx.MeetingRequests(ctx, id, a.ID)
		if err != nil {
			return v, false, err
		}
		v.MyMeetingRequest = mine
		if names || office {
			v.MeetingRequests = n
		}
	}
	if v.Tier != "" && Decide(a.Roles, ActDistribute, f) {
		lists, err := tx.TierDistribution(ctx)
		if err != nil {
			return v, false, err
		}
		v.DefaultDistribution = lists[v.Tier]
	}
	return v, needsRecord(f), nil
}

// ListMessages lists the messages the actor may see, newest first, with
// titles where the actor may read them; each title shown to someone other
// than the message's authors is a recorded read.
//
// The list is read in one read-only transaction and the title reads are
// recorded in one write (none when every title shown is the reader's own).
func (s *Service) ListMessages(ctx context.Context, a Actor) ([]MessageView, error) {
	var out []MessageView
	var reads []Event
	err := s.store.View(ctx, func(tx Tx) error {
		out, reads = out[:0], reads[:0]
		now := s.now().UTC()
		// Only the titles are opened: the list shows nothing else of the
		// text. The reader's relations come in one bulk read.
		mine, err := tx.MessageTitlesOf(ctx, a.ID)
		if err != nil {
			return err
		}
		all := mine
		if May(a, ActListSubmitted) {
			sub, err := tx.SubmittedMessages(ctx)
			if err != nil {
				return err
			}
			all = append(all, sub...)
		}
		seen := map[MessageID]bool{}
		var ids []MessageID
		var uniq []Message
		for _, m := range all {
			if !seen[m.ID] {
				seen[m.ID] = true
				ids, uniq = append(ids, m.ID), append(uniq, m)
			}
		}
		rels := map[MessageID]Facts{}
		if a.ID != 0 {
			if rels, err = tx.Relations(ctx, ids, a.ID, now); err != nil {
				return err
			}
		}
		for _, m := range uniq {
			f := rels[m.ID].of(a, m) // as facts, for all at once
			if !Decide(a.Roles, ActSee, f) {
				continue
			}
			v := MessageView{Message: m, Facts: f, Text: Decide(a.Roles, ActReadText, f)}
			v.Summary, v.Body, v.ExtensionNote, v.RedirectNote = Text{}, Text{}, Text{}, Text{}
			v.Related, v.Attachments = nil, nil
			if !v.Text {
				v.Title = Text{}
			} else if needsRecord(f) {
				reads = append(reads, messageEvent(a, eventRole(a, ActReadText, f), "read.title", m.ID, "", f, now))
			}
			out = append(out, v)
		}
		return nil
	})
	if err == nil {
		err = s.record(ctx, reads)
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y MessageView) int { return y.Created.Compare(x.Created) })
	return out, nil
}

// Signers lists who signed the current (after submission: the submitted)
// version. Sealed conditional signatures are left out until their quorum is
// met; signers the reader supervises are left out of the list and only
// counted in the total.
func (s *Service) Signers(ctx context.Context, a Actor, id MessageID) (SignerList, error) {
	var out SignerList
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		m, f, err := s.authorize(ctx, tx, a, id, ActReadNames, now)
		if err != nil {
			return err
		}
		if out, err = s.signers(ctx, tx, a, m); err != nil {
			return err
		}
		if !needsRecord(f) {
			return nil
		}
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActReadNames, f), "read.names", id, strconv.Itoa(len(out.Signers))+" names", f, now))
	})
	return out, err
}

func (s *Service) signers(ctx context.Context, tx Tx, a Actor, m Message) (SignerList, error) {
	rows, err := tx.Signers(ctx, m.ID, m.Version, a.ID)
	if err != nil {
		return SignerList{}, err
	}
	mins := make([]int, len(rows))
	for i, r := range rows {
		mins[i] = r.MinCosigners
	}
	th := QuorumThreshold(mins)
	out := SignerList{Signers: make([]SignerView, 0, len(rows))}
	for _, r := range rows {
		if r.MinCosigners > 0 && r.MinCosigners > th {
			continue // sealed: invisible even to the drafter until its quorum is met
		}
		out.Total++
		if r.Withheld && r.PersonID != a.ID {
			continue // the reader supervises this signer: counted, never shown
		}
		out.Signers = append(out.Signers, SignerView{Email: r.Person.Email, Name: r.Person.Name, OrgID: r.Person.OrgID,
			Conditional: r.MinCosigners > 0, MinCosigners: r.MinCosigners, Signed: r.Signed})
	}
	return out, nil
}

// AccessLog lists the recorded reads of the message's text and names, for
// its authors and signers. Readers are described by role and office; the
// names of principals, officers and directors are shown too.
func (s *Service) AccessLog(ctx context.Context, a Actor, id MessageID) ([]AccessEntry, error) {
	var out []AccessEntry
	err := s.store.View(ctx, func(tx Tx) error {
		if _, _, err := s.authorize(ctx, tx, a, id, ActReadAccessLog, s.now().UTC()); err != nil {
			return err
		}
		var err error
		if out, err = tx.AccessLog(ctx, id); err != nil {
			return err
		}
		for i := range out {
			switch out[i].Role {
			case RolePrincipal, RoleOfficer, RoleDirector, RoleAuditor:
			default:
				out[i].Name = ""
			}
		}
		return nil
	})
	return out, err
}

// Receipt states what the caller did on a submitted message, submitted it
// (the drafter) or signed it, and proves it: the log's leaf for the act, an
// inclusion proof, and a signed checkpoint. The salt opens the leaf's
// commitment to the caller's e-mail. Anyone with the log's public key can
// check it offline (dissent receipt verify).
type Receipt struct {
	Format      string    `json:"format"` // "dissent-receipt-v2"
	MessageID   MessageID `json:"message_id"`
	Version     int       `json:"version"`
	ContentHash string    `json:"content_hash"`
	Act         string    `json:"act"` // "submitted" or "signed"
	At          time.Time `json:"at"`
	Email       string    `json:"email"`
	Salt        []byte    `json:"salt"` // opens the entry's commitment to the e-mail
	SubmittedAt time.Time `json:"submitted_at"`
	// Counted is false for a conditional signature whose quorum was not met
	// at submission (the submission's entry lists it, by its commitment).
	Counted    bool           `json:"counted"`
	Entries    []ReceiptEntry `json:"entries"` // the act's entry; for a signer also the submission's
	Checkpoint string         `json:"checkpoint"`
}

// ReceiptEntry is one entry of the log, opened, and its inclusion proof in
// the receipt's checkpoint.
type ReceiptEntry struct {
	LeafIndex int64    `json:"leaf_index"`
	Entry     []byte   `json:"entry"` // the canonical EntryRecord JSON
	EntrySalt []byte   `json:"entry_salt"`
	Proof     [][]byte `json:"proof"`
}

// ReceiptFormat names the receipt's format.
const ReceiptFormat = "dissent-receipt-v2"

// Proof is the inclusion proofs of entries in one signed checkpoint, with
// the entries opened: their payloads and salts, from which their leaves are
// computed.
type Proof struct {
	Entries    []ReceiptEntry
	Checkpoint []byte // a signed note
}

// AuditLog is the tamper-evident log as the Service sees it
// (internal/auditlog).
type AuditLog interface {
	// Prove returns the inclusion proofs of the entries with sequence
	// numbers seqs against one signed checkpoint that covers them all.
	Prove(ctx context.Context, seqs ...int64) (Proof, error)
	// Checkpoint returns the newest published checkpoint.
	Checkpoint(ctx context.Context) ([]byte, error)
	// Tile returns a C2SP tlog-tiles resource (path below /log/).
	Tile(ctx context.Context, path string) ([]byte, error)
}

// Versions lists the message's versions, for its authors.
func (s *Service) Versions(ctx context.Context, a Actor, id MessageID) ([]Version, error) {
	var out []Version
	err := s.store.View(ctx, func(tx Tx) error {
		if _, _, err := s.authorize(ctx, tx, a, id, ActEdit, s.now().UTC()); err != nil {
			return err
		}
		var err error
		out, err = tx.Versions(ctx, id)
		return err
	})
	return out, err
}

// reasonDigest stands for a free-text reason in the audit log, which is
// public and must hold no text: the first 16 hex digits of its SHA-256.
func reasonDigest(reason string) string {
	h := sha256.Sum256([]byte(reason))
	return hex.EncodeToString(h[:8])
}

// can lists the actions the reader may take on the message, as the one
// policy (Decide) answers them with the Facts the view was loaded with. The
// web pages show a form only for what the reader may do; the Service still
// decides every act again in its own transaction. Actions about no message
// are left out (pages ask May for those).
func can(roles Roles, f Facts) map[Action]bool {
	out := make(map[Action]bool, numActions)
	for _, a := range AllActions() {
		if a.onMessage() && Decide(roles, a, f) {
			out[a] = true
		}
	}
	return out
}

// PrintMessage returns the message for a printout. Every printout is
// recorded as a read (kind "print"), whoever makes it, authors included,
// because a printed copy leaves the system (SPEC §4: printouts carry the
// reader's identity and the time).
func (s *Service) PrintMessage(ctx context.Context, a Actor, id MessageID) (MessageView, error) {
	var v MessageView
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		_, f, err := s.authorize(ctx, tx, a, id, ActReadText, now)
		if err != nil {
			return err
		}
		if v, _, err = s.loadView(ctx, tx, a, id, now, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActReadText, f), "read.print", id, "version "+strconv.Itoa(v.Version), f, now))
	})
	return v, err
}

// caseDetails fills the parts of the view that only those who may read
// the names see: who the message is assigned to, distributed to and
// consulted (the office), and the history of its steps.
func (s *Service) caseDetails(ctx context.Context, tx Tx, v *MessageView, office bool) error {
	if office {
		people := func(ids []PersonID) ([]Person, error) {
			out := make([]Person, 0, len(ids))
			for _, id := range ids {
				p, err := tx.Person(ctx, id)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
			return out, nil
		}
		ids, err := tx.Assignees(ctx, v.ID)
		if err != nil {
			return err
		}
		if v.AssignedTo, err = people(ids); err != nil {
			return err
		}
		if ids, err = tx.Distribution(ctx, v.ID); err != nil {
			return err
		}
		if v.DistributedTo, err = people(ids); err != nil {
			return err
		}
		ids = ids[:0]
		for _, c := range v.Consultations {
			ids = append(ids, c.ReviewerID)
		}
		if v.Consulted, err = people(ids); err != nil {
			return err
		}
	}
	evs, err := tx.Events(ctx, v.ID, ClassStep)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if w, ok := historyWords[e.Kind]; ok {
			if e.Kind == "message.edited" && strings.HasSuffix(e.Detail, "unchanged") {
				continue
			}
			v.History = append(v.History, HistoryEntry{At: e.At.In(v.Zone), What: w})
		}
	}
	return nil
}

// visibleSigners is the set of people whose signature on the current
// version the reader may see: not sealed, not withheld from them.
func (s *Service) visibleSigners(ctx context.Context, tx Tx, a Actor, m Message) (map[PersonID]bool, error) {
	rows, err := tx.Signers(ctx, m.ID, m.Version, a.ID)
	if err != nil {
		return nil, err
	}
	mins := make([]int, len(rows))
	for i, r := range rows {
		mins[i] = r.MinCosigners
	}
	th := QuorumThreshold(mins)
	out := make(map[PersonID]bool, len(rows))
	for _, r := range rows {
		if (r.MinCosigners > 0 && r.MinCosigners > th) || (r.Withheld && r.PersonID != a.ID) {
			continue
		}
		out[r.PersonID] = true
	}
	return out, nil
}

// SignedVersion returns the version of the message the actor holds an
// active signature on, when the text has changed since (so the sign page
// can show what changed against what they signed), with the current one.
// ok is false when they signed the current version or nothing.
func (s *Service) SignedVersion(ctx context.Context, a Actor, id MessageID) (signed, current Version, ok bool, err error) {
	err = s.store.View(ctx, func(tx Tx) error {
		m, f, err := s.authorize(ctx, tx, a, id, ActReadText, s.now().UTC())
		if err != nil {
			return err
		}
		if !f.Signer {
			return nil
		}
		n, _, err := tx.OwnSignature(ctx, id, a.ID)
		if err != nil || n == 0 || n == m.Version {
			return err
		}
		vs, err := tx.Versions(ctx, id)
		if err != nil {
			return err
		}
		for _, v := range vs {
			switch v.Number {
			case n:
				signed = v
			case m.Version:
				current = v
			}
		}
		ok = signed.Number != 0 && current.Number != 0
		return nil
	})
	return signed, current, ok, err
}

// MessageView is a message as one reader may see it: Text is false and the
// protected fields are empty when the reader may see only its metadata.
type MessageView struct {
	Message
	Text          bool
	Facts         Facts
	Replies       []Reply
	Endorsements  []Endorsement
	Consultations []Consultation
	Meetings      []Meeting
	// Can holds the actions the reader may take, as Decide answers them
	// (page_author.go in internal/web); absent actions are denied.
	Can map[Action]bool
	// MySignedVersion is the newest version the reader holds an active
	// signature on (0: none), and MyMinCosigners its condition.
	MySignedVersion, MyMinCosigners int
	// MeetingRequests counts the principals' requests to meet the authors
	// (shown to those who may read the names), and MyMeetingRequest is
	// when the reader asked (zero: they have not).
	MeetingRequests  int
	MyMeetingRequest time.Time
	// Zone is the channel office's time zone, in which every time of the
	// case is shown. AssignedTo, DistributedTo and Consulted (the office's
	// view) and History (whoever may read the names) describe the case.
	Zone                                 *time.Location
	AssignedTo, DistributedTo, Consulted []Person
	History                              []HistoryEntry
	// DefaultDistribution is the tier's default distribution list, for
	// those who may distribute the message.
	DefaultDistribution []string
}

// ParticipantTx stores what the participants' pages need beyond the
// message itself.
type ParticipantTx interface {
	// Invitations lists a message's invitations, oldest first. PersonID is
	// 0 for an invitation made before invitees were kept sealed.
	Invitations(ctx context.Context, id MessageID) ([]Invitation, error)
	// AddMeetingRequest records a person's request to meet the authors;
	// false when they had asked already.
	AddMeetingRequest(ctx context.Context, id MessageID, person PersonID, at time.Time) (bool, error)
	// MeetingRequests counts the requests to meet on a message, and gives
	// when person asked (zero: they have not).
	MeetingRequests(ctx context.Context, id MessageID, person PersonID) (int, time.Time, error)
	// SignReminder is when the authors last reminded the invitees (zero:
	// never); SetSignReminder records a reminder.
	SignReminder(ctx context.Context, id MessageID) (time.Time, error)
	SetSignReminder(ctx context.Context, id MessageID, at time.Time) error
	// PendingReplies counts, per message, the replies awaiting the
	// director's approval (messages without one are absent).
	PendingReplies(ctx context.Context, ids []MessageID) (map[MessageID]int, error)
	// Distribution lists the principals a message was distributed to.
	Distribution(ctx context.Context, id MessageID) ([]PersonID, error)
}

// HistoryEntry is one step of a message's life as the case page shows it:
// what happened and when, never who (a participant's acts stay theirs).
type HistoryEntry struct {
	At   time.Time
	What string
}

// historyWords names the lifecycle steps a case's history shows. Reads,
// signatures and joins are left out: their times would point at people.
var historyWords = map[string]string{
	"message.created": "Drafted", "message.edited": "A new version was saved", "message.invited": "Co-signers were invited",
	"message.submitted": "Submitted to the channel office", "message.withdrawn": "Withdrawn by the drafter",
	"message.acknowledged": "Acknowledged by the channel office", "message.assigned": "Assigned to an officer",
	"consultation.requested": "A reviewer was consulted", "consultation.answered": "A reviewer gave input",
	"reply.drafted": "A reply was drafted", "reply.approved": "The reply was approved and sent",
	"deadline.extended": "The reply deadline was extended", "message.redirected": "Redirected to another channel",
	"message.distributed": "Distributed to principals", "meeting.requested": "A principal asked for a meeting",
	"meeting.recorded": "A meeting was recorded", "message.closed": "Closed", "message.reopened": "Reopened",
}

// Invitation is one invitee of a message.
type Invitation struct {
	PersonID PersonID
	Created  time.Time
}

// InvitationView is one invitee as the authors see it. Signed is true only
// for a signature on the current version that the authors may see: a
// sealed conditional signature, or one whose signer the reader
// supervises, shows as not signed.
type InvitationView struct {
	Email, Name, OrgID string
	InvitedAt          time.Time
	Signed             bool
}

// Progress is how far the gathering of signatures has come.
type Progress struct {
	Invited int // people invited
	Signed  int // of them, those whose signature on the current version the reader may see
}
