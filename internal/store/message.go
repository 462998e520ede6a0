package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dissent-channel/dissent"
)

const messageCols = `m.id, m.org_id, m.drafter_sealed, m.state, m.version, m.signature_count, m.created, m.updated,
	m.submitted_at, m.acknowledge_by, m.reply_by, m.reply_days, m.extension_note, m.acknowledged_at, m.replied_at,
	m.closed_at, m.redirect_note, m.redirect_to, v.title, v.summary, v.body, v.content_hash,
	v.classification, v.topic, v.attachments, m.tier, m.related`

const messageFrom = ` FROM messages m JOIN message_versions v ON v.message_id = m.id AND v.number = m.version`

// messageCountCols are messageCols with the sealed text and notes left
// out (NULL, or empty attachments), for LockMessageCounts, which opens
// only the drafter: SQLite then reads no overflow page of a long body.
const messageCountCols = `m.id, m.org_id, m.drafter_sealed, m.state, m.version, m.signature_count, m.created, m.updated,
	m.submitted_at, m.acknowledge_by, m.reply_by, m.reply_days, NULL, m.acknowledged_at, m.replied_at,
	m.closed_at, NULL, m.redirect_to, NULL, NULL, NULL, v.content_hash,
	v.classification, v.topic, '', m.tier, NULL`

// messageTitleCols are messageCols with the summary, the body, the notes,
// the attachments and the related messages left out, for lists that open
// only the title (unsealTitle): a list of fifty messages then copies no
// body out of SQLite, nor out of PostgreSQL's TOAST.
const messageTitleCols = `m.id, m.org_id, m.drafter_sealed, m.state, m.version, m.signature_count, m.created, m.updated,
	m.submitted_at, m.acknowledge_by, m.reply_by, m.reply_days, NULL, m.acknowledged_at, m.replied_at,
	m.closed_at, NULL, m.redirect_to, v.title, NULL, NULL, v.content_hash,
	v.classification, v.topic, '', m.tier, NULL`

// rawMessage is a messages row joined with its current version, still sealed.
type rawMessage struct {
	m                    dissent.Message
	drafter, ext, redir  []byte
	title, summary, body []byte
	related              []byte
	attachments          string
}

func scanMessage(sc interface{ Scan(...any) error }) (rawMessage, error) {
	var r rawMessage
	m := &r.m
	var created, updated, submitted, acked, replied, closed sql.NullInt64
	var ackBy, replyBy sql.NullString
	err := sc.Scan(&m.ID, &m.OrgID, &r.drafter, &m.State, &m.Version, &m.SignatureCount, &created, &updated,
		&submitted, &ackBy, &replyBy, &m.ReplyDays, &r.ext, &acked, &replied, &closed, &r.redir, &m.RedirectTo,
		&r.title, &r.summary, &r.body, &m.ContentHash, &m.Classification, &m.Topic, &r.attachments, &m.Tier, &r.related)
	if err != nil {
		return r, err
	}
	m.Created, m.Updated, m.SubmittedAt = fromNS(created), fromNS(updated), fromNS(submitted)
	m.AcknowledgedAt, m.RepliedAt, m.ClosedAt = fromNS(acked), fromNS(replied), fromNS(closed)
	if m.AcknowledgeBy, err = fromDeadline(ackBy); err != nil {
		return r, err
	}
	m.ReplyBy, err = fromDeadline(replyBy)
	return r, err
}

func versionRow(id dissent.MessageID, n int) string { return string(id) + "/" + itoa(n) }

