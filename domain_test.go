package dissent

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestEffectiveCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mins []int
		want int
		th   int
	}{
		{nil, 0, -1},
		{[]int{0}, 1, -1},
		{[]int{0, 0, 0}, 3, -1},
		{[]int{0, 5}, 1, -1},          // needs 5 others, has 1
		{[]int{0, 1}, 2, 1},           // needs 1 other: the drafter
		{[]int{0, 2, 2}, 3, 2},        // each sees the drafter and the other: quorum met together
		{[]int{0, 3, 3}, 1, -1},       // each would see only 2 others
		{[]int{0, 0, 2, 9}, 3, 2},     // 2 met, 9 sealed
		{[]int{0, 1, 2, 3, 4}, 5, 4},  // a chain that unlocks one by one
		{[]int{0, 1, 2, 3, 5}, 4, 3},  // the last link needs one more
		{[]int{4, 4, 4, 4, 4}, 5, 4},  // all conditional on 4 others: together each sees 4
		{[]int{5, 5, 5, 5, 5}, 0, -1}, // together each would see only 4
	}
	for _, tt := range tests {
		if got := EffectiveCount(tt.mins); got != tt.want {
			t.Errorf("EffectiveCount(%v) = %d; want %d", tt.mins, got, tt.want)
		}
		if got := QuorumThreshold(tt.mins); got != tt.th {
			t.Errorf("QuorumThreshold(%v) = %d; want %d", tt.mins, got, tt.th)
		}
	}
}

func FuzzEffectiveCount(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{0, 9, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		mins := make([]int, len(b))
		for i, x := range b {
			mins[i] = int(x % 16)
		}
		n := EffectiveCount(mins)
		th := QuorumThreshold(mins)
		// The same signatures as Quorums (what signing reads) count alike.
		var q Quorums
		for _, m := range mins {
			if m == 0 {
				q.Unconditional++
			} else {
				q.Conditional = append(q.Conditional, m)
			}
		}
		if q.Count() != n || EffectiveCount(q.Minimums()) != n {
			t.Fatalf("mins %v: Quorums %+v count %d, its minimums %d; want %d", mins, q, q.Count(), EffectiveCount(q.Minimums()), n)
		}
		// Every counted signature's quorum is met, and the count is the
		// number of signatures at or below the threshold.
		counted := 0
		for _, m := range mins {
			if m == 0 || (m <= th) {
				counted++
				if m > n-1 {
					t.Fatalf("mins %v: a counted signature needs %d others but only %d signed", mins, m, n-1)
				}
			}
		}
		if counted != n {
			t.Fatalf("mins %v: count %d but %d signatures at or below threshold %d", mins, n, counted, th)
		}
		// Maximality: adding any sealed one would not meet its own quorum.
		for _, m := range mins {
			if m > 0 && m > th && m <= n {
				// m <= n means it would see n others once counted: it should have been counted.
				t.Fatalf("mins %v: sealed signature needing %d would be met by %d others", mins, m, n)
			}
		}
	})
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	// Known answer: independent of the implementation, computed with
	// printf 'dissent content v1\n' + 8-byte big-endian lengths + texts.
	got := ContentHash("T", "", "B")
	// The length prefixes keep field boundaries: moving a byte between
	// fields changes the hash.
	if ContentHash("ab", "c", "") == ContentHash("a", "bc", "") {
		t.Error("ContentHash(ab,c) == ContentHash(a,bc): field boundaries are ambiguous")
	}
	if want := "02d0fe5415cf553db5631ae097ae38479baf9c9270580bedfad9643f9131b133"; got != want {
		t.Errorf("ContentHash(T, \"\", B) = %s; want %s", got, want)
	}
}

