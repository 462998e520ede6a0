package dissent

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Service is the use cases of the dissent channel. Every method that touches
// a message asks Decide first, inside the transaction that acts on the
// answer.
type Service struct {
	store     Store
	now       func() time.Time
	calendars CalendarFunc
	audit     AuditLog
	log       *slog.Logger
	mail      bool // the deployment sends e-mail (account.go)

	accredited     string // the highest accredited marking; "" for none (vocabulary.go)
	maxAttachBytes int64  // per attachment (attachment.go)
	maxAttachments int    // per message

	exposureMu sync.Mutex     // guards exposure (exposure.go)
	exposure   *exposureState // nil until SetExposureEngine

	uses tokenUses // token uses not yet written (auth.go)
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
}

// System is the actor of the command line, which has the data directory and
// so the whole deployment in hand; it may administer the directory but, like
// the administrator, read no message.
var System = Actor{Person{ID: 0, Name: "system", Roles: Roles{RoleAdmin}}}

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

// AddOrg adds an organization. The first organization added runs the
// channel office, and its calendar counts the deadlines.
func (s *Service) AddOrg(ctx context.Context, actor Actor, in OrgInput) (Org, error) {
	if err := permit(actor, ActManageDirectory); err != nil {
		return Org{}, err
	}
	if err := checkID("id", in.ID); err != nil {
		return Org{}, err
	}
	if err := checkLabel("name", in.Name, MaxName, true); err != nil {
		return Org{}, err
	}
	if in.TimeZone == "" {
		in.TimeZone = "America/New_York"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		return Org{}, errInvalid("tz", "unknown_zone", "unknown time zone %q; use an IANA name such as America/New_York", in.TimeZone)
	}
	o := Org{ID: in.ID, Name: in.Name, TimeZone: in.TimeZone, Created: s.now().UTC()}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return ifDuplicate(err, "id", "an organization with id %s already exists", o.ID)
		}
		return tx.AppendEvent(ctx, Event{At: o.Created, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "org.added", Detail: o.ID})
	})
	return o, err
}

// UnitInput is what adding a unit takes.
type UnitInput struct {
	ID, OrgID, Name, ParentID string
}

// AddUnit adds a unit to an organization.
func (s *Service) AddUnit(ctx context.Context, actor Actor, in UnitInput) (Unit, error) {
	if err := permit(actor, ActManageDirectory); err != nil {
		return Unit{}, err
	}
	if err := checkID("id", in.ID); err != nil {
		return Unit{}, err
	}
	if err := checkLabel("name", in.Name, MaxName, true); err != nil {
		return Unit{}, err
	}
	u := Unit(in)
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Org(ctx, in.OrgID); err != nil {
			return errInvalid("org", "unknown_org", "no organization %q", in.OrgID)
		}
		if in.ParentID != "" {
			p, err := tx.Unit(ctx, in.ParentID)
			if err != nil || p.OrgID != in.OrgID {
				return errInvalid("parent", "unknown_unit", "no unit %q in organization %q", in.ParentID, in.OrgID)
			}
		}
		if err := tx.CreateUnit(ctx, u); err != nil {
			return ifDuplicate(err, "id", "a unit with id %s already exists", u.ID)
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "unit.added", Detail: u.ID})
	})
	return u, err
}

// AddClosure adds an extra closure (e.g. an executive-order closing) to an
// organization's calendar.
func (s *Service) AddClosure(ctx context.Context, actor Actor, orgID, date, reason string) error {
	if err := permit(actor, ActManageDirectory); err != nil {
		return err
	}
	if _, err := ParseDate("date", date); err != nil {
		return err
	}
	if err := checkText("reason", reason, MaxReason, false, false); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Org(ctx, orgID); err != nil {
			return errInvalid("org", "unknown_org", "no organization %q", orgID)
		}
		if err := tx.AddClosure(ctx, orgID, date, reason); err != nil {
			return ifDuplicate(err, "date", "that day is already a closure")
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "calendar.closure_added", Detail: orgID + " " + date})
	})
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

