package dissent

import (
	"context"
	"time"
)

// This file holds what background work needs from the store: leases that
// let one of many instances run a job, the notifications and their e-mail
// outbox, and the reads of the deadline sweeper (sweep.go).
//
// Background work is coordinated only through the database, so that any
// number of instances can run against one store: a job that must run on one
// instance at a time takes a lease; what must happen exactly once (a
// reminder, an e-mail) is guarded by a unique key or a row claim written in
// the same transaction as its effect, never by the lease alone.

// JobTx is the part of Tx that background work needs.
type JobTx interface {
	// AcquireLease gives the lease name to holder until until, when the
	// lease is free, has expired by now, or is already holder's (a renewal).
	// It reports whether holder holds the lease afterwards. Of concurrent
	// callers on any number of instances, at most one MUST get a lease that
	// has not expired.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease ends holder's lease on name; a lease held by another is
	// left alone.
	ReleaseLease(ctx context.Context, name, holder string) error
	// LeaseHolder returns who holds the lease at now ("" when nobody does).
	LeaseHolder(ctx context.Context, name string, now time.Time) (string, error)

	// AddNotifications stores the notification n (Kind, MessageID, Created)
	// for each person, and queues an e-mail for each one whose preferences
	// allow it, in the caller's transaction. A person is stored next to the
	// message only as their keyed pseudonym, and sealed.
	AddNotifications(ctx context.Context, n Notification, people []PersonID) error
	// Notifications lists a person's notifications, newest first, at most
	// limit.
	Notifications(ctx context.Context, person PersonID, limit int) ([]Notification, error)
	CountUnread(ctx context.Context, person PersonID) (int, error)
	// MarkRead marks the person's notifications with these ids read (all of
	// them when ids is empty) and returns how many changed. Ids of other
	// people's notifications change nothing.
	MarkRead(ctx context.Context, person PersonID, ids []int64, at time.Time) (int, error)
	NotificationPrefs(ctx context.Context, person PersonID) (NotificationPrefs, error)
	SetNotificationPrefs(ctx context.Context, person PersonID, p NotificationPrefs) error

	// RecordReminder records that the reminder key of the message was sent.
	// It reports false, and changes nothing, when the key was recorded
	// before: the key is unique in the database, so that of two sweeps on
	// two instances exactly one records it.
	RecordReminder(ctx context.Context, id MessageID, key string, at time.Time) (bool, error)
	// SweepMessages lists the metadata (no text) of every message in the
	// circulating, submitted or acknowledged state.
	SweepMessages(ctx context.Context) ([]Message, error)
	// RoleHolders lists the people who hold a role.
	RoleHolders(ctx context.Context, r Role) ([]PersonID, error)
	// ConditionalMessages lists the circulating and submitted messages that
	// hold an active conditional signature on their current version.
	ConditionalMessages(ctx context.Context) ([]MessageID, error)
	// Uninvited returns those of people not yet invited to co-sign the
	// message, in their order (so that a repeated invitation notifies only
	// the new invitees).
	Uninvited(ctx context.Context, id MessageID, people []PersonID) ([]PersonID, error)
	// ActiveSigners lists the people holding an active signature on a
	// version.
	ActiveSigners(ctx context.Context, id MessageID, version int) ([]PersonID, error)
	// ConditionalSignatures lists the active conditional signatures on a
	// version, each with an opaque reference that names no one.
	ConditionalSignatures(ctx context.Context, id MessageID, version int) ([]ConditionalSignature, error)
	// ExpiredConsultations lists the unanswered consultations whose due time
	// is not after now, on messages that are submitted or acknowledged.
	ExpiredConsultations(ctx context.Context, now time.Time) ([]Consultation, error)

	// ClaimMail claims up to limit queued e-mails that are due at now and
	// not sent nor claimed by another holder until a time after now, for
	// holder until until, and returns them with their recipients'
	// addresses. Of concurrent callers on any number of instances, each
	// e-mail MUST go to at most one while its claim lasts.
	ClaimMail(ctx context.Context, holder string, now, until time.Time, limit int) ([]OutboxMail, error)
	// MailSent marks a claimed e-mail sent.
	MailSent(ctx context.Context, id int64, holder string, at time.Time) error
	// MailFailed records a failed attempt: the claim ends and the e-mail is
	// due again at next. The error text must hold no address.
	MailFailed(ctx context.Context, id int64, holder string, next time.Time, reason string) error
}

// ConditionalSignature is an active conditional signature, as the sweeper
// needs it.
type ConditionalSignature struct {
	Ref          int64 // the signature's row; names no one
	PersonID     PersonID
	MinCosigners int
}

// OutboxMail is a queued e-mail: a notice that something needs attention,
// with a link. It never holds message text, titles or names.
type OutboxMail struct {
	ID        int64
	To        string // the recipient's address
	Kind      string
	MessageID MessageID
	Attempts  int // failed attempts so far
	Created   time.Time
	// Account is set for a notice about the recipient's own account
	// (AccountNoticeText), not about a message; Link is then the one-time
	// sign-in link it carries, if any.
	Account bool
	Link    Secret
}

// AcquireLease takes or renews the lease name for holder for ttl, counted
// from now. See JobTx.AcquireLease.
func (s *Service) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var ok bool
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		ok, err = tx.AcquireLease(ctx, name, holder, now, now.Add(ttl))
		return err
	})
	return ok, err
}

// ReleaseLease gives up holder's lease on name, so that another instance
// may take it at once.
func (s *Service) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.ReleaseLease(ctx, name, holder) })
}

// LeaseHolder returns who holds the lease name at now, "" if nobody.
func (s *Service) LeaseHolder(ctx context.Context, name string, now time.Time) (string, error) {
	var h string
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		h, err = tx.LeaseHolder(ctx, name, now)
		return err
	})
	return h, err
}

// ClaimMail claims queued e-mails for holder for ttl (see JobTx.ClaimMail).
func (s *Service) ClaimMail(ctx context.Context, holder string, now time.Time, ttl time.Duration, limit int) ([]OutboxMail, error) {
	var out []OutboxMail
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimMail(ctx, holder, now, now.Add(ttl), limit)
		return err
	})
	return out, err
}

// MailSent marks a claimed e-mail sent.
func (s *Service) MailSent(ctx context.Context, id int64, holder string, at time.Time) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.MailSent(ctx, id, holder, at) })
}

// MailFailed records a failed delivery attempt; the e-mail is due again at
// next.
func (s *Service) MailFailed(ctx context.Context, id int64, holder string, next time.Time, reason string) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.MailFailed(ctx, id, holder, next, reason) })
}