// unseal opens the protected fields of a message.
func (t *txn) unseal(ctx context.Context, r rawMessage) (dissent.Message, error) {
	m := r.m
	var err error
	if m.DrafterID, err = t.openPerson(ctx, m.ID, "messages", string(m.ID), "drafter_sealed", r.drafter); err != nil {
		return m, err
	}
	vr := versionRow(m.ID, m.Version)
	if m.Title, err = t.openText(ctx, m.ID, "message_versions", vr, "title", r.title); err != nil {
		return m, err
	}
	if m.Summary, err = t.openText(ctx, m.ID, "message_versions", vr, "summary", r.summary); err != nil {
		return m, err
	}
	if m.Body, err = t.openText(ctx, m.ID, "message_versions", vr, "body", r.body); err != nil {
		return m, err
	}
	if m.ExtensionNote, err = t.openText(ctx, m.ID, "messages", string(m.ID), "extension_note", r.ext); err != nil {
		return m, err
	}
	if m.RedirectNote, err = t.openText(ctx, m.ID, "messages", string(m.ID), "redirect_note", r.redir); err != nil {
		return m, err
	}
	rel, err := t.open(ctx, m.ID, "messages", string(m.ID), "related", r.related)
	if err != nil {
		return m, err
	}
	for _, id := range strings.Fields(string(rel)) {
		m.Related = append(m.Related, dissent.MessageID(id))
	}
	m.Attachments, err = t.attachmentsByIDs(ctx, m.ID, r.attachments)
	return m, err
}

// sealRelated seals the related messages' ids, NULL when there are none.
func (t *txn) sealRelated(ctx context.Context, m dissent.Message) (any, error) {
	if len(m.Related) == 0 {
		return nil, nil
	}
	ids := make([]string, len(m.Related))
	for i, id := range m.Related {
		ids[i] = string(id)
	}
	return t.seal(ctx, m.ID, "messages", string(m.ID), "related", []byte(strings.Join(ids, " ")))
}

func attachmentIDs(as []dissent.Attachment) string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return strings.Join(ids, " ")
}

