package web

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dissent-channel/dissent"
)

func TestMakeExcerpt(t *testing.T) {
	text := "one two three four five"
	tests := []struct {
		start, end int
		want       excerpt
	}{
		{8, 13, excerpt{Before: "one two ", Mark: "three", After: " four five"}},
		{0, 3, excerpt{Mark: "one", After: " two three four five"}},
		{-1, 3, excerpt{}},
		{3, 99, excerpt{}},
		{5, 4, excerpt{}},
	}
	if got := makeExcerpt("naïve", 3, 5); got != (excerpt{}) {
		t.Errorf("makeExcerpt inside a character = %+v; want empty", got)
	}
	for _, tt := range tests {
		if got := makeExcerpt(text, tt.start, tt.end); got != tt.want {
			t.Errorf("makeExcerpt(%d, %d) = %+v; want %+v", tt.start, tt.end, got, tt.want)
		}
	}
	long := strings.Repeat("word ", 100) + "MARK" + strings.Repeat(" word", 100)
	e := makeExcerpt(long, 500, 504)
	if e.Mark != "MARK" || !e.Cut0 || !e.Cut1 || len(e.Before) > excerptContext || len(e.After) > excerptContext ||
		strings.HasPrefix(e.Before, "ord") || strings.HasSuffix(e.After, "wor") {
		t.Errorf("long excerpt = %+v", e)
	}
}

// FuzzMakeExcerpt: offsets come from the database; whatever they are, the
// excerpt is valid UTF-8 when the text is, and it shows the passage itself.
func FuzzMakeExcerpt(f *testing.F) {
	f.Add("naïve café — “quoted” words", 3, 12)
	f.Add("", 0, 0)
	f.Add("abc", 2, 1)
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		e := makeExcerpt(text, start, end)
		if start < 0 || end > len(text) || start > end ||
			start < len(text) && !utf8.RuneStart(text[start]) || end < len(text) && !utf8.RuneStart(text[end]) {
			if e != (excerpt{}) {
				t.Fatalf("out-of-range offsets gave %+v", e)
			}
			return
		}
		if e.Mark != text[start:end] {
			t.Fatalf("Mark = %q; want %q", e.Mark, text[start:end])
		}
		if utf8.ValidString(text) && (!utf8.ValidString(e.Before) || !utf8.ValidString(e.After)) {
			t.Fatalf("context cut inside a character: %+v", e)
		}
		if !strings.Contains(text, e.Before+e.Mark+e.After) {
			t.Fatalf("excerpt %+v is not a piece of the text", e)
		}
	})
}

// TestOpenAPIArticleSchemas: the documented article shapes have exactly the
// fields the handler decodes and encodes, and the domain's limits.
func TestOpenAPIArticleSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, tt := range []struct {
		schema        string
		value         any
		checkRequired bool
	}{
		{"ArticleRequest", articleRequest{}, false},
		{"Article", articleJSON{}, true},
	} {
		props, required := schemaFields(t, doc, tt.schema)
		all, always := jsonFields(tt.value)
		if missing, extra := setDiff(all, props), setDiff(props, all); len(missing)+len(extra) > 0 {
			t.Errorf("schema %s: properties missing %v and extra %v", tt.schema, missing, extra)
		}
		if tt.checkRequired {
			if missing, extra := setDiff(always, required), setDiff(required, always); len(missing)+len(extra) > 0 {
				t.Errorf("schema %s: required lacks %v and holds %v", tt.schema, missing, extra)
			}
		}
	}
	for ref, want := range map[string]int{
		"#/components/schemas/ArticleRequest/properties/title/maxLength": dissent.MaxArticleTitle,
		"#/components/schemas/ArticleRequest/properties/url/maxLength":   dissent.MaxURL,
		"#/components/schemas/ArticleRequest/properties/body/maxLength":  dissent.MaxArticleBody,
	} {
		if got, ok := pointer(doc, ref).(float64); !ok || int(got) != want {
			t.Errorf("%s = %v; want %d", ref, pointer(doc, ref), want)
		}
	}
}