func TestContentHashV2(t *testing.T) {
	annex := "b119bda4207bd15e9e1f63063b558917301ec18c4ff21d91964f66bf90a7d522" // SHA-256("annex")
	tests := []struct {
		name string
		c    Content
		want string
	}{
		// Known answer computed outside Go: printf 'dissent content v2\n' +
		// (8-byte big-endian length + text) for title, summary, body,
		// classification, topic + 8-byte count + each annex's 32 bytes.
		{"marked with annex", Content{Title: "T", Body: "B", Classification: "SECRET", Topic: "Trade", Attachments: []string{annex}},
			"2c69313ce2ad530146ab69f1ae3aacf57130682a54ebfddedd862d5f6acd7c1e"},
		// Unmarked text without annexes keeps the version 1 hash.
		{"plain keeps v1", Content{Title: "T", Body: "B"}, "02d0fe5415cf553db5631ae097ae38479baf9c9270580bedfad9643f9131b133"},
	}
	for _, tt := range tests {
		if got := tt.c.Hash(); got != tt.want {
			t.Errorf("%s: Hash = %s; want %s", tt.name, got, tt.want)
		}
	}
	base := Content{Title: "T", Body: "B", Classification: "SECRET"}
	distinct := map[string]string{}
	for name, c := range map[string]Content{
		"base":            base,
		"topic":           {Title: "T", Body: "B", Classification: "SECRET", Topic: "x"},
		"moved boundary":  {Title: "T", Body: "B", Classification: "SECRE", Topic: "T"},
		"annex added":     {Title: "T", Body: "B", Classification: "SECRET", Attachments: []string{annex}},
		"two annexes":     {Title: "T", Body: "B", Classification: "SECRET", Attachments: []string{annex, annex}},
		"topic only":      {Title: "T", Body: "B", Topic: "SECRET"},
		"annex only":      {Title: "T", Body: "B", Attachments: []string{annex}},
		"unmarked plain":  {Title: "T", Body: "B"},
		"marking in body": {Title: "T", Body: "BSECRET"},
	} {
		h := c.Hash()
		if other, dup := distinct[h]; dup {
			t.Errorf("%s and %s have the same hash", name, other)
		}
		distinct[h] = name
	}
}

func TestTextIsRedacted(t *testing.T) {
	t.Parallel()
	secret := "We recommend a ceasefire"
	x := struct {
		Title Text
		Tok   Secret
	}{NewText(secret), NewSecret("dsn_abc")}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("m", "title", x.Title, "tok", x.Tok, "struct", x)
	outs := []string{
		fmt.Sprintf("%v %+v %#v %s %q %x", x.Title, x, x, x.Title, x.Title, x.Title),
		fmt.Sprint(x.Tok), buf.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, secret) || strings.Contains(o, "dsn_abc") || strings.Contains(o, "ceasefire") {
			t.Errorf("protected content leaked into %q", o)
		}
		if !strings.Contains(o, "[redacted]") {
			t.Errorf("output %q does not say [redacted]", o)
		}
	}
	if x.Title.Reveal() != secret {
		t.Errorf("Reveal() = %q; want %q", x.Title.Reveal(), secret)
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		limit     int
		multiline bool
		required  bool
		code      string
	}{
		{"ok", "Hello, world", 20, false, true, ""},
		{"too long", strings.Repeat("x", 21), 20, false, true, "too_long"},
		{"limit counts characters, not bytes", strings.Repeat("é", 20), 20, false, true, ""},
		{"invalid utf-8", "a\xffb", 20, false, true, "invalid_utf8"},
		{"NUL", "a\x00b", 20, true, true, "control_character"},
		{"escape", "a\x1b[31mb", 20, true, true, "control_character"},
		{"newline in a single line", "a\nb", 20, false, true, "control_character"},
		{"newline in multiline", "a\nb\tc\r\n", 20, true, true, ""},
		{"C1 control", "a\u0085b", 20, true, true, "control_character"},
		{"blank but required", "  \n ", 20, true, true, "required"},
		{"empty optional", "", 20, true, false, ""},
	}
	for _, tt := range tests {
		err := checkText("title", tt.in, tt.limit, tt.multiline, tt.required)
		var code string
		if err != nil {
			e := AsError(err)
			code = e.Code
			if e.Field != "title" {
				t.Errorf("%s: error field = %q; want title", tt.name, e.Field)
			}
			if e.Code == "too_long" && e.Limit != tt.limit {
				t.Errorf("%s: error limit = %d; want %d", tt.name, e.Limit, tt.limit)
			}
		}
		if code != tt.code {
			t.Errorf("%s: checkText(%q) code = %q; want %q", tt.name, tt.in, code, tt.code)
		}
	}
}

