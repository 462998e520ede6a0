package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/dissent-channel/dissent"
)

// The SQL of people's accounts (people.go in the root package):
// activation, deactivation, updates and account notices. These tables name a
// person in clear; their times are days.

func (t *txn) MarkActivated(ctx context.Context, id dissent.PersonID) error {
	return t.exec(ctx, "mark activated", `UPDATE people SET activated = 1 WHERE id = $1 AND activated = 0`, int64(id))
}

// ActivateApart implements dissent.Tx. In the SQLite writer's batch the
// activation is queued (t.acts) and written at the batch's end
// (writeActivations); elsewhere it is written now, with the rows the
// function wrote before it, in an entry of its own.
func (t *txn) ActivateApart(ctx context.Context, id dissent.PersonID) error {
	if t.batch != nil {
		t.acts = append(t.acts, id)
		return nil
	}
	if err := t.MarkActivated(ctx, id); err != nil {
		return err
	}
	return t.finish(ctx)
}

// writeActivations writes, at the end of the writer's batch, the
// activations its callers queued (ActivateApart): one statement, and one
// entry holding the people's rows and nothing else.
func (t *txn) writeActivations(ctx context.Context) error {
	ids := t.batch.acts
	t.batch.acts = t.batch.acts[:0]
	if len(ids) == 0 {
		return nil
	}
	list := make([]byte, 0, 8*len(ids)+2)
	list = append(list, '[')
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, int64(id), 10)
	}
	list = append(list, ']')
	if err := t.exec(ctx, "mark activated", `UPDATE people SET activated = 1 WHERE activated = 0 AND id IN (SELECT value FROM json_each($1))`, string(list)); err != nil {
		return err
	}
	t.pending = t.pending[:0]
	return t.finish(ctx)
}

func (t *txn) SetDeactivated(ctx context.Context, id dissent.PersonID, day time.Time) error {
	return t.exec(ctx, "set deactivated", `UPDATE people SET deactivated = $2 WHERE id = $1`, int64(id), ns(day))
}

func (t *txn) UpdatePerson(ctx context.Context, p dissent.Person) error {
	_, err := t.q.ExecContext(ctx, `UPDATE people SET email = $2, name = $3, org_id = $4, unit_id = $5 WHERE id = $1`,
		int64(p.ID), p.Email, p.Name, nullStr(p.OrgID), nullStr(p.UnitID))
	if isUnique(err) {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "exists", Field: "email", Message: "a person with e-mail " + p.Email + " already exists"}
	}
	if err != nil {
		return fmt.Errorf("update person: %w", err)
	}
	return nil
}

func (t *txn) count(ctx context.Context, op, q string, args ...any) (int, error) {
	res, err := t.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *txn) AddAccountNotice(ctx context.Context, n dissent.AccountNotice, mail bool, link dissent.Secret) error {
	var kek any
	var wrapped, sealed []byte
	if l := link.Reveal(); l != "" && mail {
		k, err := t.s.NewDataKey()
		if err != nil {
			return fmt.Errorf("seal sign-in link: %w", err)
		}
		kek, wrapped = k.KEKID, k.Wrapped
		nc := newNonce()
		if sealed, err = t.s.Seal(k, dissent.AD{Table: "account_notices", Row: linkRow(n.PersonID, nc), Column: "link_sealed"}, []byte(l)); err != nil {
			return fmt.Errorf("seal sign-in link: %w", err)
		}
		// The nonce (not a secret) is kept before the ciphertext.
		sealed = append([]byte(nc+"|"), sealed...)
	}
	var next any
	if mail {
		next = ns(n.Created)
	}
	return t.exec(ctx, "insert account notice", `INSERT INTO account_notices (person_id, kind, created, link_kek, link_wrapped, link_sealed, next_attempt)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, int64(n.PersonID), n.Kind, ns(n.Created), kek, wrapped, nilIfEmpty(sealed), next)
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (t *txn) AccountNotices(ctx context.Context, id dissent.PersonID, limit int) ([]dissent.AccountNotice, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, person_id, kind, created FROM account_notices WHERE person_id = $1 ORDER BY id DESC LIMIT $2`, int64(id), limit)
	if err != nil {
		return nil, fmt.Errorf("list account notices: %w", err)
	}
	var out []dissent.AccountNotice
	for rows.Next() {
		var n dissent.AccountNotice
		var created sql.NullInt64
		if err := rows.Scan(&n.ID, &n.PersonID, &n.Kind, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan account notice: %w", err)
		}
		n.Created = fromNS(created)
		out = append(out, n)
	}
	return out, closeRows(rows)
}

