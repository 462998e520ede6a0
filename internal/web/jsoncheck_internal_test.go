package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

func TestCheckJSON(t *testing.T) {
	for _, tt := range []struct {
		in          string
		code, field string // "" for accepted
	}{
		{`{"title":"smile \ud83d\ude00","body":"b"}`, "", ""},
		{`{"a":{"x":1},"b":{"x":2}}`, "", ""}, // the same name in two objects
		{`{"a":[{"x":1},{"x":2}]}`, "", ""},
		{`{"a":"\\ud800"}`, "", ""}, // an escaped backslash, then text
		{`{"a":"\"\ud800"}`, "lone_surrogate", "a"},
		{`{"a":{"x":1,"x":2}}`, "duplicate_key", "x"},
		{`{"a":"\u00e9\udfff"}`, "lone_surrogate", "a"},
		{`["\ud800"]`, "lone_surrogate", "body[0]"},
	} {
		var v any
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Fatalf("%s: not JSON: %v", tt.in, err)
		}
		err := checkJSON([]byte(tt.in))
		e := dissent.AsError(err)
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("checkJSON(%s) = %v; want nil", tt.in, err)
		case tt.code != "" && (err == nil || e.Code != tt.code || e.Field != tt.field):
			t.Errorf("checkJSON(%s) = %v; want %s in %s", tt.in, err, tt.code, tt.field)
		}
	}
}

// FuzzCheckJSON: on any JSON that encoding/json decodes, checkJSON ends
// without a panic, and it finds a lone surrogate only where a \u escape of
// one is.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":1,"a":2}`, `[{"b":[1,"x\\u"]}]`, `"\udc00\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		err := checkJSON([]byte(s))
		if dissent.AsError(err).Code == "lone_surrogate" && !strings.Contains(strings.ToLower(s), `\ud`) {
			t.Errorf("checkJSON(%q) found a lone surrogate with no \\ud escape", s)
		}
	})
}
