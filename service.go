package dissent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// This file is the spine every use case runs through: the Service, the
// facts Decide needs (facts), the one authorization step (authorize), and
// the one write path for acts on a message (mutate), which records the
// act's event in the same transaction. See docs/ARCHITECTURE.md for where
// each use case lives: author.go, read.go, office.go, directory.go,
// people.go, token.go, signin.go and log.go share their names with
// internal/store and internal/web.

// Service is the use cases of the dissent channel. Every method that touches
// a message asks Decide first, inside the transaction that acts on the
// answer.
type Service struct {
	store     Store
	now       func() time.Time
	calendars CalendarFunc
	audit     AuditLog
	log       *slog.Logger
	mail      bool // the deployment sends e-mail (signin.go)

	accredited     string // the highest accredited marking; "" for none (vocabulary.go)
	maxAttachBytes int64  // per attachment (attachment.go)
	maxAttachments int    // per message

	exposureMu sync.Mutex     // guards exposure (exposure.go)
	exposure   *exposureState // nil until SetExposureEngine

	uses tokenUses // token uses not yet written (token.go)

	stats  statsCache // the statistics last computed (stats.go)
	orders orderCache // the inbox's orders last computed (inbox_order.go)
}

// ServiceConfig wires a Service.
type ServiceConfig struct {
	Store     Store
	Now       func() time.Time // defaults to time.Now
	Calendars CalendarFunc     // required for submissions
	AuditLog  AuditLog         // required for receipts and the public log
	Logger    *slog.Logger     // defaults to slog.Default()
	// AccreditedLevel is the highest classification marking the deployment
	// is accredited for: a message marked above it is refused. "" allows
	// every marking in the vocabulary.
	AccreditedLevel string
	// MaxAttachmentBytes and MaxAttachments cap attachments (a file, and
	// the files of one message); 0 means DefaultMaxAttachmentBytes and
	// DefaultMaxAttachments.
	MaxAttachmentBytes int64
	MaxAttachments     int
	// Mail says the deployment sends e-mail: sign-in links issued on the
	// web then go to the person by e-mail, never to the administrator.
	Mail bool
}