// AddPeople adds people to the directory in one transaction: either all are
// added or none. A row's error names the row (people[i]) and the field.
func (s *Service) AddPeople(ctx context.Context, actor Actor, in []PersonInput) ([]NewPerson, error) {
	if err := permit(actor, ActManagePeople); err != nil {
		return nil, err
	}
	for _, p := range in {
		if p.WantToken {
			if err := permit(actor, ActIssueToken); err != nil {
				return nil, err
			}
		}
	}
	now := s.now().UTC()
	rows := make([]PersonInput, len(in))
	for i, p := range in {
		var err error
		at := func(e error) error {
			if de, ok := e.(*Error); ok && len(in) > 1 {
				de.Field = fieldIndex("people", i) + "." + de.Field
				de.Message = "row " + strconv.Itoa(i+1) + ": " + de.Message
			}
			return e
		}
		if p.Email, err = NormalizeEmail("email", p.Email); err != nil {
			return nil, at(err)
		}
		if err := checkLabel("name", p.Name, MaxName, true); err != nil {
			return nil, at(err)
		}
		if p.Supervisor != "" {
			if p.Supervisor, err = NormalizeEmail("supervisor", p.Supervisor); err != nil {
				return nil, at(err)
			}
		}
		p.Roles = NormalizeRoles(p.Roles)
		if len(p.Roles) == 0 {
			return nil, at(errInvalid("roles", "required", "at least one role is required"))
		}
		rows[i] = p
	}
	out := make([]NewPerson, len(rows))
	err := s.store.Update(ctx, func(tx Tx) error {
		at := func(i int, e error) error {
			if de, ok := e.(*Error); ok && len(rows) > 1 {
				de.Field = fieldIndex("people", i) + "." + de.Field
				de.Message = "row " + strconv.Itoa(i+1) + ": " + de.Message
			}
			return e
		}
		byEmail := make(map[string]int, len(rows))
		for i, p := range rows {
			if j, dup := byEmail[p.Email]; dup {
				return at(i, errInvalid("email", "duplicate", "%s appears twice (rows %d and %d)", p.Email, j+1, i+1))
			}
			byEmail[p.Email] = i
			if _, err := tx.Org(ctx, p.OrgID); err != nil {
				return at(i, errInvalid("org", "unknown_org", "no organization %q", p.OrgID))
			}
			if p.UnitID != "" {
				u, err := tx.Unit(ctx, p.UnitID)
				if err != nil || u.OrgID != p.OrgID {
					return at(i, errInvalid("unit", "unknown_unit", "no unit %q in organization %q", p.UnitID, p.OrgID))
				}
			}
			person := Person{Email: p.Email, Name: p.Name, OrgID: p.OrgID, UnitID: p.UnitID, Roles: p.Roles, Created: now}
			id, err := tx.CreatePerson(ctx, person)
			if err != nil {
				return at(i, ifDuplicate(err, "email", "a person with e-mail %s already exists", p.Email))
			}
			person.ID = id
			out[i] = NewPerson{Person: person}
			if p.WantToken {
				tok := newToken("dsn_")
				if err := tx.CreateToken(ctx, id, TokenHash(tok), now); err != nil {
					return err
				}
				out[i].Token = tok
				if err := s.noticeAccount(ctx, tx, id, NoticeTokenIssued, Secret{}); err != nil {
					return err
				}
			}
			if err := tx.AppendEvent(ctx, Event{At: now, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "person.added", Detail: "person " + strconv.Itoa(int(id)) + " roles " + Roles(p.Roles).String()}); err != nil {
				return err
			}
		}
		// Supervisors second, so that a file may name a supervisor on a
		// later row; only the new rows can form a cycle.
		for i, p := range rows {
			if p.Supervisor == "" {
				continue
			}
			if p.Supervisor == p.Email {
				return at(i, errInvalid("supervisor", "self", "a person cannot supervise themselves"))
			}
			sup, err := tx.PersonByEmail(ctx, p.Supervisor)
			if err != nil {
				return at(i, errInvalid("supervisor", "unknown_person", "no person %q in the directory or the import", p.Supervisor))
			}
			if err := tx.SetSupervisor(ctx, out[i].ID, sup.ID); err != nil {
				return err
			}
			out[i].SupervisorID = sup.ID
		}
		for i := range rows {
			seen := map[int]bool{i: true}
			for j := i; rows[j].Supervisor != ""; {
				k, ok := byEmail[rows[j].Supervisor]
				if !ok {
					break
				}
				if seen[k] {
					return at(i, errInvalid("supervisor", "cycle", "the supervisors of %s form a cycle", rows[i].Email))
				}
				seen[k] = true
				j = k
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// IssueToken creates a new bearer token for a person. Only the command line
// on the server (System) may: no administrator issues a token for another
// person. The person is told.
func (s *Service) IssueToken(ctx context.Context, actor Actor, email string) (Secret, error) {
	if err := permit(actor, ActIssueToken); err != nil {
		return Secret{}, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	tok := newToken("dsn_")
	err = s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.PersonByEmail(ctx, email)
		if err != nil {
			return errInvalid("email", "unknown_person", "no person %q in the directory", email)
		}
		if !p.Active() {
			return errRefused("deactivated", "the account of "+p.Email+" is deactivated; reactivate it first")
		}
		now := s.now().UTC()
		if err := tx.CreateToken(ctx, p.ID, TokenHash(tok), now); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: now, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "token.issued", Detail: "person " + strconv.Itoa(int(p.ID))}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, p.ID, NoticeTokenIssued, Secret{})
	})
	return tok, err
}

// SignInLinkTTL is how long a one-time sign-in link stays valid.
const SignInLinkTTL = 24 * time.Hour

// IssueSignInLink is IssueSignInLinkFor by e-mail (the command line). The
// secret is returned only when it may be shown to the issuer.
func (s *Service) IssueSignInLink(ctx context.Context, actor Actor, email string) (Secret, error) {
	if err := permit(actor, ActManageCredentials); err != nil {
		return Secret{}, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	li, err := s.issueFirstLink(ctx, actor, func(tx Tx) (Person, error) { return personByEmail(ctx, tx, email) })
	return li.Secret, err
}

// RedeemSignInLink spends a one-time sign-in secret and returns a fresh
// bearer token for its person. A used, expired or unknown secret is
// Unauthenticated, and the three are indistinguishable.
func (s *Service) RedeemSignInLink(ctx context.Context, secret Secret) (Actor, Secret, error) {
	bad := &Error{Kind: KindUnauthenticated, Code: "bad_link", Message: "this sign-in link is invalid, used or expired; ask your administrator for a new one"}
	if !strings.HasPrefix(secret.Reveal(), "dsl_") || len(secret.Reveal()) > 200 {
		return Actor{}, Secret{}, bad
	}
	tok := newToken("dsn_")
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		id, err := tx.UseSignInLink(ctx, TokenHash(secret), now)
		if err != nil {
			if ErrorKind(err) == KindNotFound {
				return bad
			}
			return err
		}
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		if !p.Active() {
			return bad
		}
		if err := tx.MarkActivated(ctx, id); err != nil {
			return err
		}
		if err := tx.CreateToken(ctx, id, TokenHash(tok), now); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, Kind: "signin.link"})
	})
	if err != nil {
		return Actor{}, Secret{}, err
	}
	return Actor{p}, tok, nil
}

// CountAdmins returns how many administrators the directory holds.
func (s *Service) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		n, err = tx.CountPeopleWithRole(ctx, RoleAdmin)
		return err
	})
	return n, err
}

// Bootstrap makes a new deployment's first administrator, who belongs to no
// organization yet, and returns a one-time sign-in secret for them. It fails
// with a Conflict once an administrator exists.
func (s *Service) Bootstrap(ctx context.Context, email string) (Secret, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	sec := newToken("dsl_")
	err = s.store.Update(ctx, func(tx Tx) error {
		n, err := tx.CountPeopleWithRole(ctx, RoleAdmin)
		if err != nil {
			return err
		}
		if n > 0 {
			return errConflict("initialized", "this deployment already has an administrator")
		}
		now := s.now().UTC()
		id, err := tx.CreatePerson(ctx, Person{Email: email, Name: "Administrator", Roles: Roles{RoleAdmin}, Created: now})
		if err != nil {
			return ifDuplicate(err, "email", "a person with e-mail %s already exists", email)
		}
		if err := tx.CreateSignInLink(ctx, id, TokenHash(sec), now.Add(SignInLinkTTL)); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, Kind: "deployment.initialized", Detail: "person " + strconv.Itoa(int(id))})
	})
	return sec, err
}
