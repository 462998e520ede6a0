package auditlog

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// strictDecode is the reference: encoding/json, unknown fields refused.
func strictDecode(b []byte) (dissent.EntryRecord, error) {
	var r dissent.EntryRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&r)
	return r, err
}

// checkCanonical fails when parseCanonical accepts bytes that are not
// json.Marshal's encoding of the record it returns, or returns another
// record than encoding/json decodes.
func checkCanonical(t *testing.T, b []byte) bool {
	t.Helper()
	rec, ok := dissent.ParseCanonicalEntry(b)
	if !ok {
		return false
	}
	canon, err := json.Marshal(rec)
	if err != nil {
		t.Fatalf("%q: accepted, but the record does not encode: %v", b, err)
	}
	if !bytes.Equal(canon, b) {
		t.Fatalf("%q: accepted, but json.Marshal of the record is %q", b, canon)
	}
	ref, err := strictDecode(b)
	if err != nil || !reflect.DeepEqual(ref, rec) {
		t.Fatalf("%q: parsed as %+v, encoding/json gives %+v (%v)", b, rec, ref, err)
	}
	return true
}

// TestParseCanonical: records with awkward strings, every optional field
// present or not, are read on the fast path exactly as encoding/json reads
// them; and near-miss encodings (reordered, spaced, other escapes, zero
// values spelled out) are left to the strict decode.
func TestParseCanonical(t *testing.T) {
	texts := []string{"", "a", "version 1 " + strings.Repeat("ab", 32), "m1\x1f7\x1fabc", "<b>&amp;</b>", `quote " and \ backslash`,
		"tab\t nl\n cr\r bs\b ff\f nul\x00 del\x7f", "é ü 漢字 😀", "line\u2028para\u2029", "bad \xff utf-8", "\ufffd", "/ slash"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return texts[rng.IntN(len(texts))] }
	for i := range 2000 {
		rec := dissent.EntryRecord{V: dissent.EntryVersion, At: "2026-12-02T05:00:00.123456789Z", Kind: pick()}
		if i%2 == 0 {
			rec.Message = pick()
		}
		if i%3 == 0 {
			rec.Role = pick()
		}
		switch i % 5 {
		case 0:
			rec.Actor = rng.Int64()
		case 1:
			rec.Actor = -rng.Int64N(1000)
		}
		if i%7 == 0 {
			rec.ActorCommit = pick()
		}
		rec.Detail = pick()
		for range rng.IntN(4) {
			rec.Rows = append(rec.Rows, dissent.RowDigest{Table: pick(), Key: pick(), Digest: pick()})
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := strictDecode(b)
		fast := checkCanonical(t, b)
		// Invalid UTF-8 and U+FFFD are the only texts that do not survive
		// the round trip; every other record must take the fast path.
		if !fast && !strings.Contains(string(b), `\ufffd`) {
			t.Fatalf("%q: canonical, but left to the slow path", b)
		}
		if fast && !reflect.DeepEqual(ref, rec) {
			t.Fatalf("round trip changed %+v to %+v", rec, ref)
		}
	}
	base := `{"v":2,"at":"2026-12-02T05:00:00Z","kind":"k"`
	for _, b := range []string{
		`{"at":"2026-12-02T05:00:00Z","v":2,"kind":"k"}`,  // order
		`{"v":2, "at":"2026-12-02T05:00:00Z","kind":"k"}`, // space
		`{"v":02,"at":"2026-12-02T05:00:00Z","kind":"k"}`, // leading zero
		`{"v":-0,"at":"2026-12-02T05:00:00Z","kind":"k"}`,
		base + `,"message":""}`, // an empty omitempty field spelled out
		base + `,"actor":0}`,
		base + `,"rows":[]}`,
		base + `,"detail":"\u0041"}`, // an escape encoding/json does not write
		base + `,"detail":"\u003C"}`, // upper-case hex
		base + `,"detail":"\/"}`,
		base + `,"detail":"<"}`, // what encoding/json escapes, unescaped
		base + `,"detail":"` + "\u2028" + `"}`,
		base + `,"detail":"` + "\x01" + `"}`,
		base + `,"kind":"k"}`, // a key twice
		base + `,"zz":1}`,     // unknown
		base + `}x`,           // trailing bytes
		base + `,"rows":[{"t":"a","k":"b","d":"c"},]}`,
		base + `,"actor":99999999999999999999}`,
	} {
		if checkCanonical(t, []byte(b)) {
			t.Errorf("%s: accepted on the fast path", b)
		}
	}
	if !checkCanonical(t, []byte(base+`,"actor":-5,"detail":"\u003c\u0026\u2029\u001f\b"}`)) {
		t.Error("a canonical record with escapes was left to the slow path")
	}
}

// FuzzParseCanonical: whatever the fast path accepts is exactly the
// canonical encoding of what it returns, and what encoding/json reads.
func FuzzParseCanonical(f *testing.F) {
	f.Add([]byte(`{"v":2,"at":"2026-12-02T05:00:00Z","kind":"k","message":"m","actor":3,"detail":"version 1","rows":[{"t":"a","k":"b\u001fc","d":"00"}]}`))
	f.Add([]byte(`{"v":2,"at":"x","kind":"\u003c","role":"employee","actor_commit":"ab"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkCanonical(t, b)
		// Whatever it accepts, decodeEntry agrees with the strict decode.
		if rec, err := decodeEntry(b); err == nil {
			ref, rerr := strictDecode(b)
			if rerr != nil || !reflect.DeepEqual(ref, rec) {
				t.Fatalf("%q: decodeEntry gives %+v, encoding/json %+v (%v)", b, rec, ref, rerr)
			}
		}
	})
}
