package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dissent-channel/dissent"
)

// The SQL of the authors' use cases (author.go in the root package):
// invitations and invite links, co-authors, signatures and their kept
// counts (signature_tallies), endorsements, reminders.

// CreateInviteLink stores the hash of a new invitation link to the message.
func (t *txn) CreateInviteLink(ctx context.Context, id dissent.MessageID, hash []byte, at time.Time) error {
	return t.exec(ctx, "insert invitation link", `INSERT INTO invite_links (hash, message_id, created) VALUES ($1, $2, $3)`,
		hash, string(id), ns(at))
}

// InviteLinkMessage returns the message an unrevoked link with this hash
// leads to.
func (t *txn) InviteLinkMessage(ctx context.Context, hash []byte) (dissent.MessageID, error) {
	var id string
	err := t.q.QueryRowContext(ctx, `SELECT message_id FROM invite_links WHERE hash = $1 AND revoked IS NULL`, hash).Scan(&id)
	if err != nil {
		return "", notFound(err, "invitation link")
	}
	return dissent.MessageID(id), nil
}

// RevokeInviteLinks revokes every link to the message and returns how many
// were live.
func (t *txn) RevokeInviteLinks(ctx context.Context, id dissent.MessageID, at time.Time) (int, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE invite_links SET revoked = $1 WHERE message_id = $2 AND revoked IS NULL`, ns(at), string(id))
	if err != nil {
		return 0, fmt.Errorf("revoke invitation links: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke invitation links: %w", err)
	}
	return int(n), nil
}

// UnitMembers lists the people of one unit holding a role, in ID order.
func (t *txn) UnitMembers(ctx context.Context, unitID string, role dissent.Role) ([]dissent.PersonID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT p.id FROM people p JOIN person_roles r ON r.person_id = p.id
		WHERE p.unit_id = $1 AND r.role = $2 ORDER BY p.id`, unitID, string(role))
	if err != nil {
		return nil, fmt.Errorf("list unit members: %w", err)
	}
	defer rows.Close()
	var out []dissent.PersonID
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan unit member: %w", err)
		}
		out = append(out, dissent.PersonID(id))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list unit members: %w", err)
	}
	return out, nil
}

// OwnSignature finds the person's newest active signature on the message.
func (t *txn) OwnSignature(ctx context.Context, id dissent.MessageID, person dissent.PersonID) (int, int, error) {
	var version, minimum int
	err := t.q.QueryRowContext(ctx, `SELECT version, min_cosigners FROM signatures
		WHERE message_id = $1 AND signer_tag = $2 AND withdrawn IS NULL ORDER BY version DESC LIMIT 1`,
		string(id), t.tag(id, person)).Scan(&version, &minimum)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read own signature: %w", err)
	}
	return version, minimum, nil
}

