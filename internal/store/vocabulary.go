package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dissent-channel/dissent"
)

func (t *txn) AddVocab(ctx context.Context, e dissent.VocabEntry) (dissent.VocabEntry, error) {
	// The next place in the kind's list; writers of one database are
	// serialized (SQLite's one writer; PostgreSQL: the primary key makes a
	// racing insert of the same name a conflict, and equal places only tie
	// the order of two entries added at the same moment).
	if err := t.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(ord), 0) + 1 FROM vocabulary WHERE kind = $1`, string(e.Kind)).Scan(&e.Ord); err != nil {
		return e, fmt.Errorf("read vocabulary: %w", err)
	}
	err := t.exec(ctx, "insert vocabulary", `INSERT INTO vocabulary (kind, name, ord, created) VALUES ($1, $2, $3, $4)`,
		string(e.Kind), e.Name, e.Ord, ns(e.Created))
	if isUnique(err) {
		return e, &dissent.Error{Kind: dissent.KindConflict, Code: "exists", Field: "name",
			Message: "the " + string(e.Kind) + " " + e.Name + " already exists"}
	}
	return e, err
}

func (t *txn) RetireVocab(ctx context.Context, kind dissent.VocabKind, name string, at time.Time) error {
	res, err := t.q.ExecContext(ctx, `UPDATE vocabulary SET retired = COALESCE(retired, $3) WHERE kind = $1 AND name = $2`,
		string(kind), name, ns(at))
	if err != nil {
		return fmt.Errorf("retire vocabulary: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &dissent.Error{Kind: dissent.KindNotFound, Code: "not_found", Field: "name", Message: "no " + string(kind) + " named " + name}
	}
	return nil
}

func (t *txn) Vocab(ctx context.Context) ([]dissent.VocabEntry, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT kind, name, ord, created, retired FROM vocabulary ORDER BY kind, ord, name`)
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	defer rows.Close()
	var out []dissent.VocabEntry
	for rows.Next() {
		var e dissent.VocabEntry
		var created, retired sql.NullInt64
		if err := rows.Scan(&e.Kind, &e.Name, &e.Ord, &created, &retired); err != nil {
			return nil, fmt.Errorf("scan vocabulary: %w", err)
		}
		e.Created, e.Retired = fromNS(created), fromNS(retired)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *txn) TierDistribution(ctx context.Context) (map[string][]string, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT tier, email FROM tier_distribution ORDER BY tier, email`)
	if err != nil {
		return nil, fmt.Errorf("read tier distribution: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var tier, email string
		if err := rows.Scan(&tier, &email); err != nil {
			return nil, fmt.Errorf("scan tier distribution: %w", err)
		}
		out[tier] = append(out[tier], email)
	}
	return out, rows.Err()
}

func (t *txn) SetTierDistribution(ctx context.Context, tier string, emails []string) error {
	if err := t.exec(ctx, "clear tier distribution", `DELETE FROM tier_distribution WHERE tier = $1`, tier); err != nil {
		return err
	}
	for _, e := range emails {
		if err := t.exec(ctx, "insert tier distribution", `INSERT INTO tier_distribution (tier, email) VALUES ($1, $2) ON CONFLICT DO NOTHING`, tier, e); err != nil {
			return err
		}
	}
	return nil
}
