package dissent

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Notification tells a person that something about a message needs their
// attention. It holds no message text, no title and no name: only its kind,
// the message's id and a link.
//
// A notification is stored in the same transaction as the change it tells
// of, so that a committed change is never left untold and a rolled-back one
// is never told; its e-mail is queued in that transaction too (an outbox)
// and sent later by internal/mail.
type Notification struct {
	ID        int64
	PersonID  PersonID
	Kind      string
	MessageID MessageID
	Created   time.Time
	Read      time.Time // zero while unread
}

// The kinds of notification.
const (
	NoteInvited          = "invited"                // you were invited to co-sign
	NoteReceiptReady     = "receipt.ready"          // the message you signed was submitted; your receipt is ready
	NoteReplySent        = "reply.sent"             // the channel office answered a message you signed
	NoteConsultation     = "consultation.requested" // your input is asked for
	NoteQuorumMet        = "quorum.met"             // the condition of your conditional signature is met
	NoteConsultExpired   = "consultation.expired"   // a consultation's due date passed without input
	NoteExposureFound    = "exposure.found"         // a passage of the message was found in an article
	NoteLogMismatch      = "log.mismatch"           // the audit log's self-check found the database differing from it
	NoteAckReminder50    = "reminder.acknowledge.50"
	NoteAckReminder80    = "reminder.acknowledge.80"
	NoteAckOverdue       = "overdue.acknowledge"
	NoteReplyReminder50  = "reminder.reply.50"
	NoteReplyReminder80  = "reminder.reply.80"
	NoteReplyOverdue     = "overdue.reply"
	maxNotificationsPage = 200
)

// NotificationKinds lists every kind, in a fixed order.
var NotificationKinds = []string{NoteInvited, NoteReceiptReady, NoteReplySent, NoteConsultation, NoteQuorumMet,
	NoteConsultExpired, NoteExposureFound, NoteAckReminder50, NoteAckReminder80, NoteAckOverdue,
	NoteReplyReminder50, NoteReplyReminder80, NoteReplyOverdue}

// NoticeText is the one sentence a notification shows and sends, by kind. It
// names no message, person or content on purpose.
func NoticeText(kind string) string {
	switch kind {
	case NoteInvited:
		return "You have been invited to co-sign a message."
	case NoteReceiptReady:
		return "A message you signed has been submitted. Your receipt is ready."
	case NoteReplySent:
		return "The channel office has replied to a message you signed."
	case NoteConsultation:
		return "Your input is requested on a message."
	case NoteQuorumMet:
		return "The condition of your conditional signature is met: your signature now counts."
	case NoteConsultExpired:
		return "A consultation's due date has passed without input."
	case NoteExposureFound:
		return "A passage of a message may have been published."
	case NoteLogMismatch:
		return "The audit log's self-check found the database differing from the log. Run dissent verify."
	case NoteAckReminder50:
		return "Half of the time to acknowledge a message has passed."
	case NoteAckReminder80:
		return "80 % of the time to acknowledge a message has passed."
	case NoteAckOverdue:
		return "A message is overdue for acknowledgement."
	case NoteReplyReminder50:
		return "Half of the time to reply to a message has passed."
	case NoteReplyReminder80:
		return "80 % of the time to reply to a message has passed."
	case NoteReplyOverdue:
		return "A message is overdue for a reply."
	}
	return "Something needs your attention."
}

// Link is the path the notification points to.
func (n Notification) Link() string {
	if n.MessageID == "" {
		return "/notifications"
	}
	return "/messages/" + string(n.MessageID)
}

// Text is the notice's sentence (NoticeText).
func (n Notification) Text() string { return NoticeText(n.Kind) }

// NotificationPrefs are a person's choices about notifications.
type NotificationPrefs struct {
	Email bool // send an e-mail for each notification (default on)
}

// notify stores a notification of kind about message id for each of people
// (duplicates and the system actor dropped), in tx, the transaction of the
// change it tells of, and queues their e-mails.
func (s *Service) notify(ctx context.Context, tx Tx, kind string, id MessageID, people ...PersonID) error {
	ps := make([]PersonID, 0, len(people))
	for _, p := range people {
		if p != 0 {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	ps = slices.Compact(ps)
	if len(ps) == 0 {
		return nil
	}
	return tx.AddNotifications(ctx, Notification{Kind: kind, MessageID: id, Created: s.now().UTC()}, ps)
}

// notifySigners notifies the drafter and everyone holding an active
// signature on the message's current version.
func (s *Service) notifySigners(ctx context.Context, tx Tx, kind string, m *Message) error {
	ids, err := signerIDs(ctx, tx, m)
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, kind, m.ID, ids...)
}

// signerIDs returns the people holding an active signature on the
// message's current version, the drafter among them.
func signerIDs(ctx context.Context, tx Tx, m *Message) ([]PersonID, error) {
	ids, err := tx.ActiveSigners(ctx, m.ID, m.Version)
	if err != nil {
		return nil, err
	}
	return append(ids, m.DrafterID), nil
}

// Notifications returns the actor's notifications, newest first, and how
// many are unread.
func (s *Service) Notifications(ctx context.Context, a Actor) ([]Notification, int, error) {
	var out []Notification
	var unread int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if out, err = tx.Notifications(ctx, a.ID, maxNotificationsPage); err != nil {
			return err
		}
		unread, err = tx.CountUnread(ctx, a.ID)
		return err
	})
	return out, unread, err
}

// UnreadNotifications returns how many of the actor's notifications are
// unread (for a badge in the navigation).
func (s *Service) UnreadNotifications(ctx context.Context, a Actor) (int, error) {
	var n int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		n, err = tx.CountUnread(ctx, a.ID)
		return err
	})
	return n, err
}

// MarkNotificationsRead marks the actor's notifications with these ids
// read; with no ids, all of them. Ids that are not the actor's change
// nothing.
func (s *Service) MarkNotificationsRead(ctx context.Context, a Actor, ids []int64) (int, error) {
	if len(ids) > maxNotificationsPage {
		return 0, &Error{Kind: KindInvalid, Code: "too_many", Field: "id", Limit: maxNotificationsPage,
			Message: "at most " + strconv.Itoa(maxNotificationsPage) + " notifications may be marked at once"}
	}
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.MarkRead(ctx, a.ID, ids, s.now().UTC())
		return err
	})
	return n, err
}

// NotificationPrefs returns the actor's preferences.
func (s *Service) NotificationPrefs(ctx context.Context, a Actor) (NotificationPrefs, error) {
	var p NotificationPrefs
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		p, err = tx.NotificationPrefs(ctx, a.ID)
		return err
	})
	return p, err
}

// SetNotificationPrefs stores the actor's preferences.
func (s *Service) SetNotificationPrefs(ctx context.Context, a Actor, p NotificationPrefs) error {
	if a.ID == 0 {
		return errForbidden("the system has no notifications")
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.SetNotificationPrefs(ctx, a.ID, p) })
}

// AlertAuditors tells every auditor that the audit log's self-check found
// the database differing from the log (serve's background check). The
// notice says only that; the detail is in the server's log and in what
// `dissent verify` reports.
func (s *Service) AlertAuditors(ctx context.Context) error {
	return s.store.Update(ctx, func(tx Tx) error {
		ids, err := tx.RoleHolders(ctx, RoleAuditor)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, NoteLogMismatch, "", ids...)
	})
}
