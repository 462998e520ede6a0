package store

import (
	"context"
	"fmt"

	"github.com/dissent-channel/dissent"
)

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
