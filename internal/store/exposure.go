package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

// The exposure monitor's tables (migration 00006). Articles are public
// press and stored in clear; findings hold ids and offsets only.

func (t *txn) InsertArticle(ctx context.Context, a dissent.Article) (int64, bool, error) {
	hash, err := hex.DecodeString(a.Hash)
	if err != nil || len(hash) != 32 {
		return 0, false, fmt.Errorf("insert article: malformed hash %q", a.Hash)
	}
	var id int64
	err = t.q.QueryRowContext(ctx, `INSERT INTO articles (hash, title, url, body, source, feed_id, added_by, added)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hash) DO NOTHING RETURNING id`,
		hash, a.Title, a.URL, a.Body, a.Source, nullInt(a.FeedID), nullID(a.AddedBy), ns(a.Added)).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("insert article: %w", err)
	}
	if err := t.q.QueryRowContext(ctx, `SELECT id FROM articles WHERE hash = $1`, hash).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("read article by hash: %w", err)
	}
	return id, false, nil
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

const articleCols = `id, hash, title, url, body, source, feed_id, added_by, added`

func scanArticle(sc interface{ Scan(...any) error }) (dissent.Article, error) {
	var a dissent.Article
	var hash []byte
	var feed, by, added sql.NullInt64
	if err := sc.Scan(&a.ID, &hash, &a.Title, &a.URL, &a.Body, &a.Source, &feed, &by, &added); err != nil {
		return a, err
	}
	a.Hash = hex.EncodeToString(hash)
	a.FeedID = feed.Int64
	a.AddedBy = dissent.PersonID(by.Int64)
	a.Added = fromNS(added)
	return a, nil
}

func (t *txn) Article(ctx context.Context, id int64) (dissent.Article, error) {
	a, err := scanArticle(t.q.QueryRowContext(ctx, `SELECT `+articleCols+` FROM articles WHERE id = $1`, id))
	if err != nil {
		return dissent.Article{}, notFound(err, "article")
	}
	return a, nil
}

func (t *txn) Articles(ctx context.Context, after int64, limit int) ([]dissent.Article, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+articleCols+` FROM articles WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	var out []dissent.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan article: %w", err)
		}
		out = append(out, a)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

func (t *txn) InsertFinding(ctx context.Context, f dissent.Finding) (int64, bool, error) {
	passages, err := json.Marshal(f.Passages)
	if err != nil {
		return 0, false, fmt.Errorf("insert finding: %w", err)
	}
	var id int64
	err = t.q.QueryRowContext(ctx, `INSERT INTO exposure_findings (article_id, message_id, score, passages, found)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (article_id, message_id) DO NOTHING RETURNING id`,
		f.ArticleID, string(f.MessageID), f.Score, string(passages), ns(f.Found)).Scan(&id)
	switch {
	case err == nil:
		return id, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("insert finding: %w", err)
	}
	if err := t.q.QueryRowContext(ctx, `SELECT id FROM exposure_findings WHERE article_id = $1 AND message_id = $2`,
		f.ArticleID, string(f.MessageID)).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("read finding: %w", err)
	}
	return id, false, nil
}

const findingCols = `id, article_id, message_id, score, passages, found`

func scanFinding(sc interface{ Scan(...any) error }) (dissent.Finding, error) {
	var f dissent.Finding
	var msg, passages string
	var found sql.NullInt64
	if err := sc.Scan(&f.ID, &f.ArticleID, &msg, &f.Score, &passages, &found); err != nil {
		return f, err
	}
	f.MessageID = dissent.MessageID(msg)
	f.Found = fromNS(found)
	if err := json.Unmarshal([]byte(passages), &f.Passages); err != nil {
		return f, fmt.Errorf("finding %d passages: %w", f.ID, err)
	}
	return f, nil
}

func (t *txn) Finding(ctx context.Context, id int64) (dissent.Finding, error) {
	f, err := scanFinding(t.q.QueryRowContext(ctx, `SELECT `+findingCols+` FROM exposure_findings WHERE id = $1`, id))
	if err != nil {
		return dissent.Finding{}, notFound(err, "finding")
	}
	return f, nil
}

func (t *txn) Findings(ctx context.Context) ([]dissent.Finding, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT `+findingCols+` FROM exposure_findings ORDER BY found DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	var out []dissent.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan finding: %w", err)
		}
		out = append(out, f)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return out, nil
}

func (t *txn) UnscannedMessages(ctx context.Context) ([]dissent.MessageID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT m.id FROM messages m
		WHERE m.submitted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM exposure_scans s WHERE s.message_id = m.id)
		ORDER BY m.id`)
	if err != nil {
		return nil, fmt.Errorf("list unscanned messages: %w", err)
	}
	var out []dissent.MessageID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan message id: %w", err)
		}
		out = append(out, dissent.MessageID(id))
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list unscanned messages: %w", err)
	}
	return out, nil
}

func (t *txn) MarkScanned(ctx context.Context, id dissent.MessageID, at time.Time) error {
	return t.exec(ctx, "mark message scanned", `INSERT INTO exposure_scans (message_id, scanned) VALUES ($1, $2)
		ON CONFLICT (message_id) DO UPDATE SET scanned = excluded.scanned`, string(id), ns(at))
}

func (t *txn) CountSubmitted(ctx context.Context) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE submitted_at IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count submitted messages: %w", err)
	}
	return n, nil
}

func (t *txn) AddFeed(ctx context.Context, f dissent.Feed) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO feeds (url, added_by, added, polled_at, last_error)
		VALUES ($1, $2, $3, 0, '') ON CONFLICT (url) DO NOTHING RETURNING id`, f.URL, nullID(f.AddedBy), ns(f.Added)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || isUnique(err) {
		return 0, fmt.Errorf("insert feed: %w", dissent.ErrDuplicate)
	}
	if err != nil {
		return 0, fmt.Errorf("insert feed: %w", err)
	}
	return id, nil
}

func (t *txn) Feeds(ctx context.Context) ([]dissent.Feed, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT id, url, added_by, added, polled_at, last_error FROM feeds ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	var out []dissent.Feed
	for rows.Next() {
		var f dissent.Feed
		var by, added sql.NullInt64
		var polled int64
		if err := rows.Scan(&f.ID, &f.URL, &by, &added, &polled, &f.LastError); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan feed: %w", err)
		}
		f.AddedBy = dissent.PersonID(by.Int64)
		f.Added = fromNS(added)
		if polled != 0 {
			f.PolledAt = time.Unix(0, polled).UTC()
		}
		out = append(out, f)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return out, nil
}

// ClaimFeed is one conditional UPDATE: on PostgreSQL, of two instances
// claiming the same feed at once, the second waits for the first's row lock,
// rechecks the condition against the committed polled_at, and updates
// nothing; on SQLite writers are serialized.
func (t *txn) ClaimFeed(ctx context.Context, id int64, now, due time.Time) (bool, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE feeds SET polled_at = $1 WHERE id = $2 AND polled_at <= $3`,
		now.UnixNano(), id, due.UnixNano())
	if err != nil {
		return false, fmt.Errorf("claim feed: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim feed: %w", err)
	}
	return n == 1, nil
}

func (t *txn) SetFeedError(ctx context.Context, id int64, msg string) error {
	return t.exec(ctx, "set feed error", `UPDATE feeds SET last_error = $1 WHERE id = $2`, msg, id)
}
