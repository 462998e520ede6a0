package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dissent-channel/dissent"
)

// inChunk is how many values one IN list holds, well below the parameter
// limits of both SQLite (32766) and PostgreSQL (65535).
const inChunk = 500

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + itoa(from+i))
	}
	return b.String()
}

// inChunks calls fn with ids in chunks of at most inChunk, as bind
// arguments, and how many there are: a list of values in an IN (…) stays
// under every backend's limit on bound parameters.
func inChunks(ids []dissent.MessageID, fn func(args []any, n int) error) error {
	for rest := ids; len(rest) > 0; {
		n := min(len(rest), inChunk)
		args := make([]any, n)
		for i := range n {
			args[i] = string(rest[i])
		}
		rest = rest[n:]
		if err := fn(args, n); err != nil {
			return err
		}
	}
	return nil
}

// idSet runs a query whose first column is a message id and collects the
// ids.
func (t *txn) idSet(ctx context.Context, into map[dissent.MessageID]bool, q string, args ...any) error {
	rows, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list related messages: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("scan related message: %w", err)
		}
		into[dissent.MessageID(id)] = true
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("list related messages: %w", err)
	}
	return nil
}

// relations is how one reader relates to every message, gathered in a few
// queries rather than a few per message.
type relations struct {
	drafter, coauthor, signer, invitee, endorser, consulted map[dissent.MessageID]bool
	assigned, inChain                                       map[dissent.MessageID]bool
	distributed                                             map[dissent.MessageID]time.Time
}

// participantQuery lists the messages where a tag of the list (%[1]s) is
// the drafter's, a co-author's or an active signer's: the people whose
// management chain is recused.
const participantQuery = `SELECT id FROM messages WHERE drafter_tag IN (%[1]s)
	UNION SELECT message_id FROM coauthors WHERE person_tag IN (%[1]s)
	UNION SELECT message_id FROM signatures WHERE withdrawn IS NULL AND signer_tag IN (%[1]s)`

// relations reads how the reader relates to every message; the messages
// assigned to them only with assigned.
func (t *txn) relations(ctx context.Context, reader dissent.PersonID, now time.Time, assigned bool) (relations, error) {
	r := relations{distributed: map[dissent.MessageID]time.Time{}}
	sets := []*map[dissent.MessageID]bool{&r.drafter, &r.coauthor, &r.signer, &r.invitee, &r.endorser, &r.consulted, &r.assigned, &r.inChain}
	for _, p := range sets {
		*p = map[dissent.MessageID]bool{}
	}
	if reader == 0 {
		return r, nil
	}
	// The reader's own messages: their participation index, each entry
	// checked under the message's tag.
	idx, err := t.participations(ctx, []dissent.PersonID{reader})
	if err != nil {
		return r, err
	}
	tags := make([][]byte, 0, len(idx[reader]))
	for _, id := range idx[reader] {
		tags = append(tags, t.tag(id, reader))
	}
	tagged := []struct {
		into map[dissent.MessageID]bool
		q    string
	}{
		{r.drafter, `SELECT id FROM messages WHERE drafter_tag IN (%s)`},
		{r.coauthor, `SELECT message_id FROM coauthors WHERE person_tag IN (%s)`},
		{r.signer, `SELECT message_id FROM signatures WHERE withdrawn IS NULL AND signer_tag IN (%s)`},
		{r.invitee, `SELECT message_id FROM invitations WHERE person_tag IN (%s)`},
		{r.endorser, `SELECT message_id FROM endorsers WHERE person_tag IN (%s)`},
	}
	if len(tags) > 0 {
		for _, q := range tagged {
			if err := t.taggedMessages(ctx, q.into, q.q, tags); err != nil {
				return r, err
			}
		}
	}
	queries := []struct {
		into map[dissent.MessageID]bool
		q    string
		args []any
	}{
		{r.consulted, `SELECT message_id FROM consultations WHERE reviewer_id = $1 AND answered_at IS NULL AND due > $2`, []any{int64(reader), now.UnixNano()}},
		{r.assigned, `SELECT message_id FROM assignments WHERE person_id = $1`, []any{int64(reader)}},
	}
	if !assigned {
		queries = queries[:1]
	}
	for _, q := range queries {
		if err := t.idSet(ctx, q.into, q.q, q.args...); err != nil {
			return r, err
		}
	}
	rows, err := t.q.QueryContext(ctx, `SELECT message_id, created FROM distribution WHERE person_id = $1`, int64(reader))
	if err != nil {
		return r, fmt.Errorf("list distribution: %w", err)
	}
	for rows.Next() {
		var id string
		var at sql.NullInt64
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return r, fmt.Errorf("scan distribution: %w", err)
		}
		r.distributed[dissent.MessageID(id)] = fromNS(at)
	}
	if err := closeRows(rows); err != nil {
		return r, fmt.Errorf("list distribution: %w", err)
	}
	// The management chain: every message one of the reader's subordinates
	// drafted, co-authors or signs (as Relation's InChain). The
	// subordinates' ids come from one query; their participation indexes say
	// which messages to compute their tags for.
	subs, err := t.subordinates(ctx, reader)
	if err != nil || len(subs) == 0 {
		return r, err
	}
	subIdx, err := t.participations(ctx, subs)
	if err != nil {
		return r, err
	}
	var subTags [][]byte
	for p, ids := range subIdx {
		for _, id := range ids {
			subTags = append(subTags, t.tag(id, p))
		}
	}
	if err := t.taggedMessages(ctx, r.inChain, participantQuery, subTags); err != nil {
		return r, err
	}
	return r, nil
}

