package web

import (
	"bytes"
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"html/template"
	"io"
	"sync"

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

// renderMarkdown turns a message's Markdown into sanitized HTML, rendering
// each text once: the HTML is kept in mdCache. On the rare failure of the
// renderer it falls back to the escaped source, so a reader always sees the
// text.
func renderMarkdown(src string) template.HTML {
	key := mdCache.key(src)
	if h, ok := mdCache.get(key); ok {
		return h
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	h := template.HTML(policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitized above
	mdCache.put(key, h)
	return h
}

// mdCache holds the sanitized HTML of the texts rendered lately, at most
// maxBytes of it, least recently used first out. It is keyed by an HMAC of
// the source under a key made at start-up, so an entry is found only by
// whoever already holds the whole text: the Service's authorization to read
// the text is the entitlement to its HTML, and the cache grants nothing
// more. It lives in memory only (never on disk), like the text being shown.
// See docs/ARCHITECTURE.md.
var mdCache = newHTMLCache(64 << 20)

type htmlCache struct {
	mu       sync.Mutex
	hmacKey  []byte
	max      int
	size     int
	entries  map[[32]byte]*list.Element
	lru      *list.List // of *htmlEntry, most recent first
	hits     int
	rendered int
}

type htmlEntry struct {
	key  [32]byte
	html template.HTML
}

func newHTMLCache(maxBytes int) *htmlCache {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &htmlCache{hmacKey: k, max: maxBytes, entries: map[[32]byte]*list.Element{}, lru: list.New()}
}

func (c *htmlCache) key(src string) [32]byte {
	m := hmac.New(sha256.New, c.hmacKey)
	_, _ = io.WriteString(m, src)
	var k [32]byte
	m.Sum(k[:0])
	return k
}

func (c *htmlCache) get(k [32]byte) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return "", false
	}
	c.hits++
	c.lru.MoveToFront(e)
	return e.Value.(*htmlEntry).html, true
}

func (c *htmlCache) put(k [32]byte, h template.HTML) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rendered++
	if _, ok := c.entries[k]; ok || len(h) > c.max {
		return
	}
	c.entries[k] = c.lru.PushFront(&htmlEntry{key: k, html: h})
	c.size += len(h)
	for c.size > c.max {
		old := c.lru.Back()
		e := old.Value.(*htmlEntry)
		c.lru.Remove(old)
		delete(c.entries, e.key)
		c.size -= len(e.html)
	}
}

// reset empties the cache (for tests and benchmarks that measure a first
// rendering).
func (c *htmlCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries, c.size = map[[32]byte]*list.Element{}, 0
	c.lru.Init()
}
