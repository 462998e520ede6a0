package dissent

import (
	"context"
	"time"
)

// Store keeps the deployment's state. The implementations live in
// internal/store (SQLite and PostgreSQL) and pass one conformance suite.
type Store interface {
	// Update runs fn in a read-write transaction and commits it. Update MUST
	// NOT return nil before the transaction is durably committed, and MUST
	// roll back everything fn did if fn returns an error. Writes are
	// serialized: fn sees the effects of every Update that returned before it
	// began. fn must not have effects outside the transaction; the store may
	// run it inside a savepoint of a transaction shared with other callers,
	// and may run it more than once, discarding all but the last run
	// (PostgreSQL after a serialization failure; SQLite when a function of
	// the batch it shared failed after writing).
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is the set of reads and writes a transaction offers. Every method
// returns an *Error of KindNotFound for a missing object, never (zero, nil).
type Tx interface {
	AuthTx        // signin.go: tokens, sessions, passkeys, OIDC
	AccountTx     // people.go: activation, deactivation, links, requests, account notices
	JobTx         // jobs.go: leases, notifications, the e-mail outbox, the sweeper's reads
	DirectoryTx   // directory.go: the administrator's and auditor's pages
	InboxTx       // inbox.go: the lists' metadata
	InviteLinkTx  // author.go: shareable invitation links
	ExposureTx    // exposure.go: articles, findings, feeds
	ParticipantTx // read.go: invitees, meeting requests, reminders
	VocabularyTx  // vocabulary.go: markings, topics, tiers
	AttachmentTx  // attachment.go: annexes, sealed

	CreateOrg(ctx context.Context, o Org) error
	Org(ctx context.Context, id string) (Org, error)
	Orgs(ctx context.Context) ([]Org, error)
	CreateUnit(ctx context.Context, u Unit) error
	Unit(ctx context.Context, id string) (Unit, error)
	Closures(ctx context.Context, orgID string) ([]string, error)
	AddClosure(ctx context.Context, orgID, date, reason string) error

	// CreatePerson stores p and returns its new ID. A duplicate e-mail is a
	// KindConflict error with Field "email".
	CreatePerson(ctx context.Context, p Person) (PersonID, error)
	Person(ctx context.Context, id PersonID) (Person, error)
	PersonByEmail(ctx context.Context, email string) (Person, error)
	SetSupervisor(ctx context.Context, id, supervisor PersonID) error
	// PeopleByEmail returns the people found, keyed by e-mail; missing ones
	// are absent from the map.
	PeopleByEmail(ctx context.Context, emails []string) (map[string]Person, error)
	CountPeopleWithRole(ctx context.Context, r Role) (int, error)

	// CreateToken stores the SHA-256 hash of a bearer token for a person.
	CreateToken(ctx context.Context, person PersonID, hash []byte, created time.Time) error
	CreateSignInLink(ctx context.Context, person PersonID, hash []byte, expires time.Time) error
	// UseSignInLink marks the unused, unexpired link with this hash used and
	// returns its person.
	UseSignInLink(ctx context.Context, hash []byte, now time.Time) (PersonID, error)

	CreateMessage(ctx context.Context, m Message, v Version) error
	Message(ctx context.Context, id MessageID) (Message, error)
	// LockMessage reads the message and holds it against concurrent writers
	// until the transaction ends.
	LockMessage(ctx context.Context, id MessageID) (Message, error)
	// LockMessageCounts is LockMessage with nothing sealed opened but the
	// drafter (Title, Summary, Body, ExtensionNote, RedirectNote, Related
	// and Attachments are empty), for an act that changes the message's
	// signature count alone, which UpdateMessageCounts then writes.
	LockMessageCounts(ctx context.Context, id MessageID) (Message, error)
	UpdateMessage(ctx context.Context, m Message) error
	// UpdateMessageCounts writes the message's signature count and update
	// time, and nothing else of it.
	UpdateMessageCounts(ctx context.Context, m Message) error
	AddVersion(ctx context.Context, v Version) error
	Versions(ctx context.Context, id MessageID) ([]Version, error)
	// MessagesOf lists the messages a person is related to as author,
	// co-author, signer, invitee, endorser, reviewer or principal.
	MessagesOf(ctx context.Context, person PersonID) ([]Message, error)
	// MessageTitlesOf is MessagesOf with only the drafter and the title of
	// each message opened: Summary, Body, ExtensionNote, RedirectNote,
	// Related and Attachments are empty.
	MessageTitlesOf(ctx context.Context, person PersonID) ([]Message, error)
	// MessageHeader is Message with only the drafter and the title opened,
	// as MessageTitlesOf: enough to decide what a reader may see.
	MessageHeader(ctx context.Context, id MessageID) (Message, error)
	// SubmittedMessages lists every message that has ever been submitted.
	SubmittedMessages(ctx context.Context) ([]Message, error)

	// Relation fills in how the person relates to the message: every field
	// of Facts but Drafter and Submitted, which the caller takes from the
	// message itself.
	Relation(ctx context.Context, id MessageID, person PersonID, now time.Time) (Facts, error)
	// Relations is Relation for each of the messages, in a few queries.
	Relations(ctx context.Context, ids []MessageID, person PersonID, now time.Time) (map[MessageID]Facts, error)

	AddCoauthor(ctx context.Context, id MessageID, person PersonID, at time.Time) error
	// AddInvitations invites people not yet invited; it returns how many
	// invitations are new.
	AddInvitations(ctx context.Context, id MessageID, people []PersonID, by PersonID, at time.Time) (int, error)

	// InsertSignature adds a signature; a second active signature by the same
	// person on the same version is a KindConflict error. participant says
	// that the caller knows the signer already takes part in the message
	// (its drafter, a co-author or an invitee), so that the store need not
	// look before adding them to the message's participants; with false it
	// looks.
	InsertSignature(ctx context.Context, s Signature, participant bool) error
	// WithdrawSignatures ends the person's active signatures on the message
	// and returns the versions they were on.
	WithdrawSignatures(ctx context.Context, id MessageID, person PersonID, at time.Time) ([]int, error)
	// SignatureMinimums returns MinCosigners of every active signature on
	// the version.
	SignatureMinimums(ctx context.Context, id MessageID, version int) ([]int, error)
	// SignatureQuorums is SignatureMinimums with the unconditional
	// signatures counted, not listed.
	SignatureQuorums(ctx context.Context, id MessageID, version int) (Quorums, error)
	CountSignatures(ctx context.Context, id MessageID, version int) (int, error)
	// Signers lists the active signatures on the version with their people,
	// and which of them the reader supervises directly or indirectly.
	Signers(ctx context.Context, id MessageID, version int, reader PersonID) ([]SignerRow, error)

	// AppendEvent stores the event and appends it to the Merkle log in the
	// same transaction. Protected events have their actor sealed.
	AppendEvent(ctx context.Context, e Event) error
	// RecordWrites writes now, as entries of their own, the events appended
	// so far and the digests of the rows written so far; what the function
	// writes after it goes to later entries. A write that must not be
	// recorded in the same entry as a later protected event calls it.
	RecordWrites(ctx context.Context) error
	// Events lists a message's events, protected actors opened; with id "",
	// the events that concern no message. Given classes, it lists only the
	// events of those classes, and the others' entries are not opened.
	Events(ctx context.Context, id MessageID, classes ...EventClass) ([]Event, error)
	AccessLog(ctx context.Context, id MessageID) ([]AccessEntry, error)

	LogTx
	KeyTx
	InviteTx

	Assign(ctx context.Context, id MessageID, officer, by PersonID, at time.Time) error
	Assignees(ctx context.Context, id MessageID) ([]PersonID, error)
	InsertReply(ctx context.Context, r Reply) (int64, error)
	Replies(ctx context.Context, id MessageID) ([]Reply, error)
	ApproveReply(ctx context.Context, id MessageID, reply int64, by PersonID, at time.Time) error
	InsertConsultation(ctx context.Context, c Consultation) (int64, error)
	Consultations(ctx context.Context, id MessageID) ([]Consultation, error)
	AnswerConsultation(ctx context.Context, consultation int64, input Text, at time.Time) error
	AddEndorser(ctx context.Context, id MessageID, person PersonID, at time.Time) error
	SetEndorsement(ctx context.Context, e Endorsement) error
	Endorsements(ctx context.Context, id MessageID) ([]Endorsement, error)
	AddDistribution(ctx context.Context, id MessageID, people []PersonID, at time.Time) error
	InsertMeeting(ctx context.Context, m Meeting) (int64, error)
	Meetings(ctx context.Context, id MessageID) ([]Meeting, error)
}

// LogTx reads the audit log: its entries (sealed in the database, each
// published in the Merkle log as a salted commitment), the Merkle tree over
// the integrated entries (RFC 6962; stored hashes indexed as in
// golang.org/x/mod/sumdb/tlog), its checkpoints, and the digests of the
// rows it records.
type LogTx interface {
	// LogSize is the number of integrated entries (leaves of the tree).
	LogSize(ctx context.Context) (int64, error)
	// LogEntries returns the integrated entries with leaf index in
	// [start, end), opened.
	LogEntries(ctx context.Context, start, end int64) ([]LogEntry, error)
	// PendingEntries returns the entries not yet integrated, by sequence.
	PendingEntries(ctx context.Context) ([]LogEntry, error)
	// LogCommitments returns the leaf data of leaves [start, end).
	LogCommitments(ctx context.Context, start, end int64) ([][]byte, error)
	// EntryBySeq returns one entry, opened.
	EntryBySeq(ctx context.Context, seq int64) (LogEntry, error)
	// IntegrateLog gives leaf indexes to up to max pending entries, in
	// sequence order, and stores the tree hashes they complete; it returns
	// the new size. The caller serializes integrations.
	IntegrateLog(ctx context.Context, max int) (int64, error)
	ReadLogHashes(ctx context.Context, indexes []int64) ([][32]byte, error)
	AddCheckpoint(ctx context.Context, size int64, note []byte, at time.Time) error
	Checkpoints(ctx context.Context) (sizes []int64, notes [][]byte, err error)
	// MessageStates returns every message's state and current version, and
	// the number of active signatures on each version.
	MessageStates(ctx context.Context) (map[MessageID]MessageState, error)
	// RowDigests calls fn with the digest of every row of every table the
	// log records, in a stable order.
	RowDigests(ctx context.Context, fn func(RowDigest) error) error
	// DigestRow is the digest of one row of a recorded table as it is now
	// ("" when there is no such row).
	DigestRow(ctx context.Context, table, key string) (string, error)
	// OpenEverySealed opens every sealed value under its message's key and
	// place, and returns how many it opened; it names the first that does
	// not open.
	OpenEverySealed(ctx context.Context, progress func(table string, n int64)) (int64, error)
}

// MessageState is what the log's replay is checked against.
type MessageState struct {
	State      State
	Version    int
	Signatures map[int]int // active signatures by version
}

// KeyTx rewraps data keys after a key rotation.
type KeyTx interface {
	StaleMessageKeys(ctx context.Context, activeKEK string, limit int) ([]MessageID, error)
	RewrapMessageKey(ctx context.Context, id MessageID) error
	CountKeysUnder(ctx context.Context, kek string) (int, error)
	// RewrapLogKey rewraps the audit log's data key under the active
	// key-encryption key.
	RewrapLogKey(ctx context.Context) error
}

// SignerRow is one active signature and its signer, as the store returns it.
type SignerRow struct {
	Signature
	Person   Person
	Withheld bool // the reader supervises this signer, directly or indirectly
}

// Calendar counts working days on the channel office's calendar.
type Calendar interface {
	// Due returns the end of the nth working day after the day of t.
	Due(t time.Time, n int) time.Time
	// WorkingDaysBetween counts the working days strictly after the day of
	// from up to and including the day of to; 0 when to's day is not later.
	WorkingDaysBetween(from, to time.Time) int
}

// CalendarFunc builds the calendar of an organization from its zone and its
// extra closures ("YYYY-MM-DD").
type CalendarFunc func(loc *time.Location, closures []string) (Calendar, error)
