package store

import (
	"strings"
	"testing"
)

// Every write of the store's tests (the conformance suite on both backends
// included) digests each row the SQLite writer's hook or PostgreSQL's
// triggers captured twice, from the captured values and read back by key,
// and fails on a difference.
func init() { checkCapturedDigests = true }

// FuzzNotedValues: whatever row_changes holds, notedValues returns an error
// or values of the columns' classes, one per column, or declines; it never
// panics.
func FuzzNotedValues(f *testing.F) {
	rt := recordedTable{name: "t", cols: []dumpColumn{{name: "i", class: "int"}, {name: "s", class: "text"}, {name: "b", class: "blob"}, {name: "f", class: "bool"}}}
	for _, seed := range []string{`[1, "a", "00ff", true]`, `[null, null, null, null]`, `[1.5, "a", "zz", 1]`, `[]`, `null`, `{"a":1}`, `[9223372036854775808, "", "", false]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		vals, ok, err := notedValues(rt, v)
		if err != nil || !ok {
			if vals != nil {
				t.Fatalf("notedValues(%q) = %v with ok %v, err %v; want no values", v, vals, ok, err)
			}
			return
		}
		if len(vals) != len(rt.cols) {
			t.Fatalf("notedValues(%q) = %d values for %d columns", v, len(vals), len(rt.cols))
		}
		for i, x := range vals {
			switch x.(type) {
			case nil:
			case int64:
				if rt.cols[i].class != "int" {
					t.Fatalf("column %s: %T", rt.cols[i].name, x)
				}
			case string:
				if rt.cols[i].class != "text" {
					t.Fatalf("column %s: %T", rt.cols[i].name, x)
				}
			case []byte:
				if rt.cols[i].class != "blob" {
					t.Fatalf("column %s: %T", rt.cols[i].name, x)
				}
			case bool:
				if rt.cols[i].class != "bool" {
					t.Fatalf("column %s: %T", rt.cols[i].name, x)
				}
			default:
				t.Fatalf("column %s: %T", rt.cols[i].name, x)
			}
		}
	})
}

func TestNotedValues(t *testing.T) {
	rt := recordedTable{name: "t", cols: []dumpColumn{{name: "i", class: "int"}, {name: "s", class: "text"}, {name: "b", class: "blob"}, {name: "f", class: "bool"}}}
	vals, ok, err := notedValues(rt, `[-9223372036854775808, "é\u0001", "00ff", true]`)
	if err != nil || !ok {
		t.Fatalf("notedValues = %v, %v, %v", vals, ok, err)
	}
	want, _ := rowDigest("t", []any{int64(-9223372036854775808), "é\x01", []byte{0, 255}, true})
	if got, _ := rowDigest("t", vals); got != want {
		t.Errorf("digest of the noted values = %s; want %s", got, want)
	}
	for _, v := range []string{`[1, "a", "00ff"]`, `[1.5, "a", "00ff", true]`, `["1", "a", "00ff", true]`} {
		if _, ok, err := notedValues(rt, v); ok || err != nil && !strings.Contains(err.Error(), "column") {
			t.Errorf("notedValues(%s) = ok %v, %v; want declined or an error naming the column", v, ok, err)
		}
	}
	if _, _, err := notedValues(rt, `[1, "a", "zz", true]`); err == nil {
		t.Error(`notedValues(blob "zz") = nil error; want one`)
	}
}
