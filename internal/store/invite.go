package store

import (
	"context"
	"database/sql"
	"errors"
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
