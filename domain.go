package dissent

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Org is an organization served by the deployment (e.g. a ministry and its
// development agency).
type Org struct {
	ID       string
	Name     string
	TimeZone string // IANA zone, default America/New_York
	Created  time.Time
}

// Unit is an office, bureau or post within an organization.
type Unit struct {
	ID       string
	OrgID    string
	Name     string
	ParentID string // empty for a top-level unit
}

// PersonID identifies a person in the directory.
type PersonID int64

// Person is someone in the directory. SupervisorID links form the management
// chain.
type Person struct {
	ID           PersonID
	Email        string
	Name         string
	OrgID        string
	UnitID       string
	SupervisorID PersonID // 0 when none
	Roles        Roles
	Created      time.Time
	Activated    bool      // has signed in or used a token at least once
	Deactivated  time.Time // the day the person was deactivated; zero while active
}

// Active reports whether the person may sign in and act.
func (p Person) Active() bool { return p.Deactivated.IsZero() }

// Role is one of the parts a person may play; a person may hold several.
type Role string

// The roles of SPEC §1.
const (
	RoleEmployee  Role = "employee"
	RoleOfficer   Role = "officer"
	RoleDirector  Role = "director"
	RolePrincipal Role = "principal"
	RoleReviewer  Role = "reviewer"
	RoleMonitor   Role = "monitor"
	RoleAuditor   Role = "auditor"
	RoleAdmin     Role = "admin"
)

// AllRoles lists every role in a fixed order.
var AllRoles = []Role{RoleEmployee, RoleOfficer, RoleDirector, RolePrincipal, RoleReviewer, RoleMonitor, RoleAuditor, RoleAdmin}

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(AllRoles, r) {
		return r, nil
	}
	return "", errInvalid("role", "unknown_role", "unknown role %q; want one of employee, officer, director, principal, reviewer, monitor, auditor, admin", s)
}

// Roles is a set of roles, kept sorted in the order of AllRoles.
type Roles []Role

// Has reports whether r is in the set.
func (rs Roles) Has(r Role) bool { return slices.Contains(rs, r) }

// NormalizeRoles removes duplicates and sorts rs in the order of AllRoles.
func NormalizeRoles(rs []Role) Roles {
	var out Roles
	for _, r := range AllRoles {
		if slices.Contains(rs, r) {
			out = append(out, r)
		}
	}
	return out
}

// String joins the roles with ";" as in the CSV import format.
func (rs Roles) String() string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ";")
}

// MessageID identifies a message: 32 lowercase hex digits, random, so that
// identifiers reveal nothing and cannot be guessed.
type MessageID string

// ParseMessageID checks the form of s.
func ParseMessageID(s string) (MessageID, error) {
	if len(s) != 32 {
		return "", errInvalid("id", "malformed_id", "message id must be 32 hexadecimal digits")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", errInvalid("id", "malformed_id", "message id must be 32 hexadecimal digits")
		}
	}
	return MessageID(s), nil
}

// State is where a message is in its lifecycle (SPEC §2).
type State string

// The states of a message.
const (
	StateDraft        State = "draft"
	StateCirculating  State = "circulating"
	StateSubmitted    State = "submitted"
	StateAcknowledged State = "acknowledged"
	StateReplied      State = "replied"
	StateClosed       State = "closed"
	StateWithdrawn    State = "withdrawn"
	StateRedirected   State = "redirected"
)

// Editable reports whether the text may still change and signatures may still
// be given or withdrawn.
func (s State) Editable() bool { return s == StateDraft || s == StateCirculating }

// Message is the current state of a message and its current version's text.
// Title, Summary and Body are protected.
type Message struct {
	ID          MessageID
	OrgID       string
	DrafterID   PersonID
	State       State
	Version     int
	ContentHash string
	Title       Text
	Summary     Text
	Body        Text
	// Classification and Topic belong to the current version (they are in
	// its content hash); Tier and Related to the message. Related lists
	// every related message; a view leaves out those the reader may not see.
	Classification string
	Topic          string
	Tier           string
	Related        []MessageID
	Attachments    []Attachment // the current version's annexes, without their bytes
	SignatureCount int          // effective signatures on the current version, drafter included
	Created        time.Time
	Updated        time.Time
	SubmittedAt    time.Time // zero until submitted
	AcknowledgeBy  time.Time // end of the working day; zero until submitted
	ReplyBy        time.Time
	ReplyDays      int // working days allowed for the reply: 30, or up to 60 once extended
	ExtensionNote  Text
	AcknowledgedAt time.Time
	RepliedAt      time.Time
	ClosedAt       time.Time
	RedirectNote   Text
	RedirectTo     string
}

