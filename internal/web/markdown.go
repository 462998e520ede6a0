package web

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// headingShift moves a message's headings two levels down (# becomes h3, at
// most h6), so that they sit below the page's own h1 and h2 and the page's
// outline stays in order.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ gmtext.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+2, 6)
		}
		return ast.WalkContinue, nil
	})
}

// md renders Markdown with raw HTML off (goldmark's default: raw HTML is
// replaced by a comment), and policy sanitizes what it produced: links only
// to http, https and mailto, no style, no script, no event handlers, every
// link opened without referrer and as nofollow, and no images.
var (
	md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))))
	policy = func() *bluemonday.Policy {
		// Built up from nothing rather than from UGCPolicy: no images, since
		// a remote image would tell its server who read the message and when.
		p := bluemonday.NewPolicy()
		p.AllowElements("p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
			"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub")
		p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
		p.AllowAttrs("href").OnElements("a")
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.RequireNoReferrerOnLinks(true)
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(false)
		return p
	}()
)

// renderMarkdown turns a message's Markdown into sanitized HTML. On the rare
// failure of the renderer it falls back to the escaped source, so a reader
// always sees the text.
func renderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitized above
}
