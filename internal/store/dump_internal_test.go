package store

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// TestValueRoundTrip: every type a driver returns is dumped and read back
// as the same value, on either backend.
func TestValueRoundTrip(t *testing.T) {
	tests := []any{
		nil, int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), true, false,
		"", "plain", "with \"quotes\", <html> & \u2028 and émoji 🫡", "\xff\xfe not UTF-8",
		[]byte{}, []byte{0, 1, 2, 255}, 1.5, -0.25, math.MaxFloat64,
		time.Date(2023, 11, 3, 10, 0, 0, 123456789, time.FixedZone("EDT", -4*3600)),
	}
	for _, d := range []Dialect{SQLite, Postgres} {
		for _, v := range tests {
			enc, err := encodeDumpValue(v)
			if err != nil {
				t.Fatalf("encodeDumpValue(%#v): %v", v, err)
			}
			raw, err := json.Marshal(enc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeDumpValue(raw, "other", d)
			if err != nil {
				t.Fatalf("decodeDumpValue(%s): %v", raw, err)
			}
			if tv, ok := v.(time.Time); ok {
				if gt, ok := got.(time.Time); !ok || !gt.Equal(tv) {
					t.Errorf("%s: time %v read back as %#v", d, tv, got)
				}
				continue
			}
			if b, ok := v.([]byte); ok && len(b) == 0 {
				if gb, ok := got.([]byte); !ok || len(gb) != 0 {
					t.Errorf("%s: empty bytes read back as %#v", d, got)
				}
				continue
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("%s: %#v dumped as %s, read back as %#v", d, v, raw, got)
			}
		}
	}
	if _, err := encodeDumpValue(struct{}{}); err == nil {
		t.Error("encodeDumpValue(struct{}{}) = nil error; want a refusal")
	}
}

// TestValueCoercion: PostgreSQL gets the dumpColumn's type for values SQLite
// kept loosely typed.
func TestValueCoercion(t *testing.T) {
	tests := []struct {
		raw, class string
		d          Dialect
		want       any
	}{
		{`"abc"`, "blob", Postgres, []byte("abc")},
		{`"abc"`, "blob", SQLite, "abc"},
		{`true`, "int", Postgres, int64(1)},
		{`0`, "bool", Postgres, false},
		{`7`, "bool", SQLite, int64(7)},
	}
	for _, tt := range tests {
		got, err := decodeDumpValue(json.RawMessage(tt.raw), tt.class, tt.d)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("decodeDumpValue(%s, %s, %s) = %#v, %v; want %#v", tt.raw, tt.class, tt.d, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `{}`, `{"b":1}`, `{"b":"!!"}`, `{"x":"y"}`, `{"b":"","s":""}`, `1.5`, `[1]`, `{"t":"yesterday"}`, `99999999999999999999`} {
		if _, err := decodeDumpValue(json.RawMessage(bad), "other", SQLite); err == nil {
			t.Errorf("decodeDumpValue(%q) = nil error; want a refusal", bad)
		}
	}
}

// FuzzDecodeValue: no input makes decodeValue panic, and what it accepts
// dumps back to a value it accepts again unchanged.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{`null`, `1`, `"x"`, `{"b":"AAE="}`, `{"s":"/w=="}`, `{"f":1.5}`, `true`, `{"t":"2023-11-03T10:00:00Z"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := decodeDumpValue(json.RawMessage(raw), "other", SQLite)
		if err != nil {
			return
		}
		enc, err := encodeDumpValue(v)
		if err != nil {
			t.Fatalf("decodeDumpValue(%q) gave %#v, which encodeValue refuses: %v", raw, v, err)
		}
		b, _ := json.Marshal(enc)
		again, err := decodeDumpValue(b, "other", SQLite)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", b, err)
		}
		if _, isTime := v.(time.Time); !isTime && !reflect.DeepEqual(again, v) {
			if f, ok := v.(float64); !ok || !math.IsNaN(f) {
				t.Fatalf("%q decodes to %#v, which dumps to %s and decodes to %#v", raw, v, b, again)
			}
		}
	})
}
