package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

const messageCols = `m.id, m.org_id, m.drafter_id, m.state, m.version, m.signature_count, m.created, m.updated,
	m.submitted_at, m.acknowledge_by, m.reply_by, m.reply_days, m.extension_note, m.acknowledged_at, m.replied_at,
	m.closed_at, m.redirect_note, m.redirect_to, v.title, v.summary, v.body, v.content_hash`

const messageFrom = ` FROM messages m JOIN message_versions v ON v.message_id = m.id AND v.number = m.version`

func scanMessage(sc interface{ Scan(...any) error }) (dissent.Message, error) {
	var m dissent.Message
	var created, updated, submitted, acked, replied, closed sql.NullInt64
	var ackBy, replyBy sql.NullString
	var ext, redirNote, title, summary, body string
	err := sc.Scan(&m.ID, &m.OrgID, &m.DrafterID, &m.State, &m.Version, &m.SignatureCount, &created, &updated,
		&submitted, &ackBy, &replyBy, &m.ReplyDays, &ext, &acked, &replied, &closed, &redirNote, &m.RedirectTo,
		&title, &summary, &body, &m.ContentHash)
	if err != nil {
		return dissent.Message{}, err
	}
	m.Created, m.Updated, m.SubmittedAt = fromNS(created), fromNS(updated), fromNS(submitted)
	m.AcknowledgedAt, m.RepliedAt, m.ClosedAt = fromNS(acked), fromNS(replied), fromNS(closed)
	if m.AcknowledgeBy, err = fromDeadline(ackBy); err != nil {
		return dissent.Message{}, err
	}
	if m.ReplyBy, err = fromDeadline(replyBy); err != nil {
		return dissent.Message{}, err
	}
	m.ExtensionNote, m.RedirectNote = dissent.NewText(ext), dissent.NewText(redirNote)
	m.Title, m.Summary, m.Body = dissent.NewText(title), dissent.NewText(summary), dissent.NewText(body)
	return m, nil
}

