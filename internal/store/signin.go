package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/dissent-channel/dissent"
)

// The SQL of sign-in (signin.go in the root package): sign-in links with
// their issuer, credential requests, sessions, passkeys and OIDC providers.
// Credentials are stored only as hashes; the callers in the root package
// compute them.

const requestCols = `id, person_id, requested_by, requested, COALESCE(decided_by, 0), decided, approved`

func (t *txn) SpendSignInLinksOf(ctx context.Context, id dissent.PersonID, at time.Time) (int, error) {
	return t.count(ctx, "spend sign-in links", `UPDATE signin_links SET used = $2 WHERE person_id = $1 AND used IS NULL`, int64(id), ns(at))
}

func (t *txn) CreateSignInLinkBy(ctx context.Context, l dissent.SignInLinkRecord) error {
	return t.exec(ctx, "insert sign-in link", `INSERT INTO signin_links (hash, person_id, expires, issued_by, issued) VALUES ($1, $2, $3, $4, $5)`,
		l.Hash, int64(l.PersonID), ns(l.Expires), l.IssuedBy, ns(l.Issued))
}

func (t *txn) SignInLinksOf(ctx context.Context, id dissent.PersonID) ([]dissent.SignInLinkRecord, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_id, issued_by, issued, expires, used FROM signin_links WHERE person_id = $1
		ORDER BY expires DESC LIMIT 100`, int64(id))
	if err != nil {
		return nil, fmt.Errorf("list sign-in links: %w", err)
	}
	var out []dissent.SignInLinkRecord
	for rows.Next() {
		var l dissent.SignInLinkRecord
		var issued, expires, used sql.NullInt64
		if err := rows.Scan(&l.PersonID, &l.IssuedBy, &issued, &expires, &used); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan sign-in link: %w", err)
		}
		l.Issued, l.Expires, l.Used = fromNS(issued), fromNS(expires), fromNS(used)
		out = append(out, l)
	}
	return out, closeRows(rows)
}

func (t *txn) AddCredentialRequest(ctx context.Context, r dissent.CredentialRequest) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO credential_requests (person_id, requested_by, requested) VALUES ($1, $2, $3) RETURNING id`,
		int64(r.PersonID), int64(r.RequestedBy), ns(r.Requested)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert credential request: %w", err)
	}
	return id, nil
}

func scanRequest(row interface{ Scan(...any) error }) (dissent.CredentialRequest, error) {
	var r dissent.CredentialRequest
	var requested, decided sql.NullInt64
	var approved int64
	if err := row.Scan(&r.ID, &r.PersonID, &r.RequestedBy, &requested, &r.DecidedBy, &decided, &approved); err != nil {
		return r, err
	}
	r.Requested, r.Decided, r.Approved = fromNS(requested), fromNS(decided), approved != 0
	return r, nil
}

func (t *txn) CredentialRequest(ctx context.Context, id int64) (dissent.CredentialRequest, error) {
	r, err := scanRequest(t.q.QueryRowContext(ctx, `SELECT `+requestCols+` FROM credential_requests WHERE id = $1`, id))
	if err != nil {
		return r, notFound(err, "request")
	}
	return r, nil
}

func (t *txn) CredentialRequestsOf(ctx context.Context, id dissent.PersonID) ([]dissent.CredentialRequest, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+requestCols+` FROM credential_requests WHERE person_id = $1 ORDER BY id DESC LIMIT 100`, int64(id))
	if err != nil {
		return nil, fmt.Errorf("list credential requests: %w", err)
	}
	var out []dissent.CredentialRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan credential request: %w", err)
		}
		out = append(out, r)
	}
	return out, closeRows(rows)
}

