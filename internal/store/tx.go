package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dissent-channel/dissent"
)

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txn implements dissent.Tx over one SQL transaction.
type txn struct {
	q    querier
	d    Dialect
	s    dissent.Sealer
	keys map[dissent.MessageID]dissent.WrappedKey // data keys read in this transaction
	// metas is the process's cache of submitted messages' metadata; nil
	// for a transaction that must not use it.
	metas *metaCache

	// The audit log: events appended by the caller's function, written
	// when it returns (finish); how many entries this transaction wrote;
	// the log's data key once read; the store's catalog of recorded tables.
	pending  []dissent.Event
	appended int
	seq      int64 // SQLite: the next entry's sequence number, once read (nextSeq)
	lkey     *dissent.WrappedKey
	tables   *atomic.Pointer[map[string]recordedTable]

	counts *counters // the store's (Stats)

	// batch is the SQLite writer's batch this transaction serves, nil
	// elsewhere; acts are the activations the running caller's function
	// queued (ActivateApart), handed to the batch when it succeeds.
	batch *batchState
	acts  []dissent.PersonID
	// capture is the SQLite writer's record of the rows it writes
	// (capture.go); nil elsewhere.
	capture *rowCapture
	// subs memoizes the management chains read in a read-only transaction
	// (the org chart cannot change within its snapshot): a page that
	// checks several messages for one reader queries the chain once.
	subs map[dissent.PersonID][]dissent.PersonID
}

var _ dissent.Tx = (*txn)(nil)

// batchState is what the SQLite writer's batch gathers from its callers'
// functions to write once at its end.
type batchState struct {
	acts   []dissent.PersonID                 // accounts activated (writeActivations)
	counts map[dissent.MessageID]*countsEntry // messages' counts read and written (batchcounts.go)
}

// countStat adds to the store's counters, when the transaction has them.
func (t *txn) countStat(f func(*counters)) {
	if t.counts != nil {
		f(t.counts)
	}
}

// Instants are stored as Unix nanoseconds; zero times as NULL.
func ns(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

// Deadlines keep their zone offset, so that their date is the office's date.
func deadline(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339Nano)
}

func fromDeadline(v sql.NullString) (time.Time, error) {
	if !v.Valid || v.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse deadline %q: %w", v.String, err)
	}
	return t, nil
}

func nullID(id dissent.PersonID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return dissent.ErrNotFound(what)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// queryColumn runs query and returns its one column's values; what names
// them in an error.
func queryColumn[T any](ctx context.Context, q querier, what, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

func (t *txn) exec(ctx context.Context, op, q string, args ...any) error {
	if _, err := t.q.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// --- organizations, units, calendars ---

func (t *txn) CreateOrg(ctx context.Context, o dissent.Org) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO orgs (id, seq, name, time_zone, created)
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM orgs), $2, $3, $4)`, o.ID, o.Name, o.TimeZone, ns(o.Created))
	if isUnique(err) {
		return fmt.Errorf("insert org: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert org: %w", err)
	}
	return nil
}

func scanOrg(sc interface{ Scan(...any) error }) (dissent.Org, error) {
	var o dissent.Org
	var created sql.NullInt64
	err := sc.Scan(&o.ID, &o.Name, &o.TimeZone, &created)
	o.Created = fromNS(created)
	return o, err
}

func (t *txn) Org(ctx context.Context, id string) (dissent.Org, error) {
	o, err := scanOrg(t.q.QueryRowContext(ctx, `SELECT id, name, time_zone, created FROM orgs WHERE id = $1`, id))
	if err != nil {
		return dissent.Org{}, notFound(err, "organization")
	}
	return o, nil
}

func (t *txn) Orgs(ctx context.Context) ([]dissent.Org, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, name, time_zone, created FROM orgs ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	defer rows.Close()
	var out []dissent.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("scan org: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (t *txn) CreateUnit(ctx context.Context, u dissent.Unit) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO units (id, org_id, name, parent_id) VALUES ($1, $2, $3, $4)`,
		u.ID, u.OrgID, u.Name, nullStr(u.ParentID))
	if isUnique(err) {
		return fmt.Errorf("insert unit: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert unit: %w", err)
	}
	return nil
}