func (t *txn) CreateMessage(ctx context.Context, m dissent.Message, v dissent.Version) error {
	err := t.exec(ctx, "insert message", `INSERT INTO messages (id, org_id, drafter_id, state, version, signature_count, created, updated, reply_days)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		string(m.ID), m.OrgID, int64(m.DrafterID), string(m.State), m.Version, m.SignatureCount, ns(m.Created), ns(m.Updated), m.ReplyDays)
	if err != nil {
		return err
	}
	return t.AddVersion(ctx, v)
}

func (t *txn) Message(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	m, err := scanMessage(t.q.QueryRowContext(ctx, `SELECT `+messageCols+messageFrom+` WHERE m.id = $1`, string(id)))
	if err != nil {
		return dissent.Message{}, notFound(err, "message")
	}
	return m, nil
}

func (t *txn) LockMessage(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	q := `SELECT ` + messageCols + messageFrom + ` WHERE m.id = $1`
	if t.d == Postgres {
		q += ` FOR UPDATE OF m`
	}
	// SQLite: write transactions are serialized by BEGIN IMMEDIATE and the
	// single writer, so the row needs no lock of its own.
	m, err := scanMessage(t.q.QueryRowContext(ctx, q, string(id)))
	if err != nil {
		return dissent.Message{}, notFound(err, "message")
	}
	return m, nil
}

func (t *txn) UpdateMessage(ctx context.Context, m dissent.Message) error {
	res, err := t.q.ExecContext(ctx, `UPDATE messages SET state = $2, version = $3, signature_count = $4, updated = $5,
		submitted_at = $6, acknowledge_by = $7, reply_by = $8, reply_days = $9, extension_note = $10, acknowledged_at = $11,
		replied_at = $12, closed_at = $13, redirect_note = $14, redirect_to = $15 WHERE id = $1`,
		string(m.ID), string(m.State), m.Version, m.SignatureCount, ns(m.Updated), ns(m.SubmittedAt), deadline(m.AcknowledgeBy),
		deadline(m.ReplyBy), m.ReplyDays, m.ExtensionNote.Reveal(), ns(m.AcknowledgedAt), ns(m.RepliedAt), ns(m.ClosedAt),
		m.RedirectNote.Reveal(), m.RedirectTo)
	if err != nil {
		return fmt.Errorf("update message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("message")
	}
	return nil
}

func (t *txn) AddVersion(ctx context.Context, v dissent.Version) error {
	return t.exec(ctx, "insert version", `INSERT INTO message_versions (message_id, number, title, summary, body, content_hash, author_id, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		string(v.MessageID), v.Number, v.Title.Reveal(), v.Summary.Reveal(), v.Body.Reveal(), v.ContentHash, int64(v.AuthorID), ns(v.Created))
}

func (t *txn) Versions(ctx context.Context, id dissent.MessageID) ([]dissent.Version, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT number, title, summary, body, content_hash, author_id, created
		FROM message_versions WHERE message_id = $1 ORDER BY number`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	defer rows.Close()
	var out []dissent.Version
	for rows.Next() {
		v := dissent.Version{MessageID: id}
		var title, summary, body string
		var created sql.NullInt64
		if err := rows.Scan(&v.Number, &title, &summary, &body, &v.ContentHash, &v.AuthorID, &created); err != nil {
			return nil, fmt.Errorf("scan version: %w", err)
		}
		v.Title, v.Summary, v.Body, v.Created = dissent.NewText(title), dissent.NewText(summary), dissent.NewText(body), fromNS(created)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *txn) messages(ctx context.Context, where string, args ...any) ([]dissent.Message, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+messageCols+messageFrom+` WHERE `+where+` ORDER BY m.created DESC, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []dissent.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *txn) MessagesOf(ctx context.Context, person dissent.PersonID) ([]dissent.Message, error) {
	return t.messages(ctx, `m.drafter_id = $1
		OR m.id IN (SELECT message_id FROM coauthors WHERE person_id = $1)
		OR m.id IN (SELECT message_id FROM signatures WHERE person_id = $1 AND withdrawn IS NULL)
		OR m.id IN (SELECT message_id FROM invitations WHERE person_id = $1)
		OR m.id IN (SELECT message_id FROM endorsers WHERE person_id = $1)
		OR m.id IN (SELECT message_id FROM consultations WHERE reviewer_id = $1)
		OR m.id IN (SELECT message_id FROM distribution WHERE person_id = $1)`, int64(person))
}

func (t *txn) SubmittedMessages(ctx context.Context) ([]dissent.Message, error) {
	return t.messages(ctx, `m.submitted_at IS NOT NULL`)
}

// subtree is a recursive query naming everyone the person $2 supervises,
// directly or indirectly. UNION (not UNION ALL) ends a cycle, should the
// directory ever hold one.
const subtree = `WITH RECURSIVE sub(id) AS (
	SELECT id FROM people WHERE supervisor_id = $2
	UNION
	SELECT p.id FROM people p JOIN sub ON p.supervisor_id = sub.id
) `

const inChain = `EXISTS (SELECT 1 FROM sub WHERE sub.id IN (
		SELECT drafter_id FROM messages WHERE id = $1
		UNION SELECT person_id FROM coauthors WHERE message_id = $1
		UNION SELECT person_id FROM signatures WHERE message_id = $1 AND withdrawn IS NULL))`

func (t *txn) Relation(ctx context.Context, id dissent.MessageID, person dissent.PersonID, now time.Time) (dissent.Facts, error) {
	var f dissent.Facts
	err := t.q.QueryRowContext(ctx, subtree+`SELECT
		EXISTS (SELECT 1 FROM coauthors WHERE message_id = $1 AND person_id = $2),
		EXISTS (SELECT 1 FROM signatures WHERE message_id = $1 AND person_id = $2 AND withdrawn IS NULL),
		EXISTS (SELECT 1 FROM invitations WHERE message_id = $1 AND person_id = $2),
		EXISTS (SELECT 1 FROM endorsers WHERE message_id = $1 AND person_id = $2),
		EXISTS (SELECT 1 FROM consultations WHERE message_id = $1 AND reviewer_id = $2 AND answered_at IS NULL AND due > $3),
		EXISTS (SELECT 1 FROM distribution WHERE message_id = $1 AND person_id = $2),
		`+inChain, string(id), int64(person), now.UnixNano()).
		Scan(&f.Coauthor, &f.Signer, &f.Invitee, &f.Endorser, &f.Consulted, &f.Distributed, &f.InChain)
	if err != nil {
		return dissent.Facts{}, fmt.Errorf("read relation: %w", err)
	}
	return f, nil
}

func (t *txn) AddCoauthor(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) error {
	err := t.exec(ctx, "insert co-author", `INSERT INTO coauthors (message_id, person_id, created) VALUES ($1, $2, $3)`, string(id), int64(person), ns(at))
	if isUnique(err) {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "exists", Field: "email", Message: "already a co-author"}
	}
	return err
}