// Version is one exact text of a message.
type Version struct {
	MessageID   MessageID
	Number      int
	Title       Text
	Summary     Text
	Body        Text
	ContentHash string
	AuthorID    PersonID // known when written; not kept in clear, so zero when read back
	Created     time.Time
	// Classification, Topic and Attachments are part of the content hash.
	Classification string
	Topic          string
	Attachments    []Attachment
}

// Attachment is an annex of a message: its name and bytes are sealed under
// the message's key like the text. A row never changes; a version names the
// attachments it holds.
type Attachment struct {
	ID        string // 32 hex digits, random
	MessageID MessageID
	Name      Text
	Size      int64
	SHA256    string // hex of the bytes' SHA-256
	Created   time.Time
}

// Content is everything a content hash covers.
type Content struct {
	Title, Summary, Body string
	Classification       string
	Topic                string
	Attachments          []string // the attachments' SHA-256 (hex), in the version's order
}

// Hash returns the content hash of c. A text with no marking, no topic and
// no attachment keeps the version 1 hash (ContentHash), so every hash made
// before markings existed still holds. Otherwise it is version 2: SHA-256
// over "dissent content v2\n", then title, summary, body, classification and
// topic, each preceded by its length in bytes as a big-endian uint64, then
// the number of attachments as a big-endian uint64 and each attachment's
// SHA-256 as 32 bytes. The tags separate the versions' domains.
func (c Content) Hash() string {
	if c.Classification == "" && c.Topic == "" && len(c.Attachments) == 0 {
		return ContentHash(c.Title, c.Summary, c.Body)
	}
	h := sha256.New()
	h.Write([]byte("dissent content v2\n"))
	var n [8]byte
	for _, s := range []string{c.Title, c.Summary, c.Body, c.Classification, c.Topic} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(len(c.Attachments)))
	h.Write(n[:])
	for _, a := range c.Attachments {
		b, err := hex.DecodeString(a)
		if err != nil || len(b) != sha256.Size {
			panic("dissent: attachment hash is not a SHA-256: " + a)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contentOf is the content of a message's current version.
func contentOf(m Message) Content {
	c := Content{Title: m.Title.Reveal(), Summary: m.Summary.Reveal(), Body: m.Body.Reveal(), Classification: m.Classification, Topic: m.Topic}
	for _, a := range m.Attachments {
		c.Attachments = append(c.Attachments, a.SHA256)
	}
	return c
}

// ContentHash returns the SHA-256 content hash that signatures bind to: the
// hex digest of a domain-separation tag followed by the title, summary and
// body, each preceded by its length in bytes as a big-endian uint64. The
// length prefixes make the encoding unambiguous.
func ContentHash(title, summary, body string) string {
	h := sha256.New()
	h.Write([]byte("dissent content v1\n"))
	var n [8]byte
	for _, s := range []string{title, summary, body} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Signature binds a person to one version's content hash. A conditional
// signature (MinCosigners > 0) counts, and is visible, only once at least
// MinCosigners other effective signatures are on the same version.
type Signature struct {
	MessageID    MessageID
	Version      int
	PersonID     PersonID
	ContentHash  string
	MinCosigners int
	Signed       time.Time
}

// EffectiveCount returns how many of the signatures count: every
// unconditional one, and the largest set of conditional ones whose quorum the
// rest meet. minimums holds MinCosigners of every signature on one version.
func EffectiveCount(minimums []int) int {
	var q Quorums
	for _, m := range minimums {
		if m <= 0 {
			q.Unconditional++
		} else {
			q.Conditional = append(q.Conditional, m)
		}
	}
	return q.Count()
}

// Quorums are the active signatures on one version as counting needs
// them: how many are unconditional, and MinCosigners of each conditional
// one (each > 0). Signing reads them without listing thousands of
// unconditional signatures one by one.
type Quorums struct {
	Unconditional int
	Conditional   []int
}

// Count is EffectiveCount of the same signatures.
func (q Quorums) Count() int {
	cond := slices.Clone(q.Conditional)
	slices.Sort(cond)
	// Accepting the k conditional signatures with the smallest minimums makes
	// uncond+k signatures, each of which sees uncond+k-1 others; the largest k
	// whose k-th minimum is met is the answer, and every smaller minimum is
	// then met too.
	best := 0
	for k := 1; k <= len(cond); k++ {
		if cond[k-1] <= q.Unconditional+k-1 {
			best = k
		}
	}
	return q.Unconditional + best
}

// Minimums lists MinCosigners of every signature, as EffectiveCount and
// QuorumThreshold take them.
func (q Quorums) Minimums() []int {
	return append(make([]int, q.Unconditional, q.Unconditional+len(q.Conditional)), q.Conditional...)
}

// QuorumThreshold returns the largest MinCosigners that is effective given
// the same input as EffectiveCount: conditional signatures with a minimum at
// or below it count; those above stay sealed. It is -1 when no conditional
// signature counts.
func QuorumThreshold(minimums []int) int {
	n := EffectiveCount(minimums)
	th := -1
	for _, m := range minimums {
		if m > 0 && m <= n-1 && m > th {
			th = m
		}
	}
	return th
}

// SignerView is a signature as one reader may see it.
type SignerView struct {
	Email        string
	Name         string
	OrgID        string
	Conditional  bool
	MinCosigners int
	Signed       time.Time // the day (UTC): no finer time of a signature is kept
}

// SignerList is what one reader is shown of a version's signers: the names
// they may see, and how many signatures there are in all. A signer the
// reader supervises, directly or indirectly, is not listed at all: no row,
// time, organization or place in the order; they are only counted in
// Total.
type SignerList struct {
	Signers []SignerView
	Total   int
}

// Event is one entry of the audit trail: a state change or a read of
// protected content. Events never hold message text or names. Each event is
// an entry of the audit log: stored sealed, and published in the Merkle log
// only as a salted commitment (EntryCommitment).
type Event struct {
	ID        int64 // the entry's sequence number, set by the store
	Leaf      int64 // the leaf index in the Merkle log once integrated; -1 before
	At        time.Time
	ActorID   PersonID // 0 for the system or for an anonymous act (a sign-in)
	ActorRole Role     // the role under which the actor acted
	Kind      string   // e.g. "message.submitted", "read.text"
	MessageID MessageID
	Detail    string // free-form, content-free: a version number, a hash, a count
	// Protected events are acts of people who take part in the message
	// (authors, signers, invitees, endorsers): their identity is sealed
	// under the message's key, and the entry holds only ActorCommit, a
	// salted hash of their e-mail that their receipt can open.
	Protected  bool
	ActorEmail string
	ActorSalt  []byte
	// Rows are the digests of the rows the event's transaction wrote, set
	// by the store: the log is the record of every table's state.
	Rows []RowDigest
}

// EventClass is the class of an event's kind that the database keeps in
// plain beside its sealed entry (log_entries.class), so that a reader can
// skip the entries it has no use for without opening them: the case page's
// history reads a case's steps, not the reads and signatures that grow with
// its use; the access log reads the reads alone. The class tells whoever
// holds the database how many entries of each class a message has (how
// often it was read, how many acts of its participants there were); it
// names nobody. ClassOf fixes each kind's class for good: an entry whose
// stored class differs from its kind's is refused as altered.
type EventClass uint8

const (
	// ClassUnknown is the class of an entry written before classes were
	// kept: every reader opens it to learn its kind.
	ClassUnknown EventClass = iota
	// ClassRead is a read of protected content ("read.*").
	ClassRead
	// ClassAct is one participant's act, of which a message may have
	// thousands: a signature's addition, withdrawal or renewal, a join by
	// link, an endorsement.
	ClassAct
	// ClassStep is every other kind: a step of the case itself, or an
	// event of the deployment's.
	ClassStep
)

// ClassOf is the class of an event of the given kind. A kind's class never
// changes once entries of it are stored; a new kind may take any class.
func ClassOf(kind string) EventClass {
	switch {
	case strings.HasPrefix(kind, "read."):
		return ClassRead
	case strings.HasPrefix(kind, "signature."), kind == "message.joined", kind == "endorsement.given":
		return ClassAct
	}
	return ClassStep
}

// ActorCommit is the commitment to a protected event's actor:
// hex(SHA-256("dissent actor v1\n" || salt || email)).
func ActorCommit(salt []byte, email string) string {
	h := sha256.New()
	h.Write([]byte("dissent actor v1\n"))
	h.Write(salt)
	h.Write([]byte(email))
	return hex.EncodeToString(h.Sum(nil))
}

// EntryVersion is the version of the log's entry format.
const EntryVersion = 2

// EntryRecord is the canonical form of an event in the audit log. Its JSON
// encoding (fields in this order, no spaces) is the entry's payload, which
// is stored sealed and published only inside its commitment.
type EntryRecord struct {
	V           int         `json:"v"`
	At          string      `json:"at"`
	Kind        string      `json:"kind"`
	Message     string      `json:"message,omitempty"`
	Role        string      `json:"role,omitempty"`
	Actor       int64       `json:"actor,omitempty"`
	ActorCommit string      `json:"actor_commit,omitempty"`
	Detail      string      `json:"detail,omitempty"`
	Rows        []RowDigest `json:"rows,omitempty"`
}

// RowDigest records the state of one row after a transaction: its table,
// its primary key (the key's columns as text, joined by U+001F; bytes in
// lower-case hex) and the hex SHA-256 of its values, or "" when the
// transaction deleted it.
type RowDigest struct {
	Table  string `json:"t"`
	Key    string `json:"k"`
	Digest string `json:"d"`
}

// Record returns the event's entry record. For a protected event the actor
// appears only as a commitment.
func (e Event) Record() EntryRecord {
	r := EntryRecord{V: EntryVersion, At: e.At.UTC().Format(time.RFC3339Nano), Kind: e.Kind, Message: string(e.MessageID),
		Role: string(e.ActorRole), Detail: e.Detail, Rows: e.Rows}
	if e.Protected {
		r.ActorCommit = ActorCommit(e.ActorSalt, e.ActorEmail)
	} else {
		r.Actor = int64(e.ActorID)
	}
	return r
}

// EntryCommitment is the leaf data of an entry in the public Merkle log:
// SHA-256("dissent leaf v2\n" || salt || payload). The 32-byte random salt
// hides the payload from whoever lacks it; a receipt carries the payload and
// salt of its holder's entries so that they can open them.
func EntryCommitment(salt, payload []byte) []byte {
	h := sha256.New()
	h.Write([]byte("dissent leaf v2\n"))
	h.Write(salt)
	h.Write(payload)
	return h.Sum(nil)
}

// LogEntry is an entry as the store holds it, opened.
type LogEntry struct {
	Seq        int64
	Leaf       int64      // -1 while not integrated
	Filed      MessageID  // the message the database files it under (log_entries.message_id)
	Class      EventClass // the class the database files it under (log_entries.class)
	Commitment []byte
	Salt       []byte
	Payload    []byte // the canonical EntryRecord JSON
}

// AccessEntry is a read of a message's text or names, as its authors see it.
type AccessEntry struct {
	At     time.Time
	Kind   string // "text", "title", "names" or "break_glass"
	Role   Role
	OrgID  string
	UnitID string
	Name   string // only for principals, officers, directors and auditors
}

// Reply is an answer from the channel office.
type Reply struct {
	ID         int64
	MessageID  MessageID
	AuthorID   PersonID
	Body       Text
	Created    time.Time
	ApprovedBy PersonID // 0 until the director approves
	ApprovedAt time.Time
}

// Consultation asks a reviewer for input on a message's text, with the names
// removed.
type Consultation struct {
	ID         int64
	MessageID  MessageID
	ReviewerID PersonID
	RequestBy  PersonID
	Due        time.Time
	Created    time.Time
	Input      Text
	AnsweredAt time.Time
}

// Endorsement is an optional statement by a chief of mission or supervisor,
// separate from the signatures; it can never block or delay a submission.
type Endorsement struct {
	MessageID  MessageID
	EndorserID PersonID
	Body       Text
	Created    time.Time
}

// Meeting records a meeting between principals and authors after the reply.
type Meeting struct {
	ID        int64
	MessageID MessageID
	HeldOn    string // YYYY-MM-DD
	Notes     Text
	Recorded  time.Time
	ByID      PersonID
}
