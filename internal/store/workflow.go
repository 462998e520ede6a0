package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

func (t *txn) AppendEvent(ctx context.Context, e dissent.Event) error {
	return t.exec(ctx, "append event", `INSERT INTO events (at, actor_id, actor_role, kind, message_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		ns(e.At), nullID(e.ActorID), string(e.ActorRole), e.Kind, nullStr(string(e.MessageID)), e.Detail)
}

func (t *txn) Events(ctx context.Context, id dissent.MessageID) ([]dissent.Event, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor_role, kind, detail FROM events WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []dissent.Event
	for rows.Next() {
		e := dissent.Event{MessageID: id}
		var at sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorRole, &e.Kind, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.At = fromNS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *txn) AccessLog(ctx context.Context, id dissent.MessageID) ([]dissent.AccessEntry, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT e.at, e.kind, e.actor_role, COALESCE(p.org_id, ''), COALESCE(p.unit_id, ''), COALESCE(p.name, '')
		FROM events e LEFT JOIN people p ON p.id = e.actor_id
		WHERE e.message_id = $1 AND e.kind LIKE 'read.%' ORDER BY e.id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("read access log: %w", err)
	}
	defer rows.Close()
	var out []dissent.AccessEntry
	for rows.Next() {
		var a dissent.AccessEntry
		var at sql.NullInt64
		if err := rows.Scan(&at, &a.Kind, &a.Role, &a.OrgID, &a.UnitID, &a.Name); err != nil {
			return nil, fmt.Errorf("scan access: %w", err)
		}
		a.At = fromNS(at)
		a.Kind = strings.TrimPrefix(a.Kind, "read.")
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *txn) Assign(ctx context.Context, id dissent.MessageID, officer, by dissent.PersonID, at time.Time) error {
	return t.exec(ctx, "assign", `INSERT INTO assignments (message_id, person_id, assigned_by, created) VALUES ($1, $2, $3, $4)
		ON CONFLICT (message_id, person_id) DO NOTHING`, string(id), int64(officer), int64(by), ns(at))
}

func (t *txn) Assignees(ctx context.Context, id dissent.MessageID) ([]dissent.PersonID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_id FROM assignments WHERE message_id = $1 ORDER BY created, person_id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list assignees: %w", err)
	}
	defer rows.Close()
	var out []dissent.PersonID
	for rows.Next() {
		var p dissent.PersonID
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("scan assignee: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *txn) InsertReply(ctx context.Context, r dissent.Reply) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO replies (message_id, author_id, body, created, approved_by, approved_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, string(r.MessageID), int64(r.AuthorID), r.Body.Reveal(), ns(r.Created),
		nullID(r.ApprovedBy), ns(r.ApprovedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert reply: %w", err)
	}
	return id, nil
}

func (t *txn) Replies(ctx context.Context, id dissent.MessageID) ([]dissent.Reply, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, author_id, body, created, COALESCE(approved_by, 0), approved_at FROM replies WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	defer rows.Close()
	var out []dissent.Reply
	for rows.Next() {
		r := dissent.Reply{MessageID: id}
		var body string
		var created, approved sql.NullInt64
		if err := rows.Scan(&r.ID, &r.AuthorID, &body, &created, &r.ApprovedBy, &approved); err != nil {
			return nil, fmt.Errorf("scan reply: %w", err)
		}
		r.Body, r.Created, r.ApprovedAt = dissent.NewText(body), fromNS(created), fromNS(approved)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *txn) ApproveReply(ctx context.Context, id dissent.MessageID, reply int64, by dissent.PersonID, at time.Time) error {
	res, err := t.q.ExecContext(ctx, `UPDATE replies SET approved_by = $3, approved_at = $4 WHERE message_id = $1 AND id = $2 AND approved_at IS NULL`,
		string(id), reply, int64(by), ns(at))
	if err != nil {
		return fmt.Errorf("approve reply: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("reply awaiting approval")
	}
	return nil
}

func (t *txn) InsertConsultation(ctx context.Context, c dissent.Consultation) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO consultations (message_id, reviewer_id, requested_by, due, created)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, string(c.MessageID), int64(c.ReviewerID), int64(c.RequestBy), ns(c.Due), ns(c.Created)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert consultation: %w", err)
	}
	return id, nil
}

func (t *txn) Consultations(ctx context.Context, id dissent.MessageID) ([]dissent.Consultation, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, reviewer_id, requested_by, due, created, input, answered_at FROM consultations WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	defer rows.Close()
	var out []dissent.Consultation
	for rows.Next() {
		c := dissent.Consultation{MessageID: id}
		var due, created, answered sql.NullInt64
		var input string
		if err := rows.Scan(&c.ID, &c.ReviewerID, &c.RequestBy, &due, &created, &input, &answered); err != nil {
			return nil, fmt.Errorf("scan consultation: %w", err)
		}
		c.Due, c.Created, c.AnsweredAt, c.Input = fromNS(due), fromNS(created), fromNS(answered), dissent.NewText(input)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *txn) AnswerConsultation(ctx context.Context, consultation int64, input dissent.Text, at time.Time) error {
	res, err := t.q.ExecContext(ctx, `UPDATE consultations SET input = $2, answered_at = $3 WHERE id = $1 AND answered_at IS NULL`,
		consultation, input.Reveal(), ns(at))
	if err != nil {
		return fmt.Errorf("answer consultation: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("open consultation")
	}
	return nil
}

func (t *txn) AddEndorser(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) error {
	return t.exec(ctx, "insert endorser", `INSERT INTO endorsers (message_id, person_id, created) VALUES ($1, $2, $3)
		ON CONFLICT (message_id, person_id) DO NOTHING`, string(id), int64(person), ns(at))
}

func (t *txn) SetEndorsement(ctx context.Context, e dissent.Endorsement) error {
	res, err := t.q.ExecContext(ctx, `UPDATE endorsers SET body = $3, endorsed_at = $4 WHERE message_id = $1 AND person_id = $2`,
		string(e.MessageID), int64(e.EndorserID), e.Body.Reveal(), ns(e.Created))
	if err != nil {
		return fmt.Errorf("endorse: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("endorsement request")
	}
	return nil
}

func (t *txn) Endorsements(ctx context.Context, id dissent.MessageID) ([]dissent.Endorsement, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_id, body, endorsed_at FROM endorsers WHERE message_id = $1 AND endorsed_at IS NOT NULL ORDER BY endorsed_at`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list endorsements: %w", err)
	}
	defer rows.Close()
	var out []dissent.Endorsement
	for rows.Next() {
		e := dissent.Endorsement{MessageID: id}
		var body string
		var at sql.NullInt64
		if err := rows.Scan(&e.EndorserID, &body, &at); err != nil {
			return nil, fmt.Errorf("scan endorsement: %w", err)
		}
		e.Body, e.Created = dissent.NewText(body), fromNS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *txn) AddDistribution(ctx context.Context, id dissent.MessageID, people []dissent.PersonID, at time.Time) error {
	for _, p := range people {
		if err := t.exec(ctx, "distribute", `INSERT INTO distribution (message_id, person_id, created) VALUES ($1, $2, $3)
			ON CONFLICT (message_id, person_id) DO NOTHING`, string(id), int64(p), ns(at)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) InsertMeeting(ctx context.Context, m dissent.Meeting) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO meetings (message_id, held_on, notes, recorded, by_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		string(m.MessageID), m.HeldOn, m.Notes.Reveal(), ns(m.Recorded), int64(m.ByID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert meeting: %w", err)
	}
	return id, nil
}

func (t *txn) Meetings(ctx context.Context, id dissent.MessageID) ([]dissent.Meeting, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, held_on, notes, recorded, by_id FROM meetings WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	defer rows.Close()
	var out []dissent.Meeting
	for rows.Next() {
		m := dissent.Meeting{MessageID: id}
		var notes string
		var rec sql.NullInt64
		if err := rows.Scan(&m.ID, &m.HeldOn, &notes, &rec, &m.ByID); err != nil {
			return nil, fmt.Errorf("scan meeting: %w", err)
		}
		m.Notes, m.Recorded = dissent.NewText(notes), fromNS(rec)
		out = append(out, m)
	}
	return out, rows.Err()
}