func (t *txn) Unit(ctx context.Context, id string) (dissent.Unit, error) {
	var u dissent.Unit
	var parent sql.NullString
	err := t.q.QueryRowContext(ctx, `SELECT id, org_id, name, parent_id FROM units WHERE id = $1`, id).Scan(&u.ID, &u.OrgID, &u.Name, &parent)
	if err != nil {
		return dissent.Unit{}, notFound(err, "unit")
	}
	u.ParentID = parent.String
	return u, nil
}

func (t *txn) Closures(ctx context.Context, orgID string) ([]string, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT day FROM closures WHERE org_id = $1 ORDER BY day`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list closures: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("scan closure: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *txn) AddClosure(ctx context.Context, orgID, date, reason string) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO closures (org_id, day, reason) VALUES ($1, $2, $3)`, orgID, date, reason)
	if isUnique(err) {
		return fmt.Errorf("insert closure: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert closure: %w", err)
	}
	return nil
}

// --- people and credentials ---

func (t *txn) CreatePerson(ctx context.Context, p dissent.Person) (dissent.PersonID, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO people (email, name, org_id, unit_id, supervisor_id, created)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		p.Email, p.Name, nullStr(p.OrgID), nullStr(p.UnitID), nullID(p.SupervisorID), dayNS(p.Created)).Scan(&id)
	if isUnique(err) {
		return 0, fmt.Errorf("insert person: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return 0, fmt.Errorf("insert person: %w", err)
	}
	for _, r := range p.Roles {
		if err := t.exec(ctx, "insert role", `INSERT INTO person_roles (person_id, role) VALUES ($1, $2)`, id, string(r)); err != nil {
			return 0, err
		}
	}
	return dissent.PersonID(id), nil
}

const personCols = `p.id, p.email, p.name, COALESCE(p.org_id, ''), COALESCE(p.unit_id, ''), COALESCE(p.supervisor_id, 0), p.created, p.activated, p.deactivated`

// scanPersonCols reads the personCols of one row (a *sql.Row or the
// current row of *sql.Rows), without the roles.
func scanPersonCols(row interface{ Scan(...any) error }) (dissent.Person, error) {
	var ps personScan
	if err := row.Scan(ps.dest()...); err != nil {
		return dissent.Person{}, err
	}
	return ps.person(), nil
}

// personScan holds the personCols of a row as scanned.
type personScan struct {
	p                    dissent.Person
	created, deactivated sql.NullInt64
	activated            int64
}

func (ps *personScan) dest() []any {
	p := &ps.p
	return []any{&p.ID, &p.Email, &p.Name, &p.OrgID, &p.UnitID, &p.SupervisorID, &ps.created, &ps.activated, &ps.deactivated}
}

func (ps *personScan) person() dissent.Person {
	p := ps.p
	p.Created, p.Activated, p.Deactivated = fromNS(ps.created), ps.activated != 0, fromNS(ps.deactivated)
	return p
}

// rolesCol is the SQL of the roles of the person p, space-separated
// (rolesOf reads it).
func rolesCol(d Dialect) string {
	if d == Postgres {
		return `(SELECT string_agg(role, ' ') FROM person_roles pr WHERE pr.person_id = p.id)`
	}
	return `(SELECT group_concat(role, ' ') FROM person_roles pr WHERE pr.person_id = p.id)`
}

// rolesOf reads rolesCol.
func rolesOf(s string) dissent.Roles {
	f := strings.Fields(s)
	rs := make([]dissent.Role, len(f))
	for i, r := range f {
		rs[i] = dissent.Role(r)
	}
	return dissent.NormalizeRoles(rs)
}

