package main

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var full = flag.Bool("exposure.full", false, "run the full benchmark (200 messages, 400 articles) and check the targets")

func TestGenerateIsDeterministic(t *testing.T) {
	a := generate(7, 20, 30, 5)
	b := generate(7, 20, 30, 5)
	if diff := cmp.Diff(a, b, cmp.AllowUnexported(corpus{}, genMessage{}, genArticle{}, genCase{}, wspan{}, sspan{}, sentence{})); diff != "" {
		t.Fatalf("generate(7, ...) twice differs:\n%s", diff)
	}
	c := generate(8, 20, 30, 5)
	if a.messages[0].text == c.messages[0].text {
		t.Errorf("generate with seeds 7 and 8 gives the same first message")
	}
	// A larger corpus extends a smaller one.
	d := generate(7, 25, 0, 0)
	for i := range a.messages {
		if a.messages[i].text != d.messages[i].text {
			t.Fatalf("message %d differs between corpora of 20 and 25 messages", i)
		}
	}
}

func TestGeneratedCases(t *testing.T) {
	c := generate(3, 40, 200, 0)
	msgs := map[string]string{}
	for _, m := range c.messages {
		msgs[m.name] = m.text
	}
	counts := map[string]int{}
	for _, a := range c.articles {
		counts[a.category]++
		for _, cs := range a.cases {
			m := msgs[cs.Message]
			if cs.ArticleStart < 0 || cs.ArticleStart >= cs.ArticleEnd || cs.ArticleEnd > len(a.text) ||
				cs.MessageStart < 0 || cs.MessageStart >= cs.MessageEnd || cs.MessageEnd > len(m) {
				t.Fatalf("%s: case %+v out of bounds", a.name, cs)
			}
			got, src := a.text[cs.ArticleStart:cs.ArticleEnd], m[cs.MessageStart:cs.MessageEnd]
			switch a.category {
			case catVerbatim, catSplit:
				if got != src {
					t.Errorf("%s: %s case %q; want the message's %q", a.name, a.category, got, src)
				}
			case catQuotesCase:
				fold := strings.NewReplacer("’", "'")
				if !strings.EqualFold(fold.Replace(got), fold.Replace(src)) {
					t.Errorf("%s: quote %q; want %q up to case and apostrophes", a.name, got, src)
				}
			case catBrackets, catParens, catEllipsis:
				if !strings.ContainsAny(got, "[(.…") {
					t.Errorf("%s: %s case %q has no mark of editing", a.name, a.category, got)
				}
			}
			if a.category != catSummary && cs.words < 1 {
				t.Errorf("%s: case with %d words", a.name, cs.words)
			}
		}
		if a.category == catClean && len(a.cases) != 0 {
			t.Errorf("%s: clean article with cases", a.name)
		}
	}
	for _, cat := range append([]string{catClean}, leakCategories...) {
		if counts[cat] == 0 {
			t.Errorf("no article of category %s in 200", cat)
		}
	}
}

func TestWordSpans(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"We, the undersigned “officers.”", []string{"We", "the", "undersigned", "officers"}},
		{"(most of them) 14,000 don’t", []string{"most", "of", "them", "14,000", "don’t"}},
		{" — ", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range wordSpans(tt.text) {
			got = append(got, tt.text[s[0]:s[1]])
		}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("wordSpans(%q) = %q; want %q", tt.text, got, tt.want)
		}
	}
}

func TestVerbForms(t *testing.T) {
	tests := []struct {
		base string
		want [5]string
	}{
		{"warn", [5]string{"warn", "warns", "warned", "warned", "warning"}},
		{"undermine", [5]string{"undermine", "undermines", "undermined", "undermined", "undermining"}},
		{"deny", [5]string{"deny", "denies", "denied", "denied", "denying"}},
		{"stop", [5]string{"stop", "stops", "stopped", "stopped", "stopping"}},
		{"begin", [5]string{"begin", "begins", "began", "begun", "beginning"}},
		{"call on", [5]string{"call on", "calls on", "called on", "called on", "calling on"}},
	}
	for _, tt := range tests {
		if got := verbForms(tt.base); got != tt.want {
			t.Errorf("verbForms(%q) = %q; want %q", tt.base, got, tt.want)
		}
	}
}

// TestBenchSmall runs the whole harness on a small corpus: it must print
// its table and do reasonably well; the targets proper are checked on the
// full corpus (-exposure.full).
func TestBenchSmall(t *testing.T) {
	var out bytes.Buffer
	rep, err := bench(config{seed: 1, messages: 60, articles: 150, background: 10}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"by kind of edit", "all quotes", "two-message articles", "clean articles"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if q := rep.quotes.Plagdet; q < 0.9 {
		t.Errorf("quotes plagdet = %.3f; want ≥ 0.9\n%s", q, out.String())
	}
	if rep.cleanHit > rep.cleanArts/10 {
		t.Errorf("%d of %d clean articles have findings; want at most a tenth", rep.cleanHit, rep.cleanArts)
	}
}

func TestBenchFull(t *testing.T) {
	if !*full {
		t.Skip("the full benchmark takes a while: run with -exposure.full")
	}
	var out bytes.Buffer
	rep, err := bench(config{seed: 1, messages: 200, articles: 400, background: 50, tmessages: 1000}, io.MultiWriter(&out))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if failed := rep.failedTargets(); len(failed) > 0 {
		t.Errorf("targets missed: %v", failed)
	}
}
