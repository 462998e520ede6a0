package store

// OpenEverySealed: `dissent verify` opens every sealed value under its
// message's key and its place (table, row, column), so that a flipped byte
// or a value moved between rows is found by the check, not by the next
// reader.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// sealedColumn is where sealed values live and how each row names its place.
type sealedColumn struct {
	table, column string
	// keys are the columns, besides message_id, that make the row's place;
	// row renders them as the writer did.
	keys []string
	row  func(id dissent.MessageID, k []any) string
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return -1
}

func asBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

var sealedColumns = []sealedColumn{
	{"messages", "drafter_sealed", nil, func(id dissent.MessageID, _ []any) string { return string(id) }},
	{"messages", "extension_note", nil, func(id dissent.MessageID, _ []any) string { return string(id) }},
	{"messages", "redirect_note", nil, func(id dissent.MessageID, _ []any) string { return string(id) }},
	{"message_versions", "title", []string{"number"}, func(id dissent.MessageID, k []any) string { return versionRow(id, int(asInt(k[0]))) }},
	{"message_versions", "summary", []string{"number"}, func(id dissent.MessageID, k []any) string { return versionRow(id, int(asInt(k[0]))) }},
	{"message_versions", "body", []string{"number"}, func(id dissent.MessageID, k []any) string { return versionRow(id, int(asInt(k[0]))) }},
	{"signatures", "signer_sealed", []string{"version", "signer_tag"}, func(id dissent.MessageID, k []any) string {
		return signatureRow(id, int(asInt(k[0])), asBytes(k[1]))
	}},
	{"replies", "body", []string{"id"}, func(_ dissent.MessageID, k []any) string { return strconv.FormatInt(asInt(k[0]), 10) }},
	{"consultations", "input", []string{"id"}, func(_ dissent.MessageID, k []any) string { return strconv.FormatInt(asInt(k[0]), 10) }},
	{"meetings", "notes", []string{"id"}, func(_ dissent.MessageID, k []any) string { return strconv.FormatInt(asInt(k[0]), 10) }},
	{"endorsers", "body", []string{"person_tag"}, func(id dissent.MessageID, k []any) string { return endorserRow(id, asBytes(k[0])) }},
	{"log_entries", "actor_sealed", []string{"seq"}, func(_ dissent.MessageID, k []any) string { return strconv.FormatInt(asInt(k[0]), 10) }},
}

// OpenEverySealed opens every sealed value of every message, and every log
// entry, calling progress after each table; it names the first that does
// not open.
func (t *txn) OpenEverySealed(ctx context.Context, progress func(table string, n int64)) (int64, error) {
	var total int64
	for _, sc := range sealedColumns {
		cols := "message_id"
		for _, k := range sc.keys {
			cols += ", " + quoteIdent(k)
		}
		q := `SELECT ` + cols + `, ` + quoteIdent(sc.column) + ` FROM ` + quoteIdent(sc.table) +
			` WHERE ` + quoteIdent(sc.column) + ` IS NOT NULL`
		if sc.table == "messages" {
			q = `SELECT id, ` + quoteIdent(sc.column) + ` FROM messages WHERE ` + quoteIdent(sc.column) + ` IS NOT NULL`
		}
		if sc.table == "log_entries" {
			q += ` AND message_id IS NOT NULL`
		}
		rows, err := t.q.QueryContext(ctx, q)
		if err != nil {
			return total, fmt.Errorf("read %s.%s: %w", sc.table, sc.column, err)
		}
		type item struct {
			id  dissent.MessageID
			row string
			ct  []byte
		}
		var items []item
		for rows.Next() {
			vals := make([]any, 2+len(sc.keys))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return total, fmt.Errorf("read %s.%s: %w", sc.table, sc.column, err)
			}
			id := dissent.MessageID(asBytes(vals[0]))
			items = append(items, item{id: id, row: sc.row(id, vals[1:1+len(sc.keys)]), ct: asBytes(vals[len(vals)-1])})
		}
		if err := closeRows(rows); err != nil {
			return total, fmt.Errorf("read %s.%s: %w", sc.table, sc.column, err)
		}
		for _, it := range items {
			if len(it.ct) == 0 {
				continue
			}
			if _, err := t.open(ctx, it.id, sc.table, it.row, sc.column, it.ct); err != nil {
				return total, fmt.Errorf("a sealed value does not open: %w", err)
			}
			total++
		}
		if progress != nil {
			progress(sc.table+"."+sc.column, total)
		}
	}
	return total, nil
}
