package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

// sealedActor is what the database keeps, sealed, of a protected event's
// actor: enough to show it to the message's authors and to open the
// commitment in the log for a receipt.
type sealedActor struct {
	ID    dissent.PersonID `json:"id"`
	Email string           `json:"email"`
	Salt  []byte           `json:"salt"`
}

func (t *txn) AppendEvent(ctx context.Context, e dissent.Event) error {
	_, err := t.appendEvent(ctx, e)
	return err
}

// appendEvent stores the event and appends it to the Merkle log, in the
// caller's transaction. Appends are serialized: by the single writer on
// SQLite, by a transaction-scoped advisory lock on PostgreSQL.
func (t *txn) appendEvent(ctx context.Context, e dissent.Event) (int64, error) {
	if t.d == Postgres {
		if err := t.exec(ctx, "lock log", `SELECT pg_advisory_xact_lock(6962)`); err != nil {
			return 0, err
		}
	}
	n, err := t.LogSize(ctx)
	if err != nil {
		return 0, err
	}
	e.ID = n
	var actorID, actorSealed any
	if e.Protected {
		if e.MessageID == "" {
			return 0, fmt.Errorf("append event %s: a protected event needs a message", e.Kind)
		}
		if len(e.ActorSalt) == 0 {
			e.ActorSalt = make([]byte, 16)
			if _, err := rand.Read(e.ActorSalt); err != nil {
				return 0, fmt.Errorf("append event: %w", err)
			}
		}
		b, err := json.Marshal(sealedActor{ID: e.ActorID, Email: e.ActorEmail, Salt: e.ActorSalt})
		if err != nil {
			return 0, fmt.Errorf("append event: %w", err)
		}
		if actorSealed, err = t.seal(ctx, e.MessageID, "events", strconv.FormatInt(n, 10), "actor_sealed", b); err != nil {
			return 0, err
		}
	} else if e.ActorID != 0 {
		actorID = int64(e.ActorID)
	}
	leaf, err := json.Marshal(e.Leaf())
	if err != nil {
		return 0, fmt.Errorf("append event: %w", err)
	}
	if err := t.exec(ctx, "append event", `INSERT INTO events (id, at, actor_id, actor_sealed, actor_role, kind, message_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		n, ns(e.At), actorID, actorSealed, string(e.ActorRole), e.Kind, nullStr(string(e.MessageID)), e.Detail); err != nil {
		return 0, err
	}
	return n, t.appendLeaf(ctx, n, leaf)
}

// Events lists a message's events with their actors, protected ones opened.
func (t *txn) Events(ctx context.Context, id dissent.MessageID) ([]dissent.Event, error) {
	q := `SELECT id, at, COALESCE(actor_id, 0), actor_sealed, actor_role, kind, detail FROM events WHERE message_id = $1 ORDER BY id`
	args := []any{string(id)}
	if id == "" {
		// The deployment's own events: organizations, people, sign-ins, keys.
		q, args = `SELECT id, at, COALESCE(actor_id, 0), actor_sealed, actor_role, kind, detail FROM events WHERE message_id IS NULL ORDER BY id`, nil
	}
	rows, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	type raw struct {
		e      dissent.Event
		sealed []byte
	}
	var rs []raw
	for rows.Next() {
		r := raw{e: dissent.Event{MessageID: id}}
		var at sql.NullInt64
		if err := rows.Scan(&r.e.ID, &at, &r.e.ActorID, &r.sealed, &r.e.ActorRole, &r.e.Kind, &r.e.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan event: %w", err)
		}
		r.e.At = fromNS(at)
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out := make([]dissent.Event, len(rs))
	for i, r := range rs {
		out[i] = r.e
		if r.sealed == nil {
			continue
		}
		b, err := t.open(ctx, id, "events", strconv.FormatInt(r.e.ID, 10), "actor_sealed", r.sealed)
		if err != nil {
			return nil, err
		}
		var a sealedActor
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("event %d: decode actor: %w", r.e.ID, err)
		}
		out[i].Protected, out[i].ActorID, out[i].ActorEmail, out[i].ActorSalt = true, a.ID, a.Email, a.Salt
	}
	return out, nil
}

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