// scanPerson reads personCols followed by rolesCol.
func (t *txn) scanPerson(row *sql.Row) (dissent.Person, error) {
	var ps personScan
	var roles sql.NullString
	if err := row.Scan(append(ps.dest(), &roles)...); err != nil {
		return dissent.Person{}, notFound(err, "person")
	}
	p := ps.person()
	p.Roles = rolesOf(roles.String)
	return p, nil
}

func (t *txn) Person(ctx context.Context, id dissent.PersonID) (dissent.Person, error) {
	return t.scanPerson(t.q.QueryRowContext(ctx, `SELECT `+personCols+`, `+rolesCol(t.d)+` FROM people p WHERE p.id = $1`, int64(id)))
}

func (t *txn) PersonByEmail(ctx context.Context, email string) (dissent.Person, error) {
	return t.scanPerson(t.q.QueryRowContext(ctx, `SELECT `+personCols+`, `+rolesCol(t.d)+` FROM people p WHERE p.email = $1`, email))
}

func (t *txn) SetSupervisor(ctx context.Context, id, supervisor dissent.PersonID) error {
	return t.exec(ctx, "set supervisor", `UPDATE people SET supervisor_id = $2 WHERE id = $1`, int64(id), nullID(supervisor))
}

func (t *txn) PeopleByEmail(ctx context.Context, emails []string) (map[string]dissent.Person, error) {
	out := make(map[string]dissent.Person, len(emails))
	// In chunks, to stay under every backend's limit on bound parameters.
	for start := 0; start < len(emails); start += 500 {
		chunk := emails[start:min(start+500, len(emails))]
		args := make([]any, len(chunk))
		ph := make([]string, len(chunk))
		for i, e := range chunk {
			args[i] = e
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err := t.q.QueryContext(ctx, `SELECT p.id, p.email, p.name, COALESCE(p.org_id, ''), COALESCE(p.unit_id, ''), COALESCE(p.supervisor_id, 0), p.created,
			p.activated, p.deactivated, COALESCE(r.role, '') FROM people p LEFT JOIN person_roles r ON r.person_id = p.id
			WHERE p.email IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
		for rows.Next() {
			var p dissent.Person
			var created, deactivated sql.NullInt64
			var activated int64
			var role string
			if err := rows.Scan(&p.ID, &p.Email, &p.Name, &p.OrgID, &p.UnitID, &p.SupervisorID, &created, &activated, &deactivated, &role); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan person: %w", err)
			}
			p.Created, p.Activated, p.Deactivated = fromNS(created), activated != 0, fromNS(deactivated)
			if have, ok := out[p.Email]; ok {
				p = have
			}
			if role != "" {
				p.Roles = dissent.NormalizeRoles(append(p.Roles, dissent.Role(role)))
			}
			out[p.Email] = p
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
	}
	return out, nil
}

func (t *txn) CountPeopleWithRole(ctx context.Context, r dissent.Role) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM person_roles WHERE role = $1`, string(r)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count people: %w", err)
	}
	return n, nil
}

func (t *txn) CreateToken(ctx context.Context, person dissent.PersonID, hash []byte, created time.Time) error {
	return t.exec(ctx, "insert token", `INSERT INTO tokens (hash, person_id, created) VALUES ($1, $2, $3)`, hash, int64(person), dayNS(created))
}

func (t *txn) CreateSignInLink(ctx context.Context, person dissent.PersonID, hash []byte, expires time.Time) error {
	return t.exec(ctx, "insert sign-in link", `INSERT INTO signin_links (hash, person_id, expires) VALUES ($1, $2, $3)`, hash, int64(person), ns(expires))
}

func (t *txn) UseSignInLink(ctx context.Context, hash []byte, now time.Time) (dissent.PersonID, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `UPDATE signin_links SET used = $1 WHERE hash = $2 AND used IS NULL AND expires > $3 RETURNING person_id`,
		dayNS(now), hash, now.UnixNano()).Scan(&id)
	if err != nil {
		return 0, notFound(err, "sign-in link")
	}
	return dissent.PersonID(id), nil
}