func (t *txn) ReaderRelations(ctx context.Context, reader dissent.PersonID, now time.Time, assigned bool) (dissent.ReaderRelations, error) {
	r, err := t.relations(ctx, reader, now, assigned)
	if err != nil {
		return dissent.ReaderRelations{}, err
	}
	out := dissent.ReaderRelations{Drafter: r.drafter, Coauthor: r.coauthor, Signer: r.signer, Invitee: r.invitee, Endorser: r.endorser,
		Consulted: r.consulted, InChain: r.inChain, Distributed: r.distributed}
	if assigned {
		out.Assigned = r.assigned
	}
	return out, nil
}

func (t *txn) AssignedOf(ctx context.Context, reader dissent.PersonID, ids []dissent.MessageID) (map[dissent.MessageID]bool, error) {
	out := map[dissent.MessageID]bool{}
	err := inChunks(ids, func(args []any, n int) error {
		return t.idSet(ctx, out, `SELECT message_id FROM assignments WHERE person_id = $1 AND message_id IN (`+placeholders(2, n)+`)`,
			append([]any{int64(reader)}, args...)...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// metaCache keeps the metadata of every submitted message (without any
// reader's relation), with the meta_version it was read at. A transaction
// uses it only when it reads the same version in its own snapshot, so a
// reader never sees older metadata than the database holds; when the
// version moved on, it reads again only the messages changed since
// (meta_changes), or everything when too much changed.
type metaCache struct {
	mu      sync.Mutex
	version int64
	chunks  [][]dissent.MessageMeta // nil: nothing cached; never changed in place once shared
	index   map[dissent.MessageID]int
}

// Keep the last metaChangesKept changes; a cache further behind reads
// everything again, as it does when more than metaRefreshMax changed.
const (
	metaChangesKept = 20000
	metaRefreshMax  = 2000
)

// bumpMetaVersion counts a change to a submitted message's metadata, in
// the transaction of the change, and records which message changed.
func (t *txn) bumpMetaVersion(ctx context.Context, id dissent.MessageID) error {
	var n int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO meta_version (id, n) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET n = meta_version.n + 1 RETURNING n`).Scan(&n)
	if err != nil {
		return fmt.Errorf("count a metadata change: %w", err)
	}
	if err := t.exec(ctx, "record a metadata change", `INSERT INTO meta_changes (n, message_id) VALUES ($1, $2)`, n, string(id)); err != nil {
		return err
	}
	if n%1000 == 0 {
		return t.exec(ctx, "prune metadata changes", `DELETE FROM meta_changes WHERE n <= $1`, n-metaChangesKept)
	}
	return nil
}

func (t *txn) metaVersion(ctx context.Context) (int64, error) {
	var n int64
	err := t.q.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM meta_version WHERE id = 1), 0)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the metadata version: %w", err)
	}
	return n, nil
}

// allSubmittedMeta returns the metadata of every submitted message, from
// the cache when it is current in this transaction's snapshot, in chunks of
// dissent.MetaChunk, with its index by id and the metadata version it was
// read at. The chunks and the index are shared: callers copy what they keep
// and change nothing in them.
func (t *txn) allSubmittedMeta(ctx context.Context) ([][]dissent.MessageMeta, map[dissent.MessageID]int, int64, error) {
	v, err := t.metaVersion(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if t.metas == nil {
		rows, err := t.loadMeta(ctx, metaQuery, nil)
		if err != nil {
			return nil, nil, 0, err
		}
		return chunkMeta(rows), indexMeta(rows), v, nil
	}
	c := t.metas
	c.mu.Lock()
	chunks, index, at := c.chunks, c.index, c.version
	c.mu.Unlock()
	switch {
	case chunks != nil && at == v:
		return chunks, index, v, nil
	case chunks != nil && at < v && v-at <= metaRefreshMax:
		if fresh, fidx, ok, err := t.refreshMeta(ctx, chunks, index, at, v); err != nil {
			return nil, nil, 0, err
		} else if ok {
			t.storeMeta(fresh, fidx, v)
			return fresh, fidx, v, nil
		}
	}
	rows, err := t.loadMeta(ctx, metaQuery, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	chunks, index = chunkMeta(rows), indexMeta(rows)
	t.storeMeta(chunks, index, v)
	return chunks, index, v, nil
}

// chunkMeta cuts rows into chunks of dissent.MetaChunk, each clipped so that
// an append to one copies it.
func chunkMeta(rows []dissent.MessageMeta) [][]dissent.MessageMeta {
	chunks := make([][]dissent.MessageMeta, 0, (len(rows)+dissent.MetaChunk-1)/dissent.MetaChunk)
	for lo := 0; lo < len(rows); lo += dissent.MetaChunk {
		chunks = append(chunks, slices.Clip(rows[lo:min(lo+dissent.MetaChunk, len(rows))]))
	}
	return chunks
}

func indexMeta(rows []dissent.MessageMeta) map[dissent.MessageID]int {
	index := make(map[dissent.MessageID]int, len(rows))
	for i, m := range rows {
		index[m.ID] = i
	}
	return index
}

// SubmittedSnapshot returns the shared chunks of allSubmittedMeta: no
// copy, no reader's relation.
func (t *txn) SubmittedSnapshot(ctx context.Context) (dissent.MetaSnapshot, error) {
	chunks, index, v, err := t.allSubmittedMeta(ctx)
	if err != nil {
		return dissent.MetaSnapshot{}, err
	}
	return dissent.MetaSnapshot{Version: v, Chunks: slices.Clip(chunks), Index: index}, nil
}

func (t *txn) MetaChanges(ctx context.Context, since, upto int64) ([]dissent.MessageID, bool, error) {
	if since > upto {
		return nil, false, nil
	}
	return t.metaChanges(ctx, since, upto)
}

// metaChanges lists, once each, the messages whose metadata changed after
// version at, up to v. It reports false when the changes since at are no
// longer all recorded (pruned).
func (t *txn) metaChanges(ctx context.Context, at, v int64) ([]dissent.MessageID, bool, error) {
	qr, err := t.q.QueryContext(ctx, `SELECT n, message_id FROM meta_changes WHERE n > $1 AND n <= $2 ORDER BY n`, at, v)
	if err != nil {
		return nil, false, fmt.Errorf("list metadata changes: %w", err)
	}
	var ids []dissent.MessageID
	seen := map[dissent.MessageID]bool{}
	next := at + 1
	for qr.Next() {
		var n int64
		var id string
		if err := qr.Scan(&n, &id); err != nil {
			qr.Close()
			return nil, false, fmt.Errorf("scan metadata change: %w", err)
		}
		if n != next { // a gap: pruned, or not ours to see
			qr.Close()
			return nil, false, nil
		}
		next++
		if !seen[dissent.MessageID(id)] {
			seen[dissent.MessageID(id)] = true
			ids = append(ids, dissent.MessageID(id))
		}
	}
	if err := closeRows(qr); err != nil {
		return nil, false, fmt.Errorf("list metadata changes: %w", err)
	}
	if next != v+1 {
		return nil, false, nil
	}
	return ids, true, nil
}

// storeMeta keeps chunks read at version v unless the cache holds newer ones.
func (t *txn) storeMeta(chunks [][]dissent.MessageMeta, index map[dissent.MessageID]int, v int64) {
	c := t.metas
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chunks == nil || v >= c.version {
		c.chunks, c.index, c.version = slices.Clip(chunks), index, v
	}
}

// refreshMeta reads again the messages changed after version at, up to v,
// into a copy of chunks that copies only the chunks changed. It reports
// false when the changes since at are no longer all recorded (pruned).
func (t *txn) refreshMeta(ctx context.Context, chunks [][]dissent.MessageMeta, index map[dissent.MessageID]int, at, v int64) ([][]dissent.MessageMeta, map[dissent.MessageID]int, bool, error) {
	ids, ok, err := t.metaChanges(ctx, at, v)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	fresh := slices.Clone(chunks)
	copied := map[int]bool{} // chunks already copied: the others are shared
	chunk := func(c int) []dissent.MessageMeta {
		if !copied[c] {
			fresh[c], copied[c] = slices.Clone(fresh[c]), true
		}
		return fresh[c]
	}
	n := 0
	if len(fresh) > 0 {
		n = (len(fresh)-1)*dissent.MetaChunk + len(fresh[len(fresh)-1])
	}
	fidx, cloned := index, false // the index is shared too: copied before a new message is added
	for len(ids) > 0 {
		k := min(len(ids), inChunk)
		args := make([]any, k)
		for i := range k {
			args[i] = string(ids[i])
		}
		ids = ids[k:]
		changed, err := t.loadMeta(ctx, metaQuery+` AND id IN (`+placeholders(1, k)+`)`, args)
		if err != nil {
			return nil, nil, false, err
		}
		for _, m := range changed {
			if i, ok := fidx[m.ID]; ok {
				chunk(i / dissent.MetaChunk)[i%dissent.MetaChunk] = m
				continue
			}
			if !cloned {
				fidx, cloned = maps.Clone(index), true
			}
			fidx[m.ID] = n
			if c := n / dissent.MetaChunk; c < len(fresh) {
				fresh[c] = append(chunk(c), m)
			} else {
				fresh = append(fresh, append(make([]dissent.MessageMeta, 0, dissent.MetaChunk), m))
				copied[c] = true
			}
			n++
		}
	}
	return fresh, fidx, true, nil
}

// metaQuery lists only the columns the listing needs: at 10,000 messages,
// every column scanned costs about a millisecond.
const metaQuery = `SELECT id, org_id, state, signature_count, submitted_at, acknowledge_by, reply_by, reply_days,
		acknowledged_at, replied_at, tier,
		(SELECT v.topic FROM message_versions v WHERE v.message_id = messages.id AND v.number = messages.version)
		FROM messages WHERE submitted_at IS NOT NULL`

func (t *txn) SubmittedMeta(ctx context.Context, q dissent.MetaQuery) ([]dissent.MessageMeta, error) {
	if q.Fresh && t.metas != nil {
		c := t.metas
		t.metas = nil
		defer func() { t.metas = c }()
	}
	rel, err := t.relations(ctx, q.Reader, q.Now, true)
	if err != nil {
		return nil, err
	}
	var chunks [][]dissent.MessageMeta
	if !q.Distributed && len(q.IDs) == 0 {
		chunks, _, _, err = t.allSubmittedMeta(ctx)
	} else {
		var base []dissent.MessageMeta
		query := metaQuery
		var args []any
		if q.Distributed {
			args = append(args, int64(q.Reader))
			query += ` AND id IN (SELECT message_id FROM distribution WHERE person_id = $1)`
		}
		if len(q.IDs) > 0 {
			if len(q.IDs) > inChunk {
				return nil, fmt.Errorf("list message metadata: %d ids; at most %d", len(q.IDs), inChunk)
			}
			query += ` AND id IN (` + placeholders(len(args)+1, len(q.IDs)) + `)`
			for _, id := range q.IDs {
				args = append(args, string(id))
			}
		}
		base, err = t.loadMeta(ctx, query, args)
		chunks = [][]dissent.MessageMeta{base}
	}
	if err != nil {
		return nil, err
	}
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	out := make([]dissent.MessageMeta, 0, n)
	for m := range rowsOf(chunks) {
		if len(q.States) > 0 && !slices.Contains(q.States, m.State) {
			continue
		}
		m.Facts = dissent.Facts{
			Drafter:   rel.drafter[m.ID],
			Coauthor:  rel.coauthor[m.ID],
			Signer:    rel.signer[m.ID],
			Invitee:   rel.invitee[m.ID],
			Endorser:  rel.endorser[m.ID],
			Consulted: rel.consulted[m.ID],
			InChain:   rel.inChain[m.ID],
			Submitted: true,
		}
		m.Facts.InChain = m.Facts.InChain && !m.Facts.TakesPart() // as Relation
		m.DistributedAt, m.Facts.Distributed = rel.distributed[m.ID]
		m.Assigned = rel.assigned[m.ID]
		out = append(out, m)
	}
	return out, nil
}

// rowsOf yields the rows of chunks in order.
func rowsOf(chunks [][]dissent.MessageMeta) func(yield func(dissent.MessageMeta) bool) {
	return func(yield func(dissent.MessageMeta) bool) {
		for _, c := range chunks {
			for _, m := range c {
				if !yield(m) {
					return
				}
			}
		}
	}
}

// loadMeta runs a metadata query (metaQuery, narrowed) and converts its rows.
func (t *txn) loadMeta(ctx context.Context, query string, args []any) ([]dissent.MessageMeta, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+query+`) q`, args...).Scan(&n); err != nil {
		return nil, fmt.Errorf("count message metadata: %w", err)
	}
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list message metadata: %w", err)
	}
	// Organizations, states and deadlines repeat from row to row: each
	// distinct value is converted once.
	strs := map[string]string{}
	intern := func(b sql.RawBytes) string {
		if s, ok := strs[string(b)]; ok {
			return s
		}
		s := string(b)
		strs[s] = s
		return s
	}
	deadlines := map[string]time.Time{}
	parse := func(b sql.RawBytes) (time.Time, error) {
		if len(b) == 0 {
			return time.Time{}, nil
		}
		if d, ok := deadlines[string(b)]; ok {
			return d, nil
		}
		d, err := fromDeadline(sql.NullString{String: string(b), Valid: true})
		deadlines[string(b)] = d
		return d, err
	}
	out := make([]dissent.MessageMeta, 0, n)
	// One set of destinations for every row: Scan's pointers would
	// otherwise move each row's variables to the heap.
	var (
		id                         string
		org, state, ackBy, replyBy sql.RawBytes
		tier, topic                sql.RawBytes
		signatures, replyDays      int
		submitted, acked, replied  sql.NullInt64
	)
	dest := []any{&id, &org, &state, &signatures, &submitted, &ackBy, &replyBy, &replyDays, &acked, &replied, &tier, &topic}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan message metadata: %w", err)
		}
		m := dissent.MessageMeta{ID: dissent.MessageID(id), OrgID: intern(org), State: dissent.State(intern(state)),
			SignatureCount: signatures, ReplyDays: replyDays, Tier: intern(tier), Topic: intern(topic)}
		m.SubmittedAt, m.AcknowledgedAt, m.RepliedAt = fromNS(submitted), fromNS(acked), fromNS(replied)
		if m.AcknowledgeBy, err = parse(ackBy); err == nil {
			m.ReplyBy, err = parse(replyBy)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("message %s: %w", id, err)
		}
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list message metadata: %w", err)
	}
	return out, nil
}

func (t *txn) Titles(ctx context.Context, ids []dissent.MessageID) (map[dissent.MessageID]dissent.Text, error) {
	type raw struct {
		version int
		title   []byte
	}
	raws := make(map[dissent.MessageID]raw, len(ids))
	err := inChunks(ids, func(args []any, n int) error {
		rows, err := t.q.QueryContext(ctx, `SELECT m.id, m.version, v.title`+messageFrom+` WHERE m.id IN (`+placeholders(1, n)+`)`, args...)
		if err != nil {
			return fmt.Errorf("read titles: %w", err)
		}
		for rows.Next() {
			var id string
			var r raw
			if err := rows.Scan(&id, &r.version, &r.title); err != nil {
				rows.Close()
				return fmt.Errorf("scan title: %w", err)
			}
			raws[dissent.MessageID(id)] = r
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("read titles: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := t.preloadKeys(ctx, ids); err != nil {
		return nil, err
	}
	out := make(map[dissent.MessageID]dissent.Text, len(ids))
	for _, id := range ids {
		r, ok := raws[id]
		if !ok {
			return nil, dissent.ErrNotFound("message")
		}
		var err error
		if out[id], err = t.openText(ctx, id, "message_versions", versionRow(id, r.version), "title", r.title); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) ConsultationsFor(ctx context.Context, reviewer dissent.PersonID) ([]dissent.Consultation, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, message_id, requested_by, due, created, answered_at FROM consultations
		WHERE reviewer_id = $1 ORDER BY created DESC, id DESC`, int64(reviewer))
	if err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	var out []dissent.Consultation
	for rows.Next() {
		c := dissent.Consultation{ReviewerID: reviewer}
		var id string
		var due, created, answered sql.NullInt64
		if err := rows.Scan(&c.ID, &id, &c.RequestBy, &due, &created, &answered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan consultation: %w", err)
		}
		c.MessageID = dissent.MessageID(id)
		c.Due, c.Created, c.AnsweredAt = fromNS(due), fromNS(created), fromNS(answered)
		out = append(out, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list consultations: %w", err)
	}
	return out, nil
}
