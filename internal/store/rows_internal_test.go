package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/dissent-channel/dissent/internal/seal"
)

// TestAuditTriggersInPlace: every recorded table has its three triggers,
// their text is the text wanted (so a later open leaves them alone), and a
// trigger dropped behind the store's back is made again at the next open.
func TestAuditTriggersInPlace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	ring := seal.Generate("test")
	db, err := OpenSQLite(ctx, path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := recordedTables(ctx, db.write, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, rt := range tables {
		for _, st := range sqliteTriggers(rt) {
			if strings.HasPrefix(st, "CREATE") {
				want = append(want, st)
			}
		}
	}
	slices.Sort(want)
	have, err := sqliteTriggerSQL(ctx, db.write)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3*len(tables) || !slices.Equal(want, have) {
		t.Fatalf("%d triggers in place for %d tables; want the %d wanted", len(have), len(tables), len(want))
	}
	if _, err := db.write.ExecContext(ctx, `DROP TRIGGER rc_signatures_i`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = OpenSQLite(ctx, path, seal.New(ring))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if have, _ := sqliteTriggerSQL(ctx, db.write); !slices.Equal(want, have) {
		t.Errorf("after a trigger was dropped, the next open has %d triggers; want %d", len(have), len(want))
	}
}

// Every write of the store's tests (the conformance suite on both backends
// included) digests each row the trigger captured twice, from the captured
// values and read back by key, and fails on a difference.
func init() { checkCapturedDigests = true }

// TestCapturedValuesDigestAsReadBack: the values the SQLite trigger
// captures digest exactly as the row read back, for every storage class a
// column can hold (NUL inside text, empty text and blob, NULL, negative and
// large integers); a real is not captured, and the row is read back.
func TestCapturedValuesDigestAsReadBack(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	rt := recordedTable{name: "probe", cols: []dumpColumn{{name: "a", class: "other"}}}
	for _, v := range []any{nil, int64(0), int64(-7), int64(1) << 62, "", "x'y,z", "nul\x00inside", "é", []byte{}, []byte{0, 1, 0xff}, 1.5} {
		var captured sql.NullString
		if err := db.write.QueryRowContext(ctx, `SELECT `+rt.valuesExpr("t")+` FROM (SELECT $1 AS a) AS t`, v).Scan(&captured); err != nil {
			t.Fatal(err)
		}
		var read any
		if err := db.write.QueryRowContext(ctx, `SELECT $1`, v).Scan(&read); err != nil {
			t.Fatal(err)
		}
		want, err := rowDigest(rt.name, []any{read})
		if err != nil {
			t.Fatal(err)
		}
		vals, ok := parseCapturedValues(captured.String, 1)
		if _, real := v.(float64); real {
			if ok {
				t.Errorf("a real was captured as %q; want it read back", captured.String)
			}
			continue
		}
		if !ok {
			t.Fatalf("%#v: captured %q does not parse", v, captured.String)
		}
		if got, _ := rowDigest(rt.name, vals); got != want {
			t.Errorf("%#v: captured %q digests to %s; read back, %s", v, captured.String, got, want)
		}
	}
	for _, bad := range []string{"", "N,N", "X", "T0", "B0g", "1.5", "N,", ",N", "NN"} {
		if vals, ok := parseCapturedValues(bad, 1); ok {
			t.Errorf("%q parsed as %#v; want refused", bad, vals)
		}
	}
}

func FuzzParseCapturedValues(f *testing.F) {
	f.Add("N,T41,B00,-3", 4)
	f.Add("R", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 64 {
			return
		}
		vals, ok := parseCapturedValues(s, n)
		if !ok {
			return
		}
		if len(vals) != n {
			t.Fatalf("%q: %d values, want %d", s, len(vals), n)
		}
		// What parses renders back to the same text.
		parts := make([]string, n)
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "N"
			case int64:
				parts[i] = strconv.FormatInt(v, 10)
			case string:
				parts[i] = "T" + strings.ToUpper(hex.EncodeToString([]byte(v)))
			case []byte:
				parts[i] = "B" + strings.ToUpper(hex.EncodeToString(v))
			}
		}
		if got := strings.Join(parts, ","); !strings.EqualFold(got, s) {
			t.Fatalf("%q parsed and rendered again as %q", s, got)
		}
	})
}
