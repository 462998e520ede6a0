package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// This file implements dissent.JobTx: leases, reminders, notifications and
// the e-mail outbox, the same SQL on both backends. What must happen once
// across instances rests on a statement that only one transaction can win:
// a conditional upsert for leases, a primary key for reminders, and a
// conditional claim (FOR UPDATE SKIP LOCKED on PostgreSQL) for e-mails.

// --- leases ---

// AcquireLease is one conditional upsert. On PostgreSQL, ON CONFLICT DO
// UPDATE locks the lease's row and evaluates the WHERE clause on its newest
// committed version, so of two instances racing for an expired lease one
// updates the row and the other, after waiting for it, finds it taken. On
// SQLite the write lock serializes the callers.
func (t *txn) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	if holder == "" {
		return false, fmt.Errorf("acquire lease %s: empty holder", name)
	}
	res, err := t.q.ExecContext(ctx, `INSERT INTO leases (name, holder, expires) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE leases.holder = excluded.holder OR leases.expires <= $4`, name, holder, until.UnixNano(), now.UnixNano())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

func (t *txn) ReleaseLease(ctx context.Context, name, holder string) error {
	return t.exec(ctx, "release lease "+name, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
}

func (t *txn) LeaseHolder(ctx context.Context, name string, now time.Time) (string, error) {
	var h string
	err := t.q.QueryRowContext(ctx, `SELECT holder FROM leases WHERE name = $1 AND expires > $2`, name, now.UnixNano()).Scan(&h)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read lease %s: %w", name, err)
	}
	return h, nil
}

// --- reminders and the sweeper's reads ---

