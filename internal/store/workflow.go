package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

func (t *txn) AccessLog(ctx context.Context, id dissent.MessageID) ([]dissent.AccessEntry, error) {
	events, err := t.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	var reads []dissent.Event
	var ids []dissent.PersonID
	for _, e := range events {
		if strings.HasPrefix(e.Kind, "read.") {
			reads = append(reads, e)
			ids = append(ids, e.ActorID)
		}
	}
	people, err := t.peopleByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]dissent.AccessEntry, len(reads))
	for i, e := range reads {
		p := people[e.ActorID]
		out[i] = dissent.AccessEntry{At: e.At, Kind: strings.TrimPrefix(e.Kind, "read."), Role: e.ActorRole, OrgID: p.OrgID, UnitID: p.UnitID, Name: p.Name}
	}
	return out, nil
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

func (t *txn) AddEndorser(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) error {
	if err := t.exec(ctx, "insert endorser", `INSERT INTO endorsers (message_id, person_tag, created) VALUES ($1, $2, $3)
		ON CONFLICT (message_id, person_tag) DO NOTHING`, string(id), t.tag(id, person), dayNS(at)); err != nil {
		return err
	}
	return t.locate(ctx, id, person)
}

func endorserRow(id dissent.MessageID, tag []byte) string {
	return string(id) + "/" + hex.EncodeToString(tag)
}

func (t *txn) SetEndorsement(ctx context.Context, e dissent.Endorsement) error {
	tag := t.tag(e.MessageID, e.EndorserID)
	ct, err := t.sealText(ctx, e.MessageID, "endorsers", endorserRow(e.MessageID, tag), "body", e.Body)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, `UPDATE endorsers SET body = $3, endorsed_at = $4 WHERE message_id = $1 AND person_tag = $2`,
		string(e.MessageID), tag, ct, dayNS(e.Created))
	if err != nil {
		return fmt.Errorf("endorse: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("endorsement request")
	}
	return nil
}

func (t *txn) Endorsements(ctx context.Context, id dissent.MessageID) ([]dissent.Endorsement, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_tag, body, endorsed_at FROM endorsers WHERE message_id = $1 AND endorsed_at IS NOT NULL ORDER BY endorsed_at, person_tag`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list endorsements: %w", err)
	}
	var out []dissent.Endorsement
	var tags, bodies [][]byte
	for rows.Next() {
		e := dissent.Endorsement{MessageID: id}
		var tag, body []byte
		var at sql.NullInt64
		if err := rows.Scan(&tag, &body, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan endorsement: %w", err)
		}
		e.Created = fromNS(at)
		out = append(out, e)
		tags, bodies = append(tags, tag), append(bodies, body)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list endorsements: %w", err)
	}
	for i := range out {
		if out[i].Body, err = t.openText(ctx, id, "endorsers", endorserRow(id, tags[i]), "body", bodies[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
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
