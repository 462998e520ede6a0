package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

// This file implements dissent.ParticipantTx: invitees kept sealed so the
// authors can list them, principals' meeting requests, and the authors'
// reminders to invitees.

// invitationRow is the place an invitation's sealed person is bound to.
func invitationRow(id dissent.MessageID, tag []byte) string { return notificationRow(id, tag) }

// Invitations opens the invitees of a message, oldest first.
func (t *txn) Invitations(ctx context.Context, id dissent.MessageID) ([]dissent.Invitation, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_tag, person_sealed, created FROM invitations WHERE message_id = $1 ORDER BY created, person_tag`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	type row struct {
		tag, sealed []byte
		created     sql.NullInt64
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.tag, &r.sealed, &r.created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan invitation: %w", err)
		}
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	out := make([]dissent.Invitation, len(rs))
	for i, r := range rs {
		out[i].Created = fromNS(r.created)
		if len(r.sealed) == 0 {
			continue
		}
		if out[i].PersonID, err = t.openPerson(ctx, id, "invitations", invitationRow(id, r.tag), "person_sealed", r.sealed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) AddMeetingRequest(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) (bool, error) {
	res, err := t.q.ExecContext(ctx, `INSERT INTO meeting_requests (message_id, person_tag, created) VALUES ($1, $2, $3)
		ON CONFLICT (message_id, person_tag) DO NOTHING`, string(id), t.tag(id, person), ns(at))
	if err != nil {
		return false, fmt.Errorf("insert meeting request: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert meeting request: %w", err)
	}
	return n == 1, nil
}

func (t *txn) MeetingRequests(ctx context.Context, id dissent.MessageID, person dissent.PersonID) (int, time.Time, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM meeting_requests WHERE message_id = $1`, string(id)).Scan(&n); err != nil {
		return 0, time.Time{}, fmt.Errorf("count meeting requests: %w", err)
	}
	if n == 0 || person == 0 {
		return n, time.Time{}, nil
	}
	var at sql.NullInt64
	err := t.q.QueryRowContext(ctx, `SELECT created FROM meeting_requests WHERE message_id = $1 AND person_tag = $2`, string(id), t.tag(id, person)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return n, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read meeting request: %w", err)
	}
	return n, fromNS(at), nil
}

func (t *txn) SignReminder(ctx context.Context, id dissent.MessageID) (time.Time, error) {
	var at sql.NullInt64
	err := t.q.QueryRowContext(ctx, `SELECT sent FROM sign_reminders WHERE message_id = $1`, string(id)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read sign reminder: %w", err)
	}
	return fromNS(at), nil
}

func (t *txn) SetSignReminder(ctx context.Context, id dissent.MessageID, at time.Time) error {
	return t.exec(ctx, "record sign reminder", `INSERT INTO sign_reminders (message_id, sent) VALUES ($1, $2)
		ON CONFLICT (message_id) DO UPDATE SET sent = excluded.sent`, string(id), ns(at))
}

func (t *txn) PendingReplies(ctx context.Context, ids []dissent.MessageID) (map[dissent.MessageID]int, error) {
	out := map[dissent.MessageID]int{}
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = string(id)
		}
		rows, err := t.q.QueryContext(ctx, `SELECT message_id, COUNT(*) FROM replies WHERE approved_at IS NULL AND message_id IN (`+
			placeholders(1, len(chunk))+`) GROUP BY message_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("count pending replies: %w", err)
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan pending replies: %w", err)
			}
			out[dissent.MessageID(id)] = n
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("count pending replies: %w", err)
		}
	}
	return out, nil
}

func (t *txn) Distribution(ctx context.Context, id dissent.MessageID) ([]dissent.PersonID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_id FROM distribution WHERE message_id = $1 ORDER BY created, person_id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list distribution: %w", err)
	}
	var out []dissent.PersonID
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan distribution: %w", err)
		}
		out = append(out, dissent.PersonID(p))
	}
	return out, closeRows(rows)
}