func (t *txn) AddInvitations(ctx context.Context, id dissent.MessageID, people []dissent.PersonID, by dissent.PersonID, at time.Time) (int, error) {
	n := 0
	for _, p := range people {
		res, err := t.q.ExecContext(ctx, `INSERT INTO invitations (message_id, person_id, invited_by, created) VALUES ($1, $2, $3, $4)
			ON CONFLICT (message_id, person_id) DO NOTHING`, string(id), int64(p), int64(by), ns(at))
		if err != nil {
			return 0, fmt.Errorf("insert invitation: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert invitation: %w", err)
		}
		n += int(k)
	}
	return n, nil
}

func (t *txn) InsertSignature(ctx context.Context, s dissent.Signature) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO signatures (message_id, version, person_id, content_hash, min_cosigners, signed)
		VALUES ($1, $2, $3, $4, $5, $6)`, string(s.MessageID), s.Version, int64(s.PersonID), s.ContentHash, s.MinCosigners, ns(s.Signed))
	if isUnique(err) {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "already_signed", Message: "you have already signed this version"}
	}
	if err != nil {
		return fmt.Errorf("insert signature: %w", err)
	}
	return nil
}

func (t *txn) WithdrawSignatures(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) (int, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE signatures SET withdrawn = $3 WHERE message_id = $1 AND person_id = $2 AND withdrawn IS NULL`,
		string(id), int64(person), ns(at))
	if err != nil {
		return 0, fmt.Errorf("withdraw signature: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *txn) SignatureMinimums(ctx context.Context, id dissent.MessageID, version int) ([]int, error) {
	var uncond int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners = 0`,
		string(id), version).Scan(&uncond); err != nil {
		return nil, fmt.Errorf("count signatures: %w", err)
	}
	out := make([]int, uncond, uncond+8)
	rows, err := t.q.QueryContext(ctx, `SELECT min_cosigners FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners > 0`,
		string(id), version)
	if err != nil {
		return nil, fmt.Errorf("read signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m int
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("scan signature: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *txn) CountSignatures(ctx context.Context, id dissent.MessageID, version int) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL`,
		string(id), version).Scan(&n); err != nil {
		return 0, fmt.Errorf("count signatures: %w", err)
	}
	return n, nil
}

func (t *txn) Signers(ctx context.Context, id dissent.MessageID, version int, reader dissent.PersonID) ([]dissent.SignerRow, error) {
	rows, err := t.q.QueryContext(ctx, subtree+`SELECT s.person_id, s.content_hash, s.min_cosigners, s.signed,
		p.email, p.name, COALESCE(p.org_id, ''), COALESCE(p.unit_id, ''),
		EXISTS (SELECT 1 FROM sub WHERE sub.id = s.person_id)
		FROM signatures s JOIN people p ON p.id = s.person_id
		WHERE s.message_id = $1 AND s.version = $3 AND s.withdrawn IS NULL ORDER BY s.signed, s.id`,
		string(id), int64(reader), version)
	if err != nil {
		return nil, fmt.Errorf("list signers: %w", err)
	}
	defer rows.Close()
	var out []dissent.SignerRow
	for rows.Next() {
		r := dissent.SignerRow{Signature: dissent.Signature{MessageID: id, Version: version}}
		var signed sql.NullInt64
		if err := rows.Scan(&r.PersonID, &r.ContentHash, &r.MinCosigners, &signed, &r.Person.Email, &r.Person.Name,
			&r.Person.OrgID, &r.Person.UnitID, &r.Withheld); err != nil {
			return nil, fmt.Errorf("scan signer: %w", err)
		}
		r.Signed = fromNS(signed)
		r.Person.ID = r.PersonID
		out = append(out, r)
	}
	return out, rows.Err()
}