// NewService returns a Service.
func NewService(c ServiceConfig) *Service {
	s := &Service{store: c.Store, now: c.Now, calendars: c.Calendars, audit: c.AuditLog, log: c.Logger,
		accredited: c.AccreditedLevel, maxAttachBytes: c.MaxAttachmentBytes, maxAttachments: c.MaxAttachments, mail: c.Mail}
	if s.maxAttachBytes <= 0 {
		s.maxAttachBytes = DefaultMaxAttachmentBytes
	}
	if s.maxAttachments <= 0 {
		s.maxAttachments = DefaultMaxAttachments
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Now returns the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// OffsetClock returns a clock that starts at start and runs forward at the
// pace of the real clock (the DISSENT_NOW clock of SPEC §8).
func OffsetClock(start time.Time, real func() time.Time) func() time.Time {
	origin := real()
	return func() time.Time { return start.Add(real().Sub(origin)) }
}

// Actor is the authenticated person a request acts for.
type Actor struct {
	Person
	// activation, when not nil, is the account's activation still to be
	// written (AuthenticateTokenToWrite): the first write of the request writes
	// it, or FinishActivation does.
	activation *activation
}

// activation is an account's first use, recorded at most once per request.
type activation struct {
	mu   sync.Mutex
	done bool
}

// System is the actor of the command line, which has the data directory and
// so the whole deployment in hand; it may administer the directory but, like
// the administrator, read no message.
var System = Actor{Person: Person{ID: 0, Name: "system", Roles: Roles{RoleAdmin}}}

func newRandomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// newToken returns a fresh bearer credential: a prefix that makes it
// recognizable to secret scanners, and 256 random bits.
func newToken(prefix string) Secret {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return NewSecret(prefix + base64.RawURLEncoding.EncodeToString(b[:]))
}

// TokenHash is how tokens and link secrets are stored: only their SHA-256.
// The secrets carry 256 bits of entropy, so a plain hash suffices.
func TokenHash(s Secret) []byte {
	h := sha256.Sum256([]byte(s.Reveal()))
	return h[:]
}

// OrgInput is what adding an organization takes.
type OrgInput struct {
	ID, Name, TimeZone string
}

// UnitInput is what adding a unit takes.
type UnitInput struct {
	ID, OrgID, Name, ParentID string
}

// PersonInput is one person to add to the directory.
type PersonInput struct {
	Email      string
	Name       string
	OrgID      string
	UnitID     string
	Supervisor string // e-mail of the supervisor, who must already exist or come earlier in the same import
	Roles      []Role
	WantToken  bool
}

// NewPerson is a person just added, with their bearer token if one was asked
// for.
type NewPerson struct {
	Person
	Token Secret
}

// SignInLinkTTL is how long a one-time sign-in link stays valid.
const SignInLinkTTL = 24 * time.Hour

func (s *Service) facts(ctx context.Context, tx Tx, a Actor, m Message, now time.Time) (Facts, error) {
	if a.ID == 0 {
		return Facts{Submitted: !m.SubmittedAt.IsZero()}, nil
	}
	f, err := tx.Relation(ctx, m.ID, a.ID, now)
	if err != nil {
		return Facts{}, err
	}
	return f.of(a, m), nil
}

// of completes the store's relation f of the actor to m with what the
// message itself says: whether they drafted it, whether it is submitted.
func (f Facts) of(a Actor, m Message) Facts {
	f.Drafter = a.ID != 0 && m.DrafterID == a.ID
	f.Submitted = !m.SubmittedAt.IsZero()
	return f
}

// authorize loads and checks: what the actor may not see is NotFound; what
// they may see but not do is Forbidden.
func (s *Service) authorize(ctx context.Context, tx Tx, a Actor, id MessageID, action Action, now time.Time) (Message, Facts, error) {
	return s.authorizeAs(ctx, tx, a, id, action, loadPlain, now)
}

// loadMode is how authorizeAs reads the message.
type loadMode int

const (
	loadPlain        loadMode = iota // Message: a read, no lock
	loadLocked                       // LockMessage: the whole message, locked until the transaction ends
	loadLockedCounts                 // LockMessageCounts: locked, nothing sealed opened but the drafter (mutateCounts)
)

// authorizeAs is authorize with the message read as mode says.
func (s *Service) authorizeAs(ctx context.Context, tx Tx, a Actor, id MessageID, action Action, mode loadMode, now time.Time) (Message, Facts, error) {
	var m Message
	var err error
	switch mode {
	case loadLockedCounts:
		m, err = tx.LockMessageCounts(ctx, id)
	case loadLocked:
		m, err = tx.LockMessage(ctx, id)
	default:
		m, err = tx.Message(ctx, id)
	}
	if err != nil {
		return Message{}, Facts{}, err
	}
	f, err := s.facts(ctx, tx, a, m, now)
	if err != nil {
		return Message{}, Facts{}, err
	}
	if !Decide(a.Roles, ActSee, f) {
		return Message{}, Facts{}, ErrNotFound("message")
	}
	if !Decide(a.Roles, action, f) {
		return Message{}, Facts{}, errForbidden("you may not %s this message", actionVerb(action))
	}
	return m, f, nil
}

func actionVerb(a Action) string {
	switch a {
	case ActReadText:
		return "read"
	case ActReadNames:
		return "see the signers of"
	case ActUnsign:
		return "withdraw a signature from"
	case ActReadAccessLog:
		return "see the access log of"
	case ActReceipt:
		return "get a receipt for"
	case ActBreakGlass:
		return "break the glass on"
	case ActApproveReply:
		return "approve replies to"
	case ActGiveInput:
		return "give input on"
	case ActRequestMeeting:
		return "ask for a meeting on"
	case ActRecordMeeting:
		return "record a meeting on"
	case ActAddCoauthor:
		return "add co-authors to"
	case ActAskEndorsement:
		return "ask for endorsements of"
	case ActConsult:
		return "consult reviewers on"
	case ActDistribute:
		return "distribute"
	case ActReply:
		return "reply to"
	case ActExtend:
		return "extend the deadline of"
	}
	return a.String()
}

// messageEvent is an event about a message. The acts of people who take
// part in the message are protected: the log commits to their identity
// without revealing it, and the database keeps it sealed.
func messageEvent(a Actor, role Role, kind string, id MessageID, detail string, f Facts, now time.Time) Event {
	return Event{At: now, ActorID: a.ID, ActorRole: role, Kind: kind, MessageID: id, Detail: detail,
		Protected: f.involved(), ActorEmail: a.Email}
}

// mutate runs fn on a locked message the actor may act on, then stores the
// message and an event of the given kind, all in one transaction.
func (s *Service) mutate(ctx context.Context, a Actor, id MessageID, action Action, kind string,
	fn func(tx Tx, m *Message, f Facts, now time.Time) (detail string, err error)) (Message, error) {
	return s.mutateMessage(ctx, a, id, action, kind, false, fn)
}

// mutateCounts is mutate for an act that changes the message's signature
// count alone (signing, withdrawing a signature): nothing sealed but the
// drafter is opened, fn sees no text, and only the count and the update
// time are written. fn changing anything else is refused.
func (s *Service) mutateCounts(ctx context.Context, a Actor, id MessageID, action Action, kind string,
	fn func(tx Tx, m *Message, f Facts, now time.Time) (detail string, err error)) (Message, error) {
	return s.mutateMessage(ctx, a, id, action, kind, true, fn)
}

func (s *Service) mutateMessage(ctx context.Context, a Actor, id MessageID, action Action, kind string, counts bool,
	fn func(tx Tx, m *Message, f Facts, now time.Time) (detail string, err error)) (Message, error) {
	var out Message
	var activated bool
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if activated, err = activateIn(ctx, tx, a); err != nil {
			return err
		}
		now := s.now().UTC()
		mode := loadLocked
		if counts {
			mode = loadLockedCounts
		}
		m, f, err := s.authorizeAs(ctx, tx, a, id, action, mode, now)
		if err != nil {
			return err
		}
		before := m
		detail, err := fn(tx, &m, f, now)
		if err != nil {
			return err
		}
		m.Updated = now
		if counts {
			if m.State != before.State || m.Version != before.Version || m.ContentHash != before.ContentHash || !m.SubmittedAt.Equal(before.SubmittedAt) {
				return fmt.Errorf("%s changed more of message %s than its signature count", kind, m.ID)
			}
			err = tx.UpdateMessageCounts(ctx, m)
		} else {
			err = tx.UpdateMessage(ctx, m)
		}
		if err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, messageEvent(a, eventRole(a, action, f), kind, m.ID, detail, f, now)); err != nil {
			return err
		}
		out = m
		return nil
	})
	if err == nil && activated {
		a.activation.markDone()
	}
	return out, err
}

