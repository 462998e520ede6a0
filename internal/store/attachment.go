package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dissent-channel/dissent"
)

// Attachments: the name and the bytes are sealed under the message's key,
// with associated data naming the attachments table, the attachment's id and
// the column, so a sealed value cannot be moved to another row.

func (t *txn) InsertAttachment(ctx context.Context, a dissent.Attachment, content []byte) error {
	name, err := t.sealText(ctx, a.MessageID, "attachments", a.ID, "name", a.Name)
	if err != nil {
		return err
	}
	sealed, err := t.seal(ctx, a.MessageID, "attachments", a.ID, "content", content)
	if err != nil {
		return err
	}
	return t.exec(ctx, "insert attachment", `INSERT INTO attachments (id, message_id, name, size, sha256, content, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, string(a.MessageID), name, a.Size, a.SHA256, sealed, ns(a.Created))
}

func (t *txn) AttachmentContent(ctx context.Context, id dissent.MessageID, aid string) (dissent.Attachment, []byte, error) {
	a := dissent.Attachment{ID: aid, MessageID: id}
	var name, content []byte
	var created sql.NullInt64
	err := t.q.QueryRowContext(ctx, `SELECT name, size, sha256, content, created FROM attachments WHERE id = $1 AND message_id = $2`,
		aid, string(id)).Scan(&name, &a.Size, &a.SHA256, &content, &created)
	if err != nil {
		return a, nil, notFound(err, "attachment")
	}
	a.Created = fromNS(created)
	if a.Name, err = t.openText(ctx, id, "attachments", aid, "name", name); err != nil {
		return a, nil, err
	}
	pt, err := t.open(ctx, id, "attachments", aid, "content", content)
	if err != nil {
		return a, nil, err
	}
	if pt == nil {
		pt = []byte{}
	}
	return a, pt, nil
}

// attachmentsByIDs reads the metadata of a version's attachments (ids
// separated by spaces), names opened, in the version's order.
func (t *txn) attachmentsByIDs(ctx context.Context, id dissent.MessageID, list string) ([]dissent.Attachment, error) {
	ids := strings.Fields(list)
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.q.QueryContext(ctx, `SELECT id, name, size, sha256, created FROM attachments WHERE message_id = $1`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	type raw struct {
		a    dissent.Attachment
		name []byte
	}
	byID := map[string]raw{}
	for rows.Next() {
		r := raw{a: dissent.Attachment{MessageID: id}}
		var created sql.NullInt64
		if err := rows.Scan(&r.a.ID, &r.name, &r.a.Size, &r.a.SHA256, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan attachment: %w", err)
		}
		r.a.Created = fromNS(created)
		byID[r.a.ID] = r
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	out := make([]dissent.Attachment, len(ids))
	for i, aid := range ids {
		r, ok := byID[aid]
		if !ok {
			return nil, fmt.Errorf("message %s: attachment %s of a version is missing", id, aid)
		}
		if r.a.Name, err = t.openText(ctx, id, "attachments", aid, "name", r.name); err != nil {
			return nil, err
		}
		out[i] = r.a
	}
	return out, nil
}
