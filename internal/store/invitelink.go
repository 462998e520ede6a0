package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

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