func (t *txn) OpenCredentialRequests(ctx context.Context, limit int) ([]dissent.CredentialRequest, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+requestCols+` FROM credential_requests WHERE decided IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list open credential requests: %w", err)
	}
	var out []dissent.CredentialRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan credential request: %w", err)
		}
		out = append(out, r)
	}
	return out, closeRows(rows)
}

func (t *txn) DecideCredentialRequest(ctx context.Context, id int64, by dissent.PersonID, day time.Time, approved bool) error {
	a := 0
	if approved {
		a = 1
	}
	n, err := t.count(ctx, "decide credential request", `UPDATE credential_requests SET decided_by = $2, decided = $3, approved = $4
		WHERE id = $1 AND decided IS NULL`, id, nullID(by), ns(day), a)
	if err != nil {
		return err
	}
	if n != 1 {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "decided", Message: "this request was already decided"}
	}
	return nil
}

// linkRow is the associated data's row of a sealed link: the notice's
// person and a random nonce, since the notice's id is not known before the
// insert.
func linkRow(person dissent.PersonID, nonce string) string {
	return strconv.FormatInt(int64(person), 10) + "/" + nonce
}

func (t *txn) FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, time.Time, error) {
	var data []byte
	var expiry int64
	err := t.q.QueryRowContext(ctx, `SELECT data, expiry FROM sessions WHERE hash = $1 AND expiry > $2`, hash, now.UnixNano()).Scan(&data, &expiry)
	if err != nil {
		return nil, time.Time{}, notFound(err, "session")
	}
	return data, time.Unix(0, expiry).UTC(), nil
}

// PutSession keeps the session's person as a pseudonym under a random
// salt of the session's own: the row links to no other row, and to no other
// session of the same person, for whoever lacks the keyring.
func (t *txn) PutSession(ctx context.Context, hash []byte, person dissent.PersonID, data []byte, expiry time.Time, existing bool) error {
	var salt, tag any
	if person != 0 {
		s := make([]byte, 16)
		if _, err := rand.Read(s); err != nil {
			return fmt.Errorf("session salt: %w", err)
		}
		salt, tag = s, t.s.Pseudonym(s, person)
	}
	if existing {
		return t.exec(ctx, "update session", `UPDATE sessions SET person_salt = $1, person_tag = $2, data = $3, expiry = $4 WHERE hash = $5`,
			salt, tag, data, expiry.UnixNano(), hash)
	}
	return t.exec(ctx, "insert session", `INSERT INTO sessions (hash, person_salt, person_tag, data, expiry) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (hash) DO UPDATE SET person_salt = excluded.person_salt, person_tag = excluded.person_tag, data = excluded.data, expiry = excluded.expiry`,
		hash, salt, tag, data, expiry.UnixNano())
}

func (t *txn) DeleteSession(ctx context.Context, hash []byte) error {
	return t.exec(ctx, "delete session", `DELETE FROM sessions WHERE hash = $1`, hash)
}

// DeleteSessionsOf recomputes each signed-in session's pseudonym for the
// person: sessions are few (expired ones are purged), and this is rare (a
// person's removal or sign-out everywhere).
func (t *txn) DeleteSessionsOf(ctx context.Context, person dissent.PersonID) (int, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT hash, person_salt, person_tag FROM sessions WHERE person_tag IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("read sessions: %w", err)
	}
	var mine [][]byte
	for rows.Next() {
		var hash, salt, tag []byte
		if err := rows.Scan(&hash, &salt, &tag); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan session: %w", err)
		}
		if hmac.Equal(t.s.Pseudonym(salt, person), tag) {
			mine = append(mine, hash)
		}
	}
	if err := closeRows(rows); err != nil {
		return 0, fmt.Errorf("read sessions: %w", err)
	}
	for _, h := range mine {
		if err := t.DeleteSession(ctx, h); err != nil {
			return 0, err
		}
	}
	return len(mine), nil
}

func (t *txn) PurgeSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := t.q.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *txn) WebAuthnHandle(ctx context.Context, person dissent.PersonID) ([]byte, error) {
	var h []byte
	if err := t.q.QueryRowContext(ctx, `SELECT handle FROM webauthn_handles WHERE person_id = $1`, int64(person)).Scan(&h); err != nil {
		return nil, notFound(err, "webauthn handle")
	}
	return h, nil
}

func (t *txn) SetWebAuthnHandle(ctx context.Context, person dissent.PersonID, handle []byte) error {
	return t.exec(ctx, "insert webauthn handle", `INSERT INTO webauthn_handles (person_id, handle) VALUES ($1, $2)`, int64(person), handle)
}

func (t *txn) PersonByWebAuthnHandle(ctx context.Context, handle []byte) (dissent.Person, error) {
	return t.scanPerson(t.q.QueryRowContext(ctx, `SELECT `+personCols+`, `+rolesCol(t.d)+` FROM webauthn_handles h JOIN people p ON p.id = h.person_id WHERE h.handle = $1`, handle))
}

const passkeyCols = `id, person_id, name, credential, created, last_used`

func (t *txn) AddPasskey(ctx context.Context, p dissent.Passkey) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO passkeys (id, person_id, name, credential, created) VALUES ($1, $2, $3, $4, $5)`,
		p.ID, int64(p.PersonID), p.Name, p.Credential, dayNS(p.Created))
	if isUnique(err) {
		return fmt.Errorf("insert passkey: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert passkey: %w", err)
	}
	return nil
}