func (t *txn) CreateMessage(ctx context.Context, m dissent.Message, v dissent.Version) error {
	k, err := t.s.NewDataKey()
	if err != nil {
		return fmt.Errorf("new data key: %w", err)
	}
	t.keys[m.ID] = k
	drafter, err := t.sealPerson(ctx, m.ID, "messages", string(m.ID), "drafter_sealed", m.DrafterID)
	if err != nil {
		return err
	}
	related, err := t.sealRelated(ctx, m)
	if err != nil {
		return err
	}
	err = t.exec(ctx, "insert message", `INSERT INTO messages (id, org_id, drafter_tag, drafter_sealed, state, version, signature_count, created, updated, reply_days, tier, related)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		string(m.ID), m.OrgID, t.tag(m.ID, m.DrafterID), drafter, string(m.State), m.Version, m.SignatureCount, ns(m.Created), ns(m.Updated), m.ReplyDays,
		m.Tier, related)
	if err != nil {
		return err
	}
	if err := t.locate(ctx, m.ID, m.DrafterID); err != nil {
		return err
	}
	if err := t.exec(ctx, "insert message key", `INSERT INTO message_keys (message_id, kek_id, wrapped) VALUES ($1, $2, $3)`, string(m.ID), k.KEKID, k.Wrapped); err != nil {
		return err
	}
	return t.AddVersion(ctx, v)
}

// messageRead is how much of a message a read selects and opens: the
// columns and the function that opens what they hold, which go together.
type messageRead struct {
	cols   string
	unseal func(*txn, context.Context, rawMessage) (dissent.Message, error)
}

var (
	// readWhole selects and opens everything.
	readWhole = messageRead{messageCols, (*txn).unseal}
	// readTitle selects no summary, body, notes, attachments or related
	// messages, and opens the drafter and the title.
	readTitle = messageRead{messageTitleCols, (*txn).unsealTitle}
	// readCounts selects no text at all, and opens the drafter.
	readCounts = messageRead{messageCountCols, (*txn).unsealDrafter}
)

func (t *txn) Message(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	return t.loadMessage(ctx, id, readWhole)
}

// loadMessage reads one message by id, as much of it as rd says.
func (t *txn) loadMessage(ctx context.Context, id dissent.MessageID, rd messageRead) (dissent.Message, error) {
	t.countStat(func(c *counters) { c.messageLoads.Add(1) })
	r, err := scanMessage(t.q.QueryRowContext(ctx, `SELECT `+rd.cols+messageFrom+` WHERE m.id = $1`, string(id)))
	if err != nil {
		return dissent.Message{}, notFound(err, "message")
	}
	return rd.unseal(t, ctx, r)
}

func (t *txn) LockMessage(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	// SQLite: write transactions are serialized by BEGIN IMMEDIATE and the
	// single writer, so the row needs no lock of its own. PostgreSQL: lock the
	// row, then read in a statement of its own, whose snapshot (READ
	// COMMITTED) holds what the lock's previous holder committed. (Locking in
	// the joined query would recheck the updated row against the version row
	// read before the wait, and find no message when the version changed.)
	if err := t.lockMessageRow(ctx, id); err != nil {
		return dissent.Message{}, err
	}
	return t.loadMessage(ctx, id, readWhole)
}

func (t *txn) lockMessageRow(ctx context.Context, id dissent.MessageID) error {
	if t.d == Postgres {
		if _, err := t.q.ExecContext(ctx, `SELECT 1 FROM messages WHERE id = $1 FOR NO KEY UPDATE`, string(id)); err != nil {
			return fmt.Errorf("lock message: %w", err)
		}
	}
	return nil
}

func (t *txn) LockMessageCounts(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	if m, ok, err := t.cachedCounts(ctx, id); ok || err != nil {
		return m, err
	}
	if err := t.lockMessageRow(ctx, id); err != nil {
		return dissent.Message{}, err
	}
	m, err := t.loadMessage(ctx, id, readCounts)
	if err == nil {
		t.keepCounts(m)
	}
	return m, err
}

func (t *txn) UpdateMessageCounts(ctx context.Context, m dissent.Message) error {
	held := t.heldCounts(m.ID)
	res, err := t.q.ExecContext(ctx, `UPDATE messages SET signature_count = $2, updated = $3 WHERE id = $1`, string(m.ID), m.SignatureCount, ns(m.Updated))
	if err != nil {
		return fmt.Errorf("update message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("message")
	}
	t.wroteCounts(held, m)
	if !m.SubmittedAt.IsZero() {
		return t.bumpMetaVersion(ctx, m.ID)
	}
	return nil
}

// unsealDrafter opens only the drafter of a message (LockMessageCounts).
func (t *txn) unsealDrafter(ctx context.Context, r rawMessage) (dissent.Message, error) {
	m := r.m
	var err error
	m.DrafterID, err = t.openPerson(ctx, m.ID, "messages", string(m.ID), "drafter_sealed", r.drafter)
	return m, err
}

func (t *txn) UpdateMessage(ctx context.Context, m dissent.Message) error {
	ext, err := t.sealOptional(ctx, m.ID, "messages", string(m.ID), "extension_note", m.ExtensionNote)
	if err != nil {
		return err
	}
	redir, err := t.sealOptional(ctx, m.ID, "messages", string(m.ID), "redirect_note", m.RedirectNote)
	if err != nil {
		return err
	}
	related, err := t.sealRelated(ctx, m)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, `UPDATE messages SET state = $2, version = $3, signature_count = $4, updated = $5,
		submitted_at = $6, acknowledge_by = $7, reply_by = $8, reply_days = $9, extension_note = $10, acknowledged_at = $11,
		replied_at = $12, closed_at = $13, redirect_note = $14, redirect_to = $15, tier = $16, related = $17 WHERE id = $1`,
		string(m.ID), string(m.State), m.Version, m.SignatureCount, ns(m.Updated), ns(m.SubmittedAt), deadline(m.AcknowledgeBy),
		deadline(m.ReplyBy), m.ReplyDays, ext, ns(m.AcknowledgedAt), ns(m.RepliedAt), ns(m.ClosedAt), redir, m.RedirectTo, m.Tier, related)
	if err != nil {
		return fmt.Errorf("update message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return dissent.ErrNotFound("message")
	}
	if !m.SubmittedAt.IsZero() {
		return t.bumpMetaVersion(ctx, m.ID) // the inbox and statistics see submitted messages only
	}
	return nil
}

func (t *txn) AddVersion(ctx context.Context, v dissent.Version) error {
	row := versionRow(v.MessageID, v.Number)
	var cols [3][]byte
	for i, f := range []struct {
		name string
		v    dissent.Text
	}{{"title", v.Title}, {"summary", v.Summary}, {"body", v.Body}} {
		var err error
		if cols[i], err = t.sealText(ctx, v.MessageID, "message_versions", row, f.name, f.v); err != nil {
			return err
		}
	}
	return t.exec(ctx, "insert version", `INSERT INTO message_versions (message_id, number, title, summary, body, content_hash, author_tag, created,
		classification, topic, attachments)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		string(v.MessageID), v.Number, cols[0], cols[1], cols[2], v.ContentHash, t.tag(v.MessageID, v.AuthorID), ns(v.Created),
		v.Classification, v.Topic, attachmentIDs(v.Attachments))
}

