package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/dissent-channel/dissent"
)

// key returns the data key of a message, read once per transaction.
func (t *txn) key(ctx context.Context, id dissent.MessageID) (dissent.WrappedKey, error) {
	if k, ok := t.keys[id]; ok {
		return k, nil
	}
	var k dissent.WrappedKey
	err := t.q.QueryRowContext(ctx, `SELECT kek_id, wrapped FROM message_keys WHERE message_id = $1`, string(id)).Scan(&k.KEKID, &k.Wrapped)
	if err != nil {
		return k, notFound(err, "message key")
	}
	t.keys[id] = k
	return k, nil
}

// preloadKeys reads, on PostgreSQL, in one statement per chunk, the data
// keys of those of the messages ids this transaction has not read yet, so
// that a page that opens many messages' values (a list's titles) does not
// read them one round trip each ("My messages": −20 to −28 % of its CPU).
// SQLite reads each when needed, a prepared statement in process (a list of
// values is parsed anew each time; no faster there). A message without a key
// is left to key, which says so when it is needed.
func (t *txn) preloadKeys(ctx context.Context, ids []dissent.MessageID) error {
	if t.d != Postgres {
		return nil
	}
	var want []dissent.MessageID
	for _, id := range ids {
		if _, ok := t.keys[id]; !ok {
			want = append(want, id)
		}
	}
	if len(want) < 2 {
		return nil
	}
	return inChunks(want, func(args []any, n int) error {
		rows, err := t.q.QueryContext(ctx, `SELECT message_id, kek_id, wrapped FROM message_keys WHERE message_id IN (`+placeholders(1, n)+`)`, args...)
		if err != nil {
			return fmt.Errorf("read message keys: %w", err)
		}
		for rows.Next() {
			var id string
			var k dissent.WrappedKey
			if err := rows.Scan(&id, &k.KEKID, &k.Wrapped); err != nil {
				rows.Close()
				return fmt.Errorf("read message keys: %w", err)
			}
			t.keys[dissent.MessageID(id)] = k
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("read message keys: %w", err)
		}
		return nil
	})
}

// seal encrypts a protected value of message id for its place.
func (t *txn) seal(ctx context.Context, id dissent.MessageID, table, row, column string, plain []byte) ([]byte, error) {
	k, err := t.key(ctx, id)
	if err != nil {
		return nil, err
	}
	ct, err := t.s.Seal(k, dissent.AD{Table: table, Row: row, Column: column}, plain)
	if err != nil {
		return nil, fmt.Errorf("seal %s.%s: %w", table, column, err)
	}
	return ct, nil
}

// open decrypts a protected value; an empty ciphertext (NULL) is empty text.
// A value that does not open is an error naming the message and the place,
// never garbage.
func (t *txn) open(ctx context.Context, id dissent.MessageID, table, row, column string, ct []byte) ([]byte, error) {
	if len(ct) == 0 {
		return nil, nil
	}
	k, err := t.key(ctx, id)
	if err != nil {
		return nil, err
	}
	pt, err := t.s.Open(k, dissent.AD{Table: table, Row: row, Column: column}, ct)
	if err != nil {
		return nil, fmt.Errorf("message %s: open %s.%s (row %s): %w", id, table, column, row, err)
	}
	return pt, nil
}

func (t *txn) sealText(ctx context.Context, id dissent.MessageID, table, row, column string, v dissent.Text) ([]byte, error) {
	return t.seal(ctx, id, table, row, column, []byte(v.Reveal()))
}

// sealOptional seals non-empty text and stores empty text as NULL.
func (t *txn) sealOptional(ctx context.Context, id dissent.MessageID, table, row, column string, v dissent.Text) (any, error) {
	if v.Len() == 0 {
		return nil, nil
	}
	return t.sealText(ctx, id, table, row, column, v)
}

func (t *txn) openText(ctx context.Context, id dissent.MessageID, table, row, column string, ct []byte) (dissent.Text, error) {
	pt, err := t.open(ctx, id, table, row, column, ct)
	return dissent.NewText(string(pt)), err
}

func (t *txn) sealPerson(ctx context.Context, id dissent.MessageID, table, row, column string, p dissent.PersonID) ([]byte, error) {
	return t.seal(ctx, id, table, row, column, binary.BigEndian.AppendUint64(nil, uint64(p)))
}

func (t *txn) openPerson(ctx context.Context, id dissent.MessageID, table, row, column string, ct []byte) (dissent.PersonID, error) {
	pt, err := t.open(ctx, id, table, row, column, ct)
	if err != nil {
		return 0, err
	}
	if len(pt) != 8 {
		return 0, fmt.Errorf("message %s: %s.%s holds no person", id, table, column)
	}
	return dissent.PersonID(binary.BigEndian.Uint64(pt)), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// MessageKeys lists the data keys not wrapped under the active
// key-encryption key, up to limit.
func (t *txn) StaleMessageKeys(ctx context.Context, active string, limit int) ([]dissent.MessageID, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT message_id FROM message_keys WHERE kek_id <> $1 ORDER BY message_id LIMIT $2`, active, limit)
	if err != nil {
		return nil, fmt.Errorf("list message keys: %w", err)
	}
	defer rows.Close()
	var out []dissent.MessageID
	for rows.Next() {
		var id dissent.MessageID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan message key: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// RewrapMessageKey rewraps one message's data key under the active
// key-encryption key.
func (t *txn) RewrapMessageKey(ctx context.Context, id dissent.MessageID) error {
	k, err := t.key(ctx, id)
	if err != nil {
		return err
	}
	nk, err := t.s.Rewrap(k)
	if err != nil {
		return fmt.Errorf("rewrap key of message %s: %w", id, err)
	}
	if err := t.exec(ctx, "rewrap key", `UPDATE message_keys SET kek_id = $2, wrapped = $3 WHERE message_id = $1`, string(id), nk.KEKID, nk.Wrapped); err != nil {
		return err
	}
	t.keys[id] = nk
	return nil
}

// CountKeysUnder counts the data keys wrapped under a key-encryption key.
func (t *txn) CountKeysUnder(ctx context.Context, kek string) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM message_keys WHERE kek_id = $1`, kek).Scan(&n); err != nil {
		return 0, fmt.Errorf("count message keys: %w", err)
	}
	return n, nil
}