func (t *txn) AddCoauthor(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) error {
	err := t.exec(ctx, "insert co-author", `INSERT INTO coauthors (message_id, person_tag, created) VALUES ($1, $2, $3)`, string(id), t.tag(id, person), dayNS(at))
	if isUnique(err) {
		return fmt.Errorf("insert co-author: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return err
	}
	return t.locate(ctx, id, person)
}

func (t *txn) AddInvitations(ctx context.Context, id dissent.MessageID, people []dissent.PersonID, by dissent.PersonID, at time.Time) (int, error) {
	n := 0
	var added []dissent.PersonID
	for _, p := range people {
		tag := t.tag(id, p)
		sealed, err := t.sealPerson(ctx, id, "invitations", invitationRow(id, tag), "person_sealed", p)
		if err != nil {
			return 0, err
		}
		res, err := t.q.ExecContext(ctx, `INSERT INTO invitations (message_id, person_tag, person_sealed, created) VALUES ($1, $2, $3, $4)
			ON CONFLICT (message_id, person_tag) DO NOTHING`, string(id), tag, sealed, dayNS(at))
		if err != nil {
			return 0, fmt.Errorf("insert invitation: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert invitation: %w", err)
		}
		n += int(k)
		if k > 0 {
			added = append(added, p)
		}
	}
	if len(added) > 0 {
		if err := t.locate(ctx, id, added...); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func signatureRow(id dissent.MessageID, version int, tag []byte) string {
	return versionRow(id, version) + "/" + hex.EncodeToString(tag)
}

func (t *txn) InsertSignature(ctx context.Context, s dissent.Signature, participant bool) error {
	tag := t.tag(s.MessageID, s.PersonID)
	sealed, err := t.sealPerson(ctx, s.MessageID, "signatures", signatureRow(s.MessageID, s.Version, tag), "signer_sealed", s.PersonID)
	if err != nil {
		return err
	}
	held := t.heldQuorums(s)
	_, err = t.q.ExecContext(ctx, `INSERT INTO signatures (message_id, version, signer_tag, signer_sealed, content_hash, min_cosigners, signed)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, string(s.MessageID), s.Version, tag, sealed, s.ContentHash, s.MinCosigners, dayNS(s.Signed))
	if isUnique(err) {
		return fmt.Errorf("insert signature: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert signature: %w", err)
	}
	if s.MinCosigners == 0 {
		if err := t.tally(ctx, s.MessageID, s.Version, 1); err != nil {
			return err
		}
	}
	t.signedCounts(held, s)
	// A signer is an author or an invitee, already in the participation
	// index; anyone else is added to it.
	if participant {
		return nil
	}
	var known bool
	if err := t.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM invitations WHERE message_id = $1 AND person_tag = $2)
		OR EXISTS (SELECT 1 FROM messages WHERE id = $1 AND drafter_tag = $2)
		OR EXISTS (SELECT 1 FROM coauthors WHERE message_id = $1 AND person_tag = $2)`, string(s.MessageID), tag).Scan(&known); err != nil {
		return fmt.Errorf("read participation: %w", err)
	}
	if known {
		return nil
	}
	return t.locate(ctx, s.MessageID, s.PersonID)
}

func (t *txn) WithdrawSignatures(ctx context.Context, id dissent.MessageID, person dissent.PersonID, at time.Time) ([]int, error) {
	rows, err := t.q.QueryContext(ctx, `UPDATE signatures SET withdrawn = $3 WHERE message_id = $1 AND signer_tag = $2 AND withdrawn IS NULL RETURNING version, min_cosigners`,
		string(id), t.tag(id, person), dayNS(at))
	if err != nil {
		return nil, fmt.Errorf("withdraw signature: %w", err)
	}
	var versions, uncond []int
	for rows.Next() {
		var v, m int
		if err := rows.Scan(&v, &m); err != nil {
			rows.Close()
			return nil, fmt.Errorf("withdraw signature: %w", err)
		}
		versions = append(versions, v)
		if m == 0 {
			uncond = append(uncond, v)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("withdraw signature: %w", err)
	}
	slices.Sort(versions)
	for _, v := range uncond {
		if err := t.tally(ctx, id, v, -1); err != nil {
			return nil, err
		}
	}
	if len(versions) > 0 {
		if err := t.unlocate(ctx, id, person); err != nil {
			return nil, err
		}
	}
	return versions, nil
}

func (t *txn) SignatureMinimums(ctx context.Context, id dissent.MessageID, version int) ([]int, error) {
	q, err := t.SignatureQuorums(ctx, id, version)
	return q.Minimums(), err
}

func (t *txn) SignatureQuorums(ctx context.Context, id dissent.MessageID, version int) (dissent.Quorums, error) {
	if q, ok, err := t.cachedQuorums(ctx, id, version); ok || err != nil {
		return q, err
	}
	q, err := t.readQuorums(ctx, id, version)
	if err == nil {
		t.keepQuorums(id, version, q)
	}
	return q, err
}

func (t *txn) readQuorums(ctx context.Context, id dissent.MessageID, version int) (dissent.Quorums, error) {
	// One statement: the kept count of the unconditional signatures (or,
	// before the version has one, the count itself), then each conditional
	// signature's minimum.
	rows, err := t.q.QueryContext(ctx, `SELECT 0, COALESCE((SELECT unconditional FROM signature_tallies WHERE message_id = $1 AND version = $2),
			(SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners = 0))
		UNION ALL
		SELECT 1, min_cosigners FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners > 0`,
		string(id), version)
	if err != nil {
		return dissent.Quorums{}, fmt.Errorf("read signatures: %w", err)
	}
	defer rows.Close()
	var q dissent.Quorums
	for rows.Next() {
		var kind, n int
		if err := rows.Scan(&kind, &n); err != nil {
			return dissent.Quorums{}, fmt.Errorf("scan signature: %w", err)
		}
		if kind == 1 {
			q.Conditional = append(q.Conditional, n)
		} else {
			q.Unconditional = n
		}
	}
	return q, rows.Err()
}

func (t *txn) CountSignatures(ctx context.Context, id dissent.MessageID, version int) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL`,
		string(id), version).Scan(&n); err != nil {
		return 0, fmt.Errorf("count signatures: %w", err)
	}
	return n, nil
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

// tally adds delta to the count of the version's active unconditional
// signatures, after the signature that changes it was written. A version
// without a count yet (its first signature, or one signed before the count
// was kept) is counted once and the count stored.
//
// The service changes a version's signatures under the message's lock; a
// caller that does not (the store's tests) may race to make the first
// count: on PostgreSQL the loser's insert does nothing once the winner
// commits, and it adds its delta to the winner's count, which did not see
// the loser's uncommitted signature.
func (t *txn) tally(ctx context.Context, id dissent.MessageID, version, delta int) error {
	changed := func(q string, args ...any) (bool, error) {
		res, err := t.q.ExecContext(ctx, q, args...)
		if err != nil {
			return false, fmt.Errorf("count signatures: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("count signatures: %w", err)
		}
		return n == 1, nil
	}
	const add = `UPDATE signature_tallies SET unconditional = unconditional + $3 WHERE message_id = $1 AND version = $2`
	if ok, err := changed(add, string(id), version, delta); ok || err != nil {
		return err
	}
	if ok, err := changed(`INSERT INTO signature_tallies (message_id, version, unconditional)
		VALUES ($1, $2, (SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL AND min_cosigners = 0))
		ON CONFLICT (message_id, version) DO NOTHING`, string(id), version); ok || err != nil {
		return err
	}
	ok, err := changed(add, string(id), version, delta)
	if err == nil && !ok {
		err = fmt.Errorf("count signatures: no count of message %s version %d", id, version)
	}
	return err
}
