package auditlog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// TestDecodeEntry checks that the fast path for canonical payloads accepts
// and refuses exactly what the strict parse does.
func TestDecodeEntry(t *testing.T) {
	rec := dissent.EntryRecord{V: dissent.EntryVersion, At: "2026-12-02T05:00:00Z", Kind: "signature.added", Message: "m1", Role: "employee",
		ActorCommit: strings.Repeat("ab", 32), Detail: "version 1 <x> & y", Rows: []dissent.RowDigest{{Table: "signatures", Key: "m1\x1f7", Digest: "00"}}}
	canon, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		wantErr string // "" accepts
	}{
		{"canonical", string(canon), ""},
		{"keys in another order", `{"kind":"k","v":2,"at":"2026-12-02T05:00:00Z"}`, ""},
		{"spaces", `{ "v": 2, "at": "2026-12-02T05:00:00Z", "kind": "k" }`, ""},
		{"duplicate key", `{"v":2,"at":"2026-12-02T05:00:00Z","kind":"k","kind":"other"}`, "appears twice"},
		{"duplicate key in a row", `{"v":2,"at":"2026-12-02T05:00:00Z","kind":"k","rows":[{"t":"a","k":"1","d":"x","d":"y"}]}`, "appears twice"},
		{"duplicate key and unknown field", `{"v":2,"v":2,"zz":1}`, "appears twice"},
		{"unknown field", `{"v":2,"at":"2026-12-02T05:00:00Z","kind":"k","extra":1}`, "unknown field"},
		{"not JSON", `{"v":2,`, "not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeEntry([]byte(tc.payload))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			case tc.name == "canonical" && (got.Detail != rec.Detail || len(got.Rows) != 1 || got.Rows[0] != rec.Rows[0]):
				t.Fatalf("decoded %+v, want %+v", got, rec)
			}
		})
	}
}
