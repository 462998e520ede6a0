package web

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		in      string
		want    []string // substrings the output must hold
		mustNot []string // substrings it must not hold (lower-cased comparison)
	}{
		{in: "**bold** and _em_", want: []string{"<strong>bold</strong>", "<em>em</em>"}},
		{in: "[ok](https://example.org/a)", want: []string{`href="https://example.org/a"`, `rel="nofollow noreferrer"`}},
		{in: "[mail](mailto:a@b.example)", want: []string{`href="mailto:a@b.example"`}},
		{in: "<script>alert(1)</script>", mustNot: []string{"<script", "alert(1)</script"}},
		{in: "[x](javascript:alert(1))", mustNot: []string{"javascript:"}},
		{in: "[x](JaVaScRiPt:alert(1))", mustNot: []string{"javascript:"}},
		{in: "[x](data:text/html;base64,PHNjcmlwdD4=)", mustNot: []string{"data:"}},
		{in: "<img src=x onerror=alert(1)>", mustNot: []string{"onerror", "<img"}},
		{in: "![i](https://evil.example/t.png)", mustNot: []string{"evil.example"}},
		{in: "<svg onload=alert(1)>", mustNot: []string{"<svg", "onload"}},
		{in: "<a href=\"https://x.example\" style=\"color:red\">a</a>", mustNot: []string{"style=", "<a href=\"https://x.example\" style"}},
		{in: "# Title\n\n## Part\n\n###### Deep", want: []string{"<h3>Title</h3>", "<h4>Part</h4>", "<h6>Deep</h6>"}, mustNot: []string{"<h1", "<h2"}},
		{in: "| a | b |\n|---|---|\n| 1 | 2 |", want: []string{"<table>", "<td>1</td>"}},
	}
	for _, tt := range tests {
		got := string(renderMarkdown(tt.in))
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("renderMarkdown(%q) = %q; want it to contain %q", tt.in, got, w)
			}
		}
		for _, bad := range tt.mustNot {
			if strings.Contains(strings.ToLower(got), strings.ToLower(bad)) {
				t.Errorf("renderMarkdown(%q) = %q; must not contain %q", tt.in, got, bad)
			}
		}
	}
}

// activeContent returns what in an HTML fragment could run script or reach
// another origin when a browser parses it: a dangerous element, an event
// handler, or a link to a scheme other than http, https and mailto.
func activeContent(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			switch string(name) {
			case "script", "iframe", "svg", "math", "style", "img", "object", "embed", "link", "meta", "form", "base":
				return "element " + string(name)
			}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				key := strings.ToLower(string(k))
				if strings.HasPrefix(key, "on") || key == "style" || key == "src" {
					return "attribute " + key
				}
				if key == "href" {
					u := strings.ToLower(strings.TrimSpace(string(v)))
					if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "mailto:") {
						return "href " + u
					}
				}
			}
		}
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"<script>x</script>", "[a](javascript:b)", "<img src=x onerror=y>", "*a*", "<svg/onload=x>",
		"<a href=\"&#106;avascript:x\">q</a>", "[a](<javascript:b>)", "<https://x.example>", "[a](//evil.example)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(renderMarkdown(s))
		if bad := activeContent(out); bad != "" {
			t.Fatalf("renderMarkdown(%q) = %q; holds %s", s, out, bad)
		}
	})
}
