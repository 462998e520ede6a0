package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

// The SQL of API tokens (token.go in the root package). Credentials are
// stored only as hashes; the callers in the root package compute them.

const tokenCols = `hash, COALESCE(public_id, ''), person_id, label, created, last_used, revoked`

func (t *txn) CreateTokenRecord(ctx context.Context, r dissent.TokenRecord) error {
	return t.exec(ctx, "insert token", `INSERT INTO tokens (hash, person_id, created, public_id, label) VALUES ($1, $2, $3, $4, $5)`,
		r.Hash, int64(r.PersonID), dayNS(r.Created), r.ID, r.Label)
}

func scanToken(sc interface{ Scan(...any) error }) (dissent.TokenRecord, error) {
	var r dissent.TokenRecord
	var pid int64
	var created, used, revoked sql.NullInt64
	if err := sc.Scan(&r.Hash, &r.ID, &pid, &r.Label, &created, &used, &revoked); err != nil {
		return r, err
	}
	if r.ID == "" && len(r.Hash) >= 8 {
		r.ID = hex.EncodeToString(r.Hash[:8]) // tokens made before public ids
	}
	r.PersonID = dissent.PersonID(pid)
	r.Created, r.LastUsed, r.Revoked = fromNS(created), fromNS(used), fromNS(revoked)
	return r, nil
}

func (t *txn) TokenByHash(ctx context.Context, hash []byte) (dissent.TokenRecord, dissent.Person, error) {
	r, err := scanToken(t.q.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1 AND revoked IS NULL`, hash))
	if err != nil {
		return r, dissent.Person{}, notFound(err, "token")
	}
	p, err := t.Person(ctx, r.PersonID)
	return r, p, err
}

func (t *txn) TouchToken(ctx context.Context, hash []byte, at time.Time) error {
	return t.exec(ctx, "touch token", `UPDATE tokens SET last_used = $1 WHERE hash = $2`, dayNS(at), hash)
}

func (t *txn) TokensOf(ctx context.Context, person dissent.PersonID) ([]dissent.TokenRecord, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE person_id = $1 ORDER BY created DESC, hash`, int64(person))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []dissent.TokenRecord
	for rows.Next() {
		r, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("scan token: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *txn) RevokeToken(ctx context.Context, person dissent.PersonID, hash []byte, at time.Time) error {
	res, err := t.q.ExecContext(ctx, `UPDATE tokens SET revoked = $1 WHERE hash = $2 AND person_id = $3 AND revoked IS NULL`, dayNS(at), hash, int64(person))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return dissent.ErrNotFound("token")
	}
	return nil
}

func (t *txn) RevokeTokensOf(ctx context.Context, id dissent.PersonID, at time.Time) (int, error) {
	return t.count(ctx, "revoke tokens", `UPDATE tokens SET revoked = $2 WHERE person_id = $1 AND revoked IS NULL`, int64(id), ns(at))
}
