package web

import (
	"strings"
	"testing"
)

func joinDiff(ops []diffOp, skip string) string {
	var b strings.Builder
	for _, o := range ops {
		if o.Kind != skip {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

func TestWordDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want []diffOp
	}{
		{"", "", nil},
		{"same text", "same text", []diffOp{{"eq", "same text"}}},
		{"", "new words", []diffOp{{"ins", "new words"}}},
		{"old words", "", []diffOp{{"del", "old words"}}},
		{"we urge a ceasefire", "we urge an immediate ceasefire",
			[]diffOp{{"eq", "we urge "}, {"del", "a"}, {"ins", "an immediate"}, {"eq", " ceasefire"}}},
		{"one two three", "one three", []diffOp{{"eq", "one "}, {"del", "two "}, {"eq", "three"}}},
		{"a b c", "c b a", []diffOp{{"del", "a"}, {"ins", "c"}, {"eq", " b "}, {"del", "c"}, {"ins", "a"}}},
		{"We recommend a ceasefire.", "We recommend an immediate ceasefire.",
			[]diffOp{{"eq", "We recommend "}, {"del", "a"}, {"ins", "an immediate"}, {"eq", " ceasefire."}}},
		{"line one\nline two", "line one\n\nline two", []diffOp{{"eq", "line one"}, {"del", "\n"}, {"ins", "\n\n"}, {"eq", "line two"}}},
		{"naïve café", "naïve bistro", []diffOp{{"eq", "naïve "}, {"del", "café"}, {"ins", "bistro"}}},
	}
	for _, tt := range tests {
		got := wordDiff(tt.a, tt.b)
		if len(got) != len(tt.want) {
			t.Errorf("wordDiff(%q, %q) = %q; want %q", tt.a, tt.b, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("wordDiff(%q, %q) = %q; want %q", tt.a, tt.b, got, tt.want)
				break
			}
		}
	}
}

// TestWordDiffHuge: texts past the LCS budget still diff, coarsely.
func TestWordDiffHuge(t *testing.T) {
	a := strings.Repeat("alpha beta ", 5000)
	b := "intro " + strings.Repeat("beta alpha ", 5000)
	got := wordDiff(a, b)
	if joinDiff(got, "ins") != a || joinDiff(got, "del") != b {
		t.Fatalf("huge diff does not rebuild its inputs")
	}
}

func FuzzWordDiff(f *testing.F) {
	f.Add("we urge a ceasefire", "we urge an immediate ceasefire")
	f.Add("", "x")
	f.Add("a  b\tc\n", "a b c")
	f.Add("\xff bad", "bad \xfe")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 2000 || len(b) > 2000 {
			return
		}
		ops := wordDiff(a, b)
		va, vb := strings.ToValidUTF8(a, "\uFFFD"), strings.ToValidUTF8(b, "\uFFFD")
		if got := joinDiff(ops, "ins"); got != va {
			t.Fatalf("eq+del = %q; want %q", got, va)
		}
		if got := joinDiff(ops, "del"); got != vb {
			t.Fatalf("eq+ins = %q; want %q", got, vb)
		}
		for i, o := range ops {
			if o.Text == "" {
				t.Fatalf("op %d is empty: %q", i, ops)
			}
			if i > 0 && ops[i-1].Kind == o.Kind {
				t.Fatalf("ops %d and %d have the same kind: %q", i-1, i, ops)
			}
		}
	})
}

// BenchmarkWordDiff: two versions of a 100,000-character body that differ
// in one sentence in the middle (the common case: a small edit), and two
// unrelated 5,000-character bodies (a full LCS table of about 2 million cells).
func BenchmarkWordDiff(b *testing.B) {
	para := "We recommend that the Department reassess its posture and open talks without delay. "
	long := strings.Repeat(para, 100_000/len(para))
	edited := long[:len(long)/2] + "We add one sentence here. " + long[len(long)/2:]
	b.Run("small-edit-100k", func(b *testing.B) {
		for b.Loop() {
			wordDiff(long, edited)
		}
	})
	x := strings.Repeat("alpha beta gamma ", 5_000/17)
	y := strings.Repeat("delta alpha epsilon ", 5_000/20)
	b.Run("unrelated-5k", func(b *testing.B) {
		for b.Loop() {
			wordDiff(x, y)
		}
	})
}