// claimAccountMail claims due account notices' e-mails, as ClaimMail does
// the outbox's. Their ids are negated in OutboxMail, so that MailSent and
// MailFailed know the table.
func (t *txn) claimAccountMail(ctx context.Context, holder string, now, until time.Time, limit int) ([]dissent.OutboxMail, error) {
	pick := `SELECT id FROM account_notices WHERE sent IS NULL AND next_attempt IS NOT NULL AND next_attempt <= $3
		AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY id LIMIT $4`
	if t.d == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := t.q.QueryContext(ctx, `UPDATE account_notices SET claimed_by = $1, claimed_until = $2
		WHERE id IN (`+pick+`) AND sent IS NULL AND (claimed_until IS NULL OR claimed_until <= $3)
		RETURNING id, person_id, kind, attempts, created, link_kek, link_wrapped, link_sealed`, holder, until.UnixNano(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim account e-mails: %w", err)
	}
	type claim struct {
		m       dissent.OutboxMail
		person  int64
		kek     sql.NullString
		wrapped []byte
		sealed  []byte
	}
	var cs []claim
	for rows.Next() {
		var c claim
		var created sql.NullInt64
		if err := rows.Scan(&c.m.ID, &c.person, &c.m.Kind, &c.m.Attempts, &created, &c.kek, &c.wrapped, &c.sealed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan account e-mail: %w", err)
		}
		c.m.ID, c.m.Created, c.m.Account = -c.m.ID, fromNS(created), true
		cs = append(cs, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("claim account e-mails: %w", err)
	}
	out := make([]dissent.OutboxMail, 0, len(cs))
	for _, c := range cs {
		if err := t.q.QueryRowContext(ctx, `SELECT email FROM people WHERE id = $1`, c.person).Scan(&c.m.To); err != nil {
			return nil, notFound(err, "recipient")
		}
		if len(c.sealed) > 0 {
			i := 0
			for i < len(c.sealed) && c.sealed[i] != '|' {
				i++
			}
			if i == len(c.sealed) {
				return nil, fmt.Errorf("account notice %d: malformed sealed link", -c.m.ID)
			}
			k := dissent.WrappedKey{KEKID: c.kek.String, Wrapped: c.wrapped}
			pt, err := t.s.Open(k, dissent.AD{Table: "account_notices", Row: linkRow(dissent.PersonID(c.person), string(c.sealed[:i])), Column: "link_sealed"}, c.sealed[i+1:])
			if err != nil {
				// Its key-encryption key was retired (keys rotate) or the
				// row was tampered with: the person is told a link was
				// issued, without it, and the administrator issues another.
				c.m.Kind = dissent.NoticeLinkIssued
			} else {
				c.m.Link = dissent.NewSecret(string(pt))
			}
		}
		out = append(out, c.m)
	}
	return out, nil
}

// accountMailSent marks an account e-mail sent and erases its link.
func (t *txn) accountMailSent(ctx context.Context, id int64, holder string, at time.Time) error {
	day := at.UTC().Truncate(24 * time.Hour)
	n, err := t.count(ctx, "mark account e-mail sent", `UPDATE account_notices SET sent = $1, claimed_until = NULL, claimed_by = NULL, next_attempt = NULL,
		last_error = NULL, link_kek = NULL, link_wrapped = NULL, link_sealed = NULL WHERE id = $2 AND claimed_by = $3 AND sent IS NULL`, ns(day), id, holder)
	if err != nil {
		return err
	}
	if n != 1 {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "not_claimed", Message: fmt.Sprintf("e-mail %d is not claimed by %s", -id, holder)}
	}
	return nil
}

func (t *txn) accountMailFailed(ctx context.Context, id int64, holder string, next time.Time, reason string) error {
	return t.exec(ctx, "record account e-mail failure", `UPDATE account_notices SET attempts = attempts + 1, next_attempt = $1, claimed_by = NULL,
		claimed_until = NULL, last_error = $2 WHERE id = $3 AND claimed_by = $4 AND sent IS NULL`, next.UnixNano(), reason, id, holder)
}

func newNonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