func (t *txn) RecordReminder(ctx context.Context, id dissent.MessageID, key string, at time.Time) (bool, error) {
	res, err := t.q.ExecContext(ctx, `INSERT INTO reminders (message_id, kind, sent) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		string(id), key, ns(at))
	if err != nil {
		return false, fmt.Errorf("record reminder: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record reminder: %w", err)
	}
	return n == 1, nil
}

func (t *txn) SweepMessages(ctx context.Context) ([]dissent.Message, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, org_id, state, version, submitted_at, acknowledge_by, reply_by, reply_days, acknowledged_at
		FROM messages WHERE state IN ('circulating', 'submitted', 'acknowledged') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list open messages: %w", err)
	}
	defer rows.Close()
	var out []dissent.Message
	for rows.Next() {
		var m dissent.Message
		var sub, ack sql.NullInt64
		var ackBy, replyBy sql.NullString
		if err := rows.Scan(&m.ID, &m.OrgID, &m.State, &m.Version, &sub, &ackBy, &replyBy, &m.ReplyDays, &ack); err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		m.SubmittedAt, m.AcknowledgedAt = fromNS(sub), fromNS(ack)
		if m.AcknowledgeBy, err = fromDeadline(ackBy); err != nil {
			return nil, err
		}
		if m.ReplyBy, err = fromDeadline(replyBy); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *txn) RoleHolders(ctx context.Context, r dissent.Role) ([]dissent.PersonID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_id FROM person_roles WHERE role = $1 ORDER BY person_id`, string(r))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r, err)
	}
	defer rows.Close()
	var out []dissent.PersonID
	for rows.Next() {
		var id dissent.PersonID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan person: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (t *txn) ConditionalSignatures(ctx context.Context, id dissent.MessageID, version int) ([]dissent.ConditionalSignature, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, signer_tag, signer_sealed, min_cosigners FROM signatures
		WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners > 0 ORDER BY id`, string(id), version)
	if err != nil {
		return nil, fmt.Errorf("list conditional signatures: %w", err)
	}
	type raw struct {
		s           dissent.ConditionalSignature
		tag, sealed []byte
	}
	var rs []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.s.Ref, &r.tag, &r.sealed, &r.s.MinCosigners); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan signature: %w", err)
		}
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list conditional signatures: %w", err)
	}
	out := make([]dissent.ConditionalSignature, len(rs))
	for i, r := range rs {
		p, err := t.openPerson(ctx, id, "signatures", signatureRow(id, version, r.tag), "signer_sealed", r.sealed)
		if err != nil {
			return nil, err
		}
		out[i] = r.s
		out[i].PersonID = p
	}
	return out, nil
}

func (t *txn) ExpiredConsultations(ctx context.Context, now time.Time) ([]dissent.Consultation, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT c.id, c.message_id, c.reviewer_id, c.requested_by, c.due, c.created
		FROM consultations c JOIN messages m ON m.id = c.message_id
		WHERE c.answered_at IS NULL AND c.due <= $1 AND m.state IN ('submitted', 'acknowledged') ORDER BY c.id`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list expired consultations: %w", err)
	}
	defer rows.Close()
	var out []dissent.Consultation
	for rows.Next() {
		var c dissent.Consultation
		var due, created sql.NullInt64
		if err := rows.Scan(&c.ID, &c.MessageID, &c.ReviewerID, &c.RequestBy, &due, &created); err != nil {
			return nil, fmt.Errorf("scan consultation: %w", err)
		}
		c.Due, c.Created = fromNS(due), fromNS(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// --- notifications ---

// notificationRow is the place a notification's sealed person is bound to:
// the message and the person's pseudonym (the row id is not known before
// the insert, and one statement per notification keeps a submission with
// thousands of signers affordable).
func notificationRow(id dissent.MessageID, tag []byte) string {
	return string(id) + "/" + hex.EncodeToString(tag)
}

// notifyChunk bounds the rows of one multi-row statement (5 parameters
// each, well under both backends' limits).
const notifyChunk = 200

// AddNotifications writes a chunk of people in three statements: who of
// them turned e-mails off, the notifications, and the e-mails of the rest.
// (A submission notifies up to 10,000 signers in its transaction.)
func (t *txn) AddNotifications(ctx context.Context, n dissent.Notification, people []dissent.PersonID) error {
	if n.MessageID == "" {
		return fmt.Errorf("add notifications %s: a notification needs a message", n.Kind)
	}
	for start := 0; start < len(people); start += notifyChunk {
		if err := t.addNotifications(ctx, n, people[start:min(start+notifyChunk, len(people))]); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) addNotifications(ctx context.Context, n dissent.Notification, people []dissent.PersonID) error {
	args := make([]any, 0, len(people))
	ph := make([]string, len(people))
	for i, p := range people {
		args = append(args, int64(p))
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := t.q.QueryContext(ctx, `SELECT person_id FROM notification_prefs WHERE email = 0 AND person_id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return fmt.Errorf("read notification preferences: %w", err)
	}
	noMail := map[dissent.PersonID]bool{}
	for rows.Next() {
		var p dissent.PersonID
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("scan preference: %w", err)
		}
		noMail[p] = true
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("read notification preferences: %w", err)
	}
	tags, err := t.noticeTags(ctx, n.MessageID, people)
	if err != nil {
		return err
	}
	mailTo := map[string]bool{}
	for _, p := range people {
		if !noMail[p] {
			mailTo[string(tags[p])] = true
		}
	}
	args = args[:0]
	vals := make([]string, len(people))
	for i, p := range people {
		tag := tags[p]
		sealed, err := t.sealPerson(ctx, n.MessageID, "notifications", notificationRow(n.MessageID, tag), "person_sealed", p)
		if err != nil {
			return err
		}
		k := len(args)
		vals[i] = fmt.Sprintf("($%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5)
		args = append(args, tag, sealed, n.Kind, string(n.MessageID), ns(n.Created))
	}
	rows, err = t.q.QueryContext(ctx, `INSERT INTO notifications (person_tag, person_sealed, kind, message_id, created)
		VALUES `+strings.Join(vals, ", ")+` RETURNING id, person_tag`, args...)
	if err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	var mail []int64
	for rows.Next() {
		var id int64
		var tag []byte
		if err := rows.Scan(&id, &tag); err != nil {
			rows.Close()
			return fmt.Errorf("scan notification: %w", err)
		}
		if mailTo[string(tag)] {
			mail = append(mail, id)
		}
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("insert notifications: %w", err)
	}
	if len(mail) == 0 {
		return nil
	}
	// The outbox rows name notifications, never an address.
	args = append(args[:0], ns(n.Created))
	vals = vals[:0]
	for _, id := range mail {
		args = append(args, id)
		vals = append(vals, fmt.Sprintf("($%d, $1, $1)", len(args)))
	}
	return t.exec(ctx, "queue e-mails", `INSERT INTO outbox (notification_id, created, next_attempt) VALUES `+strings.Join(vals, ", "), args...)
}

func (t *txn) ConditionalMessages(ctx context.Context) ([]dissent.MessageID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT m.id FROM messages m WHERE m.state IN ('circulating', 'submitted')
		AND EXISTS (SELECT 1 FROM signatures s WHERE s.message_id = m.id AND s.version = m.version AND s.withdrawn IS NULL AND s.min_cosigners > 0)
		ORDER BY m.id`)
	if err != nil {
		return nil, fmt.Errorf("list messages with conditional signatures: %w", err)
	}
	defer rows.Close()
	var out []dissent.MessageID
	for rows.Next() {
		var id dissent.MessageID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (t *txn) Uninvited(ctx context.Context, id dissent.MessageID, people []dissent.PersonID) ([]dissent.PersonID, error) {
	invited := map[string]bool{}
	for start := 0; start < len(people); start += 500 {
		chunk := people[start:min(start+500, len(people))]
		args := []any{string(id)}
		ph := make([]string, len(chunk))
		for i, p := range chunk {
			args = append(args, t.tag(id, p))
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := t.q.QueryContext(ctx, `SELECT person_tag FROM invitations WHERE message_id = $1 AND person_tag IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read invitations: %w", err)
		}
		for rows.Next() {
			var tag []byte
			if err := rows.Scan(&tag); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan invitation: %w", err)
			}
			invited[string(tag)] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("read invitations: %w", err)
		}
	}
	var out []dissent.PersonID
	for _, p := range people {
		if !invited[string(t.tag(id, p))] {
			out = append(out, p)
		}
	}
	return out, nil
}

// ActiveSigners opens the signers of a version without reading the
// directory.
func (t *txn) ActiveSigners(ctx context.Context, id dissent.MessageID, version int) ([]dissent.PersonID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT signer_tag, signer_sealed FROM signatures
		WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL ORDER BY id`, string(id), version)
	if err != nil {
		return nil, fmt.Errorf("list signers: %w", err)
	}
	var tags, sealed [][]byte
	for rows.Next() {
		var tag, s []byte
		if err := rows.Scan(&tag, &s); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan signer: %w", err)
		}
		tags, sealed = append(tags, tag), append(sealed, s)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list signers: %w", err)
	}
	out := make([]dissent.PersonID, len(tags))
	for i := range tags {
		if out[i], err = t.openPerson(ctx, id, "signatures", signatureRow(id, version, tags[i]), "signer_sealed", sealed[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noticeTags returns the pseudonym each person's notification about the
// message is stored under: for a person who takes part in the message (as
// drafter, co-author, invitee, endorser or signer), their tag on the
// message, which links to none of their other rows; for anyone else (the
// channel office, principals, reviewers, whose handling is no secret), one
// pseudonym of theirs for every notice.
func (t *txn) noticeTags(ctx context.Context, id dissent.MessageID, people []dissent.PersonID) (map[dissent.PersonID][]byte, error) {
	byTag := make(map[string]dissent.PersonID, len(people))
	args := []any{string(id)}
	for _, p := range people {
		tg := t.tag(id, p)
		byTag[string(tg)] = p
		args = append(args, tg)
	}
	in := placeholders(2, len(people))
	rows, err := t.q.QueryContext(ctx, `SELECT drafter_tag FROM messages WHERE id = $1 AND drafter_tag IN (`+in+`)
		UNION SELECT person_tag FROM coauthors WHERE message_id = $1 AND person_tag IN (`+in+`)
		UNION SELECT person_tag FROM invitations WHERE message_id = $1 AND person_tag IN (`+in+`)
		UNION SELECT person_tag FROM endorsers WHERE message_id = $1 AND person_tag IN (`+in+`)
		UNION SELECT signer_tag FROM signatures WHERE message_id = $1 AND signer_tag IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read participants: %w", err)
	}
	out := make(map[dissent.PersonID][]byte, len(people))
	for rows.Next() {
		var tg []byte
		if err := rows.Scan(&tg); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan participant: %w", err)
		}
		if p, ok := byTag[string(tg)]; ok {
			out[p] = tg
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read participants: %w", err)
	}
	for _, p := range people {
		if out[p] == nil {
			out[p] = t.officeTag(p)
		}
	}
	return out, nil
}

// officeTag is the one pseudonym of a person's notifications about
// messages they do not take part in.
func (t *txn) officeTag(p dissent.PersonID) []byte {
	return t.s.Pseudonym([]byte("dissent notices"), p)
}

// noticeTagsOf returns every pseudonym the person's notifications may be
// stored under: their office pseudonym and their tag on each message of
// their participation index.
func (t *txn) noticeTagsOf(ctx context.Context, person dissent.PersonID) ([]any, error) {
	idx, err := t.participations(ctx, []dissent.PersonID{person})
	if err != nil {
		return nil, err
	}
	out := []any{t.officeTag(person)}
	for _, id := range idx[person] {
		out = append(out, t.tag(id, person))
	}
	if len(out) > inChunk {
		out = out[:inChunk] // the oldest participations beyond a page of tags are left out of the notices
	}
	return out, nil
}

func (t *txn) Notifications(ctx context.Context, person dissent.PersonID, limit int) ([]dissent.Notification, error) {
	tags, err := t.noticeTagsOf(ctx, person)
	if err != nil {
		return nil, err
	}
	rows, err := t.q.QueryContext(ctx, `SELECT id, kind, message_id, created, read_at FROM notifications
		WHERE person_tag IN (`+placeholders(2, len(tags))+`) ORDER BY id DESC LIMIT $1`, append([]any{limit}, tags...)...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	var out []dissent.Notification
	for rows.Next() {
		n := dissent.Notification{PersonID: person}
		var created, read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.Kind, &n.MessageID, &created, &read); err != nil {
			return nil, fmt.Errorf("scan notification: %w", err)
		}
		n.Created, n.Read = fromNS(created), fromNS(read)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (t *txn) CountUnread(ctx context.Context, person dissent.PersonID) (int, error) {
	tags, err := t.noticeTagsOf(ctx, person)
	if err != nil {
		return 0, err
	}
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE person_tag IN (`+placeholders(1, len(tags))+`) AND read_at IS NULL`, tags...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}

func (t *txn) MarkRead(ctx context.Context, person dissent.PersonID, ids []int64, at time.Time) (int, error) {
	tags, err := t.noticeTagsOf(ctx, person)
	if err != nil {
		return 0, err
	}
	q := `UPDATE notifications SET read_at = $1 WHERE person_tag IN (` + placeholders(2, len(tags)) + `) AND read_at IS NULL`
	args := append([]any{dayNS(at)}, tags...) // a day: "mark all read" would otherwise stamp one instant on a person's notices of many messages
	if len(ids) > 0 {
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND id IN (` + strings.Join(ph, ",") + `)`
	}
	res, err := t.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *txn) NotificationPrefs(ctx context.Context, person dissent.PersonID) (dissent.NotificationPrefs, error) {
	var email int
	err := t.q.QueryRowContext(ctx, `SELECT email FROM notification_prefs WHERE person_id = $1`, int64(person)).Scan(&email)
	if err == sql.ErrNoRows {
		return dissent.NotificationPrefs{Email: true}, nil
	}
	if err != nil {
		return dissent.NotificationPrefs{}, fmt.Errorf("read notification preferences: %w", err)
	}
	return dissent.NotificationPrefs{Email: email != 0}, nil
}

func (t *txn) SetNotificationPrefs(ctx context.Context, person dissent.PersonID, p dissent.NotificationPrefs) error {
	email := 0
	if p.Email {
		email = 1
	}
	return t.exec(ctx, "set notification preferences", `INSERT INTO notification_prefs (person_id, email) VALUES ($1, $2)
		ON CONFLICT (person_id) DO UPDATE SET email = excluded.email`, int64(person), email)
}

// --- the e-mail outbox ---

// ClaimMail claims in one statement. On PostgreSQL the candidate rows are
// locked FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint rows
// without waiting; on SQLite the write lock serializes them. The WHERE
// clause of the UPDATE repeats the conditions, so that a row claimed by
// another since it was chosen is not taken.
func (t *txn) ClaimMail(ctx context.Context, holder string, now, until time.Time, limit int) ([]dissent.OutboxMail, error) {
	acct, err := t.claimAccountMail(ctx, holder, now, until, limit)
	if err != nil || len(acct) >= limit {
		return acct, err
	}
	msgs, err := t.claimMessageMail(ctx, holder, now, until, limit-len(acct))
	return append(acct, msgs...), err
}

func (t *txn) claimMessageMail(ctx context.Context, holder string, now, until time.Time, limit int) ([]dissent.OutboxMail, error) {
	pick := `SELECT id FROM outbox WHERE sent IS NULL AND next_attempt <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
		ORDER BY id LIMIT $4`
	if t.d == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := t.q.QueryContext(ctx, `UPDATE outbox SET claimed_by = $1, claimed_until = $2
		WHERE id IN (`+pick+`) AND sent IS NULL AND (claimed_until IS NULL OR claimed_until <= $3)
		RETURNING id, notification_id, attempts, created`, holder, until.UnixNano(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim e-mails: %w", err)
	}
	type claim struct {
		m   dissent.OutboxMail
		nid int64
	}
	var cs []claim
	for rows.Next() {
		var c claim
		var created sql.NullInt64
		if err := rows.Scan(&c.m.ID, &c.nid, &c.m.Attempts, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan e-mail: %w", err)
		}
		c.m.Created = fromNS(created)
		cs = append(cs, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("claim e-mails: %w", err)
	}
	out := make([]dissent.OutboxMail, 0, len(cs))
	for _, c := range cs {
		var tag, sealed []byte
		if err := t.q.QueryRowContext(ctx, `SELECT person_tag, person_sealed, kind, message_id FROM notifications WHERE id = $1`, c.nid).
			Scan(&tag, &sealed, &c.m.Kind, &c.m.MessageID); err != nil {
			return nil, fmt.Errorf("read notification %d: %w", c.nid, err)
		}
		p, err := t.openPerson(ctx, c.m.MessageID, "notifications", notificationRow(c.m.MessageID, tag), "person_sealed", sealed)
		if err != nil {
			return nil, err
		}
		if err := t.q.QueryRowContext(ctx, `SELECT email FROM people WHERE id = $1`, int64(p)).Scan(&c.m.To); err != nil {
			return nil, notFound(err, "recipient")
		}
		out = append(out, c.m)
	}
	return out, nil
}

func (t *txn) MailSent(ctx context.Context, id int64, holder string, at time.Time) error {
	if id < 0 {
		return t.accountMailSent(ctx, -id, holder, at)
	}
	res, err := t.q.ExecContext(ctx, `UPDATE outbox SET sent = $1, claimed_until = NULL WHERE id = $2 AND claimed_by = $3 AND sent IS NULL`,
		ns(at), id, holder)
	if err != nil {
		return fmt.Errorf("mark e-mail sent: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "not_claimed", Message: fmt.Sprintf("e-mail %d is not claimed by %s", id, holder)}
	}
	return nil
}

func (t *txn) MailFailed(ctx context.Context, id int64, holder string, next time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	if id < 0 {
		return t.accountMailFailed(ctx, -id, holder, next, reason)
	}
	return t.exec(ctx, "record e-mail failure", `UPDATE outbox SET attempts = attempts + 1, next_attempt = $1, claimed_by = NULL,
		claimed_until = NULL, last_error = $2 WHERE id = $3 AND claimed_by = $4 AND sent IS NULL`, next.UnixNano(), reason, id, holder)
}
