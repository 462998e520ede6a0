package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dissent-channel/dissent"
)

// The SQL of the channel office's acts (office.go in the root package):
// assignments, replies, consultations, distribution, meetings and
// principals' meeting requests.

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

// insertSealed inserts a row whose protected column is sealed with the row's
// own id in its associated data: the row is inserted first, then sealed.
func (t *txn) insertSealed(ctx context.Context, id dissent.MessageID, table, column string, v dissent.Text, insert string, args ...any) (int64, error) {
	var rid int64
	if err := t.q.QueryRowContext(ctx, insert, args...).Scan(&rid); err != nil {
		return 0, fmt.Errorf("insert into %s: %w", table, err)
	}
	ct, err := t.sealText(ctx, id, table, strconv.FormatInt(rid, 10), column, v)
	if err != nil {
		return 0, err
	}
	return rid, t.exec(ctx, "seal "+table, `UPDATE `+table+` SET `+column+` = $2 WHERE id = $1`, rid, ct)
}

func (t *txn) InsertReply(ctx context.Context, r dissent.Reply) (int64, error) {
	return t.insertSealed(ctx, r.MessageID, "replies", "body", r.Body, `INSERT INTO replies (message_id, author_id, body, created, approved_by, approved_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, string(r.MessageID), int64(r.AuthorID), []byte{}, ns(r.Created), nullID(r.ApprovedBy), ns(r.ApprovedAt))
}

func (t *txn) Replies(ctx context.Context, id dissent.MessageID) ([]dissent.Reply, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, author_id, body, created, COALESCE(approved_by, 0), approved_at FROM replies WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	var out []dissent.Reply
	var bodies [][]byte
	for rows.Next() {
		r := dissent.Reply{MessageID: id}
		var body []byte
		var created, approved sql.NullInt64
		if err := rows.Scan(&r.ID, &r.AuthorID, &body, &created, &r.ApprovedBy, &approved); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan reply: %w", err)
		}
		r.Created, r.ApprovedAt = fromNS(created), fromNS(approved)
		out = append(out, r)
		bodies = append(bodies, body)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list replies: %w", err)
	}
	for i := range out {
		if out[i].Body, err = t.openText(ctx, id, "replies", strconv.FormatInt(out[i].ID, 10), "body", bodies[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	var out []dissent.Consultation
	var inputs [][]byte
	for rows.Next() {
		c := dissent.Consultation{MessageID: id}
		var due, created, answered sql.NullInt64
		var input []byte
		if err := rows.Scan(&c.ID, &c.ReviewerID, &c.RequestBy, &due, &created, &input, &answered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan consultation: %w", err)
		}
		c.Due, c.Created, c.AnsweredAt = fromNS(due), fromNS(created), fromNS(answered)
		out = append(out, c)
		inputs = append(inputs, input)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	for i := range out {
		if out[i].Input, err = t.openText(ctx, id, "consultations", strconv.FormatInt(out[i].ID, 10), "input", inputs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) AnswerConsultation(ctx context.Context, consultation int64, input dissent.Text, at time.Time) error {
	var id dissent.MessageID
	if err := t.q.QueryRowContext(ctx, `SELECT message_id FROM consultations WHERE id = $1 AND answered_at IS NULL`, consultation).Scan(&id); err != nil {
		return notFound(err, "open consultation")
	}
	ct, err := t.sealText(ctx, id, "consultations", strconv.FormatInt(consultation, 10), "input", input)
	if err != nil {
		return err
	}
	return t.exec(ctx, "answer consultation", `UPDATE consultations SET input = $2, answered_at = $3 WHERE id = $1`, consultation, ct, ns(at))
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

func (t *txn) InsertMeeting(ctx context.Context, m dissent.Meeting) (int64, error) {
	return t.insertSealed(ctx, m.MessageID, "meetings", "notes", m.Notes, `INSERT INTO meetings (message_id, held_on, notes, recorded, by_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		string(m.MessageID), m.HeldOn, []byte{}, ns(m.Recorded), int64(m.ByID))
}

func (t *txn) Meetings(ctx context.Context, id dissent.MessageID) ([]dissent.Meeting, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, held_on, notes, recorded, by_id FROM meetings WHERE message_id = $1 ORDER BY id`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	var out []dissent.Meeting
	var notes [][]byte
	for rows.Next() {
		m := dissent.Meeting{MessageID: id}
		var n []byte
		var rec sql.NullInt64
		if err := rows.Scan(&m.ID, &m.HeldOn, &n, &rec, &m.ByID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan meeting: %w", err)
		}
		m.Recorded = fromNS(rec)
		out = append(out, m)
		notes = append(notes, n)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	for i := range out {
		if out[i].Notes, err = t.openText(ctx, id, "meetings", strconv.FormatInt(out[i].ID, 10), "notes", notes[i]); err != nil {
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