func TestCheckLabel(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		required bool
		code     string
	}{
		{"ok", "Dissent on the pause", true, ""},
		{"other scripts", "مذكرة معارضة", true, ""},
		{"emoji", "🕊", true, ""},
		{"only spaces", "   ", true, "required"},
		{"only zero-width characters", "\u200b\u200c\u200d\u2060\ufeff", true, "required"},
		{"only Hangul fillers", "\u3164\u115f", true, "required"},
		{"only a combining mark", "\u0301", true, "required"},
		{"only a braille blank", "\u2800", true, "required"},
		{"zero-width but optional", "\u200b", false, ""},
		{"right-to-left override", "Approve \u202egnirotinom\u202c", true, "bidi_control"},
		{"left-to-right embedding", "a\u202ab", true, "bidi_control"},
		{"isolate", "a\u2066b\u2069", true, "bidi_control"},
		{"first strong isolate", "a\u2068b", false, "bidi_control"},
		{"a right-to-left mark is not a control", "a\u200fb", true, ""},
		{"control character", "a\x00b", true, "control_character"},
		{"too long", strings.Repeat("x", 21), true, "too_long"},
	}
	for _, tt := range tests {
		err := checkLabel("name", tt.in, 20, tt.required)
		var code string
		if err != nil {
			e := AsError(err)
			code = e.Code
			if e.Field != "name" {
				t.Errorf("%s: error field = %q; want name", tt.name, e.Field)
			}
		}
		if code != tt.code {
			t.Errorf("%s: checkLabel(%q) code = %q (%v); want %q", tt.name, tt.in, code, err, tt.code)
		}
	}
}

func FuzzCheckText(f *testing.F) {
	f.Add("hello", true)
	f.Add("a\x00", false)
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		if err := checkText("f", s, 50, multiline, false); err == nil {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f }) {
				t.Fatalf("accepted a control character in %q", s)
			}
		}
	})
}

func TestParseMessageID(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "not-an-id", strings.Repeat("A", 32), strings.Repeat("0", 31), strings.Repeat("0", 33), "../../../../etc/passwd" + strings.Repeat("0", 10), strings.Repeat("g", 32)} {
		if _, err := ParseMessageID(s); ErrorKind(err) != KindInvalid {
			t.Errorf("ParseMessageID(%q) error = %v; want invalid", s, err)
		}
	}
	if id, err := ParseMessageID(strings.Repeat("0a", 16)); err != nil || string(id) != strings.Repeat("0a", 16) {
		t.Errorf("ParseMessageID(valid) = %q, %v", id, err)
	}
}

func FuzzParseMessageID(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseMessageID(s)
		if err == nil && (len(id) != 32 || strings.Trim(string(id), "0123456789abcdef") != "") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// TestClassOf: each kind's class, and every kind the case's history shows
// is a step, so that the history, which reads steps alone, shows them all.
func TestClassOf(t *testing.T) {
	for kind, want := range map[string]EventClass{
		"read.text": ClassRead, "read.title": ClassRead, "read.names": ClassRead, "read.break_glass": ClassRead,
		"read.attachment": ClassRead, "read.exposure": ClassRead, "read.print": ClassRead,
		"signature.added": ClassAct, "signature.withdrawn": ClassAct, "signature.renew": ClassAct,
		"message.joined": ClassAct, "endorsement.given": ClassAct,
		"message.submitted": ClassStep, "endorsement.requested": ClassStep, "org.added": ClassStep,
		"state.changed": ClassStep, "signin.link": ClassStep, "reader": ClassStep,
	} {
		if got := ClassOf(kind); got != want {
			t.Errorf("ClassOf(%q) = %d; want %d", kind, got, want)
		}
	}
	for kind := range historyWords {
		if ClassOf(kind) != ClassStep {
			t.Errorf("the history shows %q, but it is not a step (class %d): the history would not read it", kind, ClassOf(kind))
		}
	}
}