func conflictState(m Message, what string) error {
	return &Error{Kind: KindConflict, Code: "illegal_transition", Field: "state",
		Message: "cannot " + what + " a message that is " + string(m.State)}
}

// eventRole is the role under which an actor takes an action, for the record.
func eventRole(a Actor, action Action, f Facts) Role {
	for _, r := range a.Roles {
		if roleAllows(r, action, f) {
			return r
		}
	}
	return ""
}

// officeCalendar is the calendar of the organization that runs the channel
// office: the first one created.
func (s *Service) officeCalendar(ctx context.Context, tx Tx) (Calendar, error) {
	od, err := readOfficeDays(ctx, tx)
	if err != nil {
		return nil, err
	}
	return s.calendarOf(od.loc, od.closures)
}

// officeDays is what the office's working-day calendar depends on: its
// organization, zone and closures.
type officeDays struct {
	org      Org
	loc      *time.Location
	closures []string
}

func readOfficeDays(ctx context.Context, tx Tx) (officeDays, error) {
	org, loc, err := officeOrg(ctx, tx)
	if err != nil {
		return officeDays{}, err
	}
	closures, err := tx.Closures(ctx, org.ID)
	if err != nil {
		return officeDays{}, err
	}
	return officeDays{org, loc, closures}, nil
}

// calendarKey names the calendar in the keys of what the Service keeps
// between views (statsCache, orderCache).
type calendarKey struct{ org, zone, closures string }

func (od officeDays) key() calendarKey {
	return calendarKey{od.org.ID, od.org.TimeZone, strings.Join(od.closures, ",")}
}

// calendarOf is the working-day calendar of the zone loc with the closures.
func (s *Service) calendarOf(loc *time.Location, closures []string) (Calendar, error) {
	if s.calendars == nil {
		return nil, &Error{Kind: KindUnavailable, Code: "no_calendar", Message: "no working-day calendar configured"}
	}
	return s.calendars(loc, closures)
}

// officeOrg is the organization that runs the channel office, and its zone.
func officeOrg(ctx context.Context, tx Tx) (Org, *time.Location, error) {
	orgs, err := tx.Orgs(ctx)
	if err != nil {
		return Org{}, nil, err
	}
	if len(orgs) == 0 {
		return Org{}, nil, &Error{Kind: KindUnavailable, Code: "no_office", Message: "no organization runs the channel office yet"}
	}
	loc, err := time.LoadLocation(orgs[0].TimeZone)
	return orgs[0], loc, err
}
