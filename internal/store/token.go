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
	var ts tokenScan
	if err := sc.Scan(ts.dest()...); err != nil {
		return dissent.TokenRecord{}, err
	}
	return ts.record(), nil
}

// tokenScan holds the tokenCols of a row as scanned.
type tokenScan struct {
	r                      dissent.TokenRecord
	pid                    int64
	created, used, revoked sql.NullInt64
}

func (ts *tokenScan) dest() []any {
	return []any{&ts.r.Hash, &ts.r.ID, &ts.pid, &ts.r.Label, &ts.created, &ts.used, &ts.revoked}
}

func (ts *tokenScan) record() dissent.TokenRecord {
	r := ts.r
	if r.ID == "" && len(r.Hash) >= 8 {
		r.ID = hex.EncodeToString(r.Hash[:8]) // tokens made before public ids
	}
	r.PersonID = dissent.PersonID(ts.pid)
	r.Created, r.LastUsed, r.Revoked = fromNS(ts.created), fromNS(ts.used), fromNS(ts.revoked)
	return r
}

// TokenByHash reads the token, its person and the person's roles in one
// statement: every API request asks it.
func (t *txn) TokenByHash(ctx context.Context, hash []byte) (dissent.TokenRecord, dissent.Person, error) {
	var ts tokenScan
	var ps personScan
	var roles sql.NullString
	err := t.q.QueryRowContext(ctx, `SELECT tk.hash, COALESCE(tk.public_id, ''), tk.person_id, tk.label, tk.created, tk.last_used, tk.revoked,
		`+personCols+`, `+rolesCol(t.d)+` FROM tokens tk JOIN people p ON p.id = tk.person_id WHERE tk.hash = $1 AND tk.revoked IS NULL`, hash).
		Scan(append(append(ts.dest(), ps.dest()...), &roles)...)
	if err != nil {
		return dissent.TokenRecord{}, dissent.Person{}, notFound(err, "token")
	}
	p := ps.person()
	p.Roles = rolesOf(roles.String)
	return ts.record(), p, nil
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
