package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The directory queries of dissent.DirectoryTx. They read and write only
// orgs, units, closures, people, person_roles and the plain columns of
// events: never a message, a signature or a sealed actor.

func (t *txn) Units(ctx context.Context, orgID string) ([]dissent.Unit, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, org_id, name, COALESCE(parent_id, '') FROM units WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	defer rows.Close()
	var out []dissent.Unit
	for rows.Next() {
		var u dissent.Unit
		if err := rows.Scan(&u.ID, &u.OrgID, &u.Name, &u.ParentID); err != nil {
			return nil, fmt.Errorf("scan unit: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (t *txn) SearchPeople(ctx context.Context, q dissent.PeopleQuery) ([]dissent.Person, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 1000
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.After != "" {
		where = append(where, "p.email > "+arg(q.After))
	}
	if q.Prefix != "" {
		// Two index range scans (migration 00007): the e-mail or the name,
		// folded, begins with the prefix. Both backends compare in binary
		// order, in which the strings with a prefix form one range.
		email, name := "lower(p.email)", "lower(p.name)"
		if t.d == Postgres {
			email, name = `(lower(p.email) COLLATE "C")`, `(lower(p.name) COLLATE "C")`
		}
		lo, hi := arg(q.Prefix), arg(q.Prefix+"\U0010FFFF")
		where = append(where, "(("+email+" >= "+lo+" AND "+email+" < "+hi+") OR ("+name+" >= "+lo+" AND "+name+" < "+hi+"))")
	}
	if q.OrgID != "" {
		where = append(where, "p.org_id = "+arg(q.OrgID))
	}
	if q.Role != "" {
		where = append(where, "p.id IN (SELECT r.person_id FROM person_roles r WHERE r.role = "+arg(string(q.Role))+")")
	}
	query := `SELECT ` + personCols + ` FROM people p`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY p.email LIMIT " + arg(q.Limit)
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	var out []dissent.Person
	for rows.Next() {
		p, err := scanPersonCols(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan person: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// The page's roles in one query.
	idx := make(map[dissent.PersonID]int, len(out))
	ph := make([]string, len(out))
	rargs := make([]any, len(out))
	for i, p := range out {
		idx[p.ID] = i
		ph[i] = "$" + strconv.Itoa(i+1)
		rargs[i] = int64(p.ID)
	}
	rrows, err := t.q.QueryContext(ctx, `SELECT person_id, role FROM person_roles WHERE person_id IN (`+strings.Join(ph, ",")+`)`, rargs...)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rrows.Close()
	for rrows.Next() {
		var id int64
		var r string
		if err := rrows.Scan(&id, &r); err != nil {
			return nil, fmt.Errorf("scan role: %w", err)
		}
		i := idx[dissent.PersonID(id)]
		out[i].Roles = dissent.NormalizeRoles(append(out[i].Roles, dissent.Role(r)))
	}
	return out, rrows.Err()
}

func (t *txn) CountPeople(ctx context.Context, orgID string) (int, error) {
	var n int
	var err error
	if orgID == "" {
		err = t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM people`).Scan(&n)
	} else {
		err = t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE org_id = $1`, orgID).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count people: %w", err)
	}
	return n, nil
}

func (t *txn) SetRoles(ctx context.Context, id dissent.PersonID, roles dissent.Roles) error {
	if err := t.exec(ctx, "clear roles", `DELETE FROM person_roles WHERE person_id = $1`, int64(id)); err != nil {
		return err
	}
	for _, r := range roles {
		if err := t.exec(ctx, "insert role", `INSERT INTO person_roles (person_id, role) VALUES ($1, $2)`, int64(id), string(r)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) SetUnit(ctx context.Context, id dissent.PersonID, unitID string) error {
	return t.exec(ctx, "set unit", `UPDATE people SET unit_id = $2 WHERE id = $1`, int64(id), nullStr(unitID))
}

func (t *txn) SetOrgTimeZone(ctx context.Context, orgID, zone string) error {
	res, err := t.q.ExecContext(ctx, `UPDATE orgs SET time_zone = $2 WHERE id = $1`, orgID, zone)
	if err != nil {
		return fmt.Errorf("set time zone: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set time zone: %w", err)
	} else if n == 0 {
		return dissent.ErrNotFound("organization")
	}
	return nil
}

func (t *txn) ClosureList(ctx context.Context, orgID string) ([]dissent.Closure, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT day, reason FROM closures WHERE org_id = $1 ORDER BY day`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list closures: %w", err)
	}
	defer rows.Close()
	var out []dissent.Closure
	for rows.Next() {
		var c dissent.Closure
		if err := rows.Scan(&c.Date, &c.Reason); err != nil {
			return nil, fmt.Errorf("scan closure: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *txn) RemoveClosure(ctx context.Context, orgID, date string) error {
	res, err := t.q.ExecContext(ctx, `DELETE FROM closures WHERE org_id = $1 AND day = $2`, orgID, date)
	if err != nil {
		return fmt.Errorf("remove closure: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remove closure: %w", err)
	} else if n == 0 {
		return dissent.ErrNotFound("closure")
	}
	return nil
}