func scanPasskey(sc interface{ Scan(...any) error }) (dissent.Passkey, error) {
	var p dissent.Passkey
	var pid int64
	var created, used sql.NullInt64
	err := sc.Scan(&p.ID, &pid, &p.Name, &p.Credential, &created, &used)
	p.PersonID, p.Created, p.LastUsed = dissent.PersonID(pid), fromNS(created), fromNS(used)
	return p, err
}

func (t *txn) PasskeysOf(ctx context.Context, person dissent.PersonID) ([]dissent.Passkey, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE person_id = $1 ORDER BY created, id`, int64(person))
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []dissent.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("scan passkey: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *txn) Passkey(ctx context.Context, id []byte) (dissent.Passkey, error) {
	p, err := scanPasskey(t.q.QueryRowContext(ctx, `SELECT `+passkeyCols+` FROM passkeys WHERE id = $1`, id))
	if err != nil {
		return p, notFound(err, "passkey")
	}
	return p, nil
}

func (t *txn) UpdatePasskey(ctx context.Context, id, credential []byte, used time.Time) error {
	return t.exec(ctx, "update passkey", `UPDATE passkeys SET credential = $1, last_used = $2 WHERE id = $3`, credential, dayNS(used), id)
}

func (t *txn) RemovePasskey(ctx context.Context, person dissent.PersonID, id []byte) error {
	res, err := t.q.ExecContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND person_id = $2`, id, int64(person))
	if err != nil {
		return fmt.Errorf("remove passkey: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return dissent.ErrNotFound("passkey")
	}
	return nil
}

func (t *txn) SetOIDCProvider(ctx context.Context, p dissent.OIDCProvider) error {
	return t.exec(ctx, "set oidc provider", `INSERT INTO oidc_providers (org_id, issuer, client_id, client_secret_env, created) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret_env = excluded.client_secret_env, created = excluded.created`,
		p.OrgID, p.Issuer, p.ClientID, p.ClientSecretEnv, ns(p.Created))
}

func (t *txn) OIDCProviders(ctx context.Context) ([]dissent.OIDCProvider, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT org_id, issuer, client_id, client_secret_env, created FROM oidc_providers ORDER BY org_id`)
	if err != nil {
		return nil, fmt.Errorf("list oidc providers: %w", err)
	}
	defer rows.Close()
	var out []dissent.OIDCProvider
	for rows.Next() {
		var p dissent.OIDCProvider
		var created sql.NullInt64
		if err := rows.Scan(&p.OrgID, &p.Issuer, &p.ClientID, &p.ClientSecretEnv, &created); err != nil {
			return nil, fmt.Errorf("scan oidc provider: %w", err)
		}
		p.Created = fromNS(created)
		out = append(out, p)
	}
	return out, rows.Err()
}