func (t *txn) Versions(ctx context.Context, id dissent.MessageID) ([]dissent.Version, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT number, title, summary, body, content_hash, created, classification, topic, attachments
		FROM message_versions WHERE message_id = $1 ORDER BY number`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	type raw struct {
		v                    dissent.Version
		title, summary, body []byte
		attachments          string
	}
	var rs []raw
	for rows.Next() {
		r := raw{v: dissent.Version{MessageID: id}}
		var created sql.NullInt64
		if err := rows.Scan(&r.v.Number, &r.title, &r.summary, &r.body, &r.v.ContentHash, &created, &r.v.Classification, &r.v.Topic, &r.attachments); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan version: %w", err)
		}
		r.v.Created = fromNS(created)
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	out := make([]dissent.Version, len(rs))
	for i, r := range rs {
		row := versionRow(id, r.v.Number)
		v := r.v
		if v.Title, err = t.openText(ctx, id, "message_versions", row, "title", r.title); err != nil {
			return nil, err
		}
		if v.Summary, err = t.openText(ctx, id, "message_versions", row, "summary", r.summary); err != nil {
			return nil, err
		}
		if v.Body, err = t.openText(ctx, id, "message_versions", row, "body", r.body); err != nil {
			return nil, err
		}
		if v.Attachments, err = t.attachmentsByIDs(ctx, id, r.attachments); err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// closeRows closes rows and reports the iteration's error: rows must be
// closed before other queries run on the transaction's one connection.
func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *txn) messages(ctx context.Context, where string, args ...any) ([]dissent.Message, error) {
	return t.listMessages(ctx, readWhole, where, args...)
}

// unsealTitle opens only the drafter and the title of a message: the
// summary, the body, the notes, the related messages and the attachments
// stay empty.
func (t *txn) unsealTitle(ctx context.Context, r rawMessage) (dissent.Message, error) {
	m, err := t.unsealDrafter(ctx, r)
	if err != nil {
		return m, err
	}
	m.Title, err = t.openText(ctx, m.ID, "message_versions", versionRow(m.ID, m.Version), "title", r.title)
	return m, err
}

func (t *txn) listMessages(ctx context.Context, rd messageRead, where string, args ...any) ([]dissent.Message, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+rd.cols+messageFrom+` WHERE `+where+` ORDER BY m.created DESC, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	var raws []rawMessage
	for rows.Next() {
		r, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan message: %w", err)
		}
		raws = append(raws, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	ids := make([]dissent.MessageID, len(raws))
	for i, r := range raws {
		ids[i] = r.m.ID
	}
	if err := t.preloadKeys(ctx, ids); err != nil {
		return nil, err
	}
	out := make([]dissent.Message, len(raws))
	for i, r := range raws {
		if out[i], err = rd.unseal(t, ctx, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MessagesOf lists the messages the person takes part in, through their
// participation index (pseudonym.go), and those sent to them as principal or
// reviewer. Each index entry is checked against the message's own rows under
// the message's tag.
func (t *txn) MessagesOf(ctx context.Context, person dissent.PersonID) ([]dissent.Message, error) {
	return t.messagesOf(ctx, readWhole, person)
}

// MessageHeader is Message with only the drafter and the title read and
// opened.
func (t *txn) MessageHeader(ctx context.Context, id dissent.MessageID) (dissent.Message, error) {
	return t.loadMessage(ctx, id, readTitle)
}

// MessageTitlesOf is MessagesOf with only the drafter and the title opened.
func (t *txn) MessageTitlesOf(ctx context.Context, person dissent.PersonID) ([]dissent.Message, error) {
	return t.messagesOf(ctx, readTitle, person)
}

func (t *txn) messagesOf(ctx context.Context, rd messageRead, person dissent.PersonID) ([]dissent.Message, error) {
	idx, err := t.participations(ctx, []dissent.PersonID{person})
	if err != nil {
		return nil, err
	}
	tags := make([][]byte, 0, len(idx[person]))
	for _, id := range idx[person] {
		tags = append(tags, t.tag(id, person))
	}
	ids := map[dissent.MessageID]bool{}
	if err := t.taggedMessages(ctx, ids, `SELECT id FROM messages WHERE drafter_tag IN (%[1]s)
		UNION SELECT message_id FROM coauthors WHERE person_tag IN (%[1]s)
		UNION SELECT message_id FROM signatures WHERE withdrawn IS NULL AND signer_tag IN (%[1]s)
		UNION SELECT message_id FROM invitations WHERE person_tag IN (%[1]s)
		UNION SELECT message_id FROM endorsers WHERE person_tag IN (%[1]s)`, tags); err != nil {
		return nil, err
	}
	if err := t.idSet(ctx, ids, `SELECT message_id FROM consultations WHERE reviewer_id = $1
		UNION SELECT message_id FROM distribution WHERE person_id = $1`, int64(person)); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, string(id))
	}
	var out []dissent.Message
	for start := 0; start < len(list); start += inChunk {
		chunk := list[start:min(start+inChunk, len(list))]
		ms, err := t.listMessages(ctx, rd, `m.id IN (`+placeholders(1, len(chunk))+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	slices.SortStableFunc(out, func(a, b dissent.Message) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	return out, nil
}

func (t *txn) SubmittedMessages(ctx context.Context) ([]dissent.Message, error) {
	return t.messages(ctx, `m.submitted_at IS NOT NULL`)
}

// subordinates returns everyone the person supervises, directly or
// indirectly, in one query. The org chart is not secret; who of them takes
// part in a message is, so the comparison happens on the message's
// pseudonyms, computed here for the message at hand.
func (t *txn) subordinates(ctx context.Context, person dissent.PersonID) ([]dissent.PersonID, error) {
	if person == 0 {
		return nil, nil
	}
	if ids, ok := t.subs[person]; ok {
		return ids, nil
	}
	t.countStat(func(c *counters) { c.chainQueries.Add(1) })
	ids, err := queryColumn[dissent.PersonID](ctx, t.q, "management chain", `WITH RECURSIVE sub(id) AS (
		SELECT id FROM people WHERE supervisor_id = $1
		UNION
		SELECT p.id FROM people p JOIN sub ON p.supervisor_id = sub.id
	) SELECT id FROM sub`, int64(person))
	if err != nil {
		return nil, err
	}
	if t.metas != nil { // a read-only snapshot (View)
		if t.subs == nil {
			t.subs = map[dissent.PersonID][]dissent.PersonID{}
		}
		t.subs[person] = ids
	}
	return ids, nil
}

// subordinateTags returns the tags, on message id, of everyone the person
// supervises.
func (t *txn) subordinateTags(ctx context.Context, id dissent.MessageID, person dissent.PersonID) (map[string]bool, error) {
	subs, err := t.subordinates(ctx, person)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(subs))
	for _, s := range subs {
		out[string(t.tag(id, s))] = true
	}
	return out, nil
}

// participantTags returns the pseudonyms of the message's drafter,
// co-authors and active signers.
func (t *txn) participantTags(ctx context.Context, id dissent.MessageID) ([][]byte, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT drafter_tag FROM messages WHERE id = $1
		UNION SELECT person_tag FROM coauthors WHERE message_id = $1
		UNION SELECT signer_tag FROM signatures WHERE message_id = $1 AND withdrawn IS NULL`, string(id))
	if err != nil {
		return nil, fmt.Errorf("read participants: %w", err)
	}
	var out [][]byte
	for rows.Next() {
		var tag []byte
		if err := rows.Scan(&tag); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan participant: %w", err)
		}
		out = append(out, tag)
	}
	return out, closeRows(rows)
}

func (t *txn) Relation(ctx context.Context, id dissent.MessageID, person dissent.PersonID, now time.Time) (dissent.Facts, error) {
	var f dissent.Facts
	tag := t.tag(id, person)
	err := t.q.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM coauthors WHERE message_id = $1 AND person_tag = $2),
		EXISTS (SELECT 1 FROM signatures WHERE message_id = $1 AND signer_tag = $2 AND withdrawn IS NULL),
		EXISTS (SELECT 1 FROM invitations WHERE message_id = $1 AND person_tag = $2),
		EXISTS (SELECT 1 FROM endorsers WHERE message_id = $1 AND person_tag = $2),
		EXISTS (SELECT 1 FROM consultations WHERE message_id = $1 AND reviewer_id = $3 AND answered_at IS NULL AND due > $4),
		EXISTS (SELECT 1 FROM distribution WHERE message_id = $1 AND person_id = $3)`,
		string(id), tag, int64(person), now.UnixNano()).
		Scan(&f.Coauthor, &f.Signer, &f.Invitee, &f.Endorser, &f.Consulted, &f.Distributed)
	if err != nil {
		return dissent.Facts{}, fmt.Errorf("read relation: %w", err)
	}
	if f.TakesPart() {
		return f, nil // recused whatever the chain (Facts.InChain)
	}
	subs, err := t.subordinateTags(ctx, id, person)
	if err != nil || len(subs) == 0 {
		return f, err
	}
	parts, err := t.participantTags(ctx, id)
	if err != nil {
		return f, err
	}
	for _, p := range parts {
		if subs[string(p)] {
			f.InChain = true
			break
		}
	}
	return f, nil
}

// Relations is Relation for many messages in a few queries: the tagged
// rows of the messages listed, the person's consultations and distribution,
// the management chain once, and the messages' participants in bulk.
func (t *txn) Relations(ctx context.Context, ids []dissent.MessageID, person dissent.PersonID, now time.Time) (map[dissent.MessageID]dissent.Facts, error) {
	out := make(map[dissent.MessageID]dissent.Facts, len(ids))
	for _, id := range ids {
		out[id] = dissent.Facts{}
	}
	if len(ids) == 0 || person == 0 {
		return out, nil
	}
	tags := make([][]byte, len(ids))
	for i, id := range ids {
		tags[i] = t.tag(id, person)
	}
	var coauthor, signer, invitee, endorser, consulted, distributed, inChain = map[dissent.MessageID]bool{}, map[dissent.MessageID]bool{},
		map[dissent.MessageID]bool{}, map[dissent.MessageID]bool{}, map[dissent.MessageID]bool{}, map[dissent.MessageID]bool{}, map[dissent.MessageID]bool{}
	for _, q := range []struct {
		into map[dissent.MessageID]bool
		q    string
	}{
		{coauthor, `SELECT message_id FROM coauthors WHERE person_tag IN (%s)`},
		{signer, `SELECT message_id FROM signatures WHERE withdrawn IS NULL AND signer_tag IN (%s)`},
		{invitee, `SELECT message_id FROM invitations WHERE person_tag IN (%s)`},
		{endorser, `SELECT message_id FROM endorsers WHERE person_tag IN (%s)`},
	} {
		if err := t.taggedMessages(ctx, q.into, q.q, tags); err != nil {
			return nil, err
		}
	}
	if err := t.idSet(ctx, consulted, `SELECT message_id FROM consultations WHERE reviewer_id = $1 AND answered_at IS NULL AND due > $2`, int64(person), now.UnixNano()); err != nil {
		return nil, err
	}
	if err := t.idSet(ctx, distributed, `SELECT message_id FROM distribution WHERE person_id = $1`, int64(person)); err != nil {
		return nil, err
	}
	subs, err := t.subordinates(ctx, person)
	if err != nil {
		return nil, err
	}
	if len(subs) > 0 {
		// As Relation: a message is in the chain when one of its
		// participants' tags is one of the subordinates' tags on it.
		err := inChunks(ids, func(args []any, n int) error {
			ph := placeholders(1, n)
			rows, err := t.q.QueryContext(ctx, `SELECT id, drafter_tag FROM messages WHERE id IN (`+ph+`)
				UNION SELECT message_id, person_tag FROM coauthors WHERE message_id IN (`+ph+`)
				UNION SELECT message_id, signer_tag FROM signatures WHERE message_id IN (`+ph+`) AND withdrawn IS NULL`, args...)
			if err != nil {
				return fmt.Errorf("read participants: %w", err)
			}
			parts := map[dissent.MessageID][][]byte{}
			for rows.Next() {
				var id string
				var tag []byte
				if err := rows.Scan(&id, &tag); err != nil {
					rows.Close()
					return fmt.Errorf("scan participant: %w", err)
				}
				parts[dissent.MessageID(id)] = append(parts[dissent.MessageID(id)], tag)
			}
			if err := closeRows(rows); err != nil {
				return fmt.Errorf("read participants: %w", err)
			}
			for id, ps := range parts {
				subTags := make(map[string]bool, len(subs))
				for _, p := range subs {
					subTags[string(t.tag(id, p))] = true
				}
				for _, p := range ps {
					if subTags[string(p)] {
						inChain[id] = true
						break
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		f := dissent.Facts{Coauthor: coauthor[id], Signer: signer[id], Invitee: invitee[id], Endorser: endorser[id],
			Consulted: consulted[id], Distributed: distributed[id]}
		f.InChain = inChain[id] && !f.TakesPart() // as Relation
		out[id] = f
	}
	return out, nil
}

// MessageStates implements dissent.LogTx.
func (t *txn) MessageStates(ctx context.Context) (map[dissent.MessageID]dissent.MessageState, error) {
	out := map[dissent.MessageID]dissent.MessageState{}
	rows, err := t.q.QueryContext(ctx, `SELECT id, state, version FROM messages`)
	if err != nil {
		return nil, fmt.Errorf("read message states: %w", err)
	}
	for rows.Next() {
		var id dissent.MessageID
		st := dissent.MessageState{Signatures: map[int]int{}}
		if err := rows.Scan(&id, &st.State, &st.Version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan message state: %w", err)
		}
		out[id] = st
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read message states: %w", err)
	}
	rows, err = t.q.QueryContext(ctx, `SELECT message_id, version, COUNT(*) FROM signatures WHERE withdrawn IS NULL GROUP BY message_id, version`)
	if err != nil {
		return nil, fmt.Errorf("count signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id dissent.MessageID
		var v, n int
		if err := rows.Scan(&id, &v, &n); err != nil {
			return nil, fmt.Errorf("scan signature count: %w", err)
		}
		st, ok := out[id]
		if !ok {
			st = dissent.MessageState{Signatures: map[int]int{}}
			out[id] = st
		}
		st.Signatures[v] = n
	}
	return out, rows.Err()
}

// peopleByID reads people (without roles) by id, in chunks.
func (t *txn) peopleByID(ctx context.Context, ids []dissent.PersonID) (map[dissent.PersonID]dissent.Person, error) {
	out := make(map[dissent.PersonID]dissent.Person, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			args[i] = int64(id)
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err := t.q.QueryContext(ctx, `SELECT `+personCols+` FROM people p WHERE p.id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
		for rows.Next() {
			p, err := scanPersonCols(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan person: %w", err)
			}
			out[p.ID] = p
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("read people: %w", err)
		}
	}
	return out, nil
}
