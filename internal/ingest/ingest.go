// Package ingest brings press articles to the exposure monitor: it reads
// RSS and Atom feeds (Fetcher, a dissent.FeedFetcher) and picks up the
// files put in a watched directory (Dir). Articles are public text; nothing
// here touches a message.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/dissent-channel/dissent"
)

// MaxFeedBytes is the largest feed document read; MaxFileBytes the largest
// article file.
const (
	MaxFeedBytes = 8 << 20
	MaxFileBytes = 4 << 20
)

// Fetcher reads RSS and Atom feeds over HTTP. The zero value uses a client
// with a 30-second timeout.
type Fetcher struct {
	Client *http.Client
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// Fetch returns the feed's items as articles: the item's title, its link,
// and its content (or, without content, its description) as plain text.
// Items with no text are left out. Errors never contain the feed's content.
func (f *Fetcher) Fetch(ctx context.Context, url string) ([]dissent.ArticleInput, error) {
	c := f.Client
	if c == nil {
		c = defaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch feed: %w", err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8")
	req.Header.Set("User-Agent", "dissent-exposure-monitor")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch feed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch feed: HTTP status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch feed: %w", err)
	}
	if len(b) > MaxFeedBytes {
		return nil, fmt.Errorf("fetch feed: larger than %d bytes", MaxFeedBytes)
	}
	return ParseFeed(b)
}

// ParseFeed parses an RSS or Atom document into articles.
func ParseFeed(b []byte) ([]dissent.ArticleInput, error) {
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		return nil, errors.New("parse feed: not an RSS or Atom document")
	}
	var out []dissent.ArticleInput
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		body := it.Content
		if strings.TrimSpace(body) == "" {
			body = it.Description
		}
		text := Text(body)
		if text == "" {
			continue
		}
		out = append(out, dissent.ArticleInput{Title: title(Text(it.Title)), URL: strings.TrimSpace(it.Link), Body: text})
	}
	return out, nil
}

// title makes a title of s: one line, at most dissent.MaxArticleTitle
// characters.
func title(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) > dissent.MaxArticleTitle {
		s = string([]rune(s)[:dissent.MaxArticleTitle-1]) + "…"
	}
	return s
}

// oneLine joins the lines of s with spaces and drops control characters.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == ' ' }), " ")
}

// Text returns the text of an HTML fragment (feeds carry HTML in their
// content): block elements become paragraph breaks, script and style are
// dropped, entities decoded, runs of white space collapsed, invalid UTF-8
// and control characters removed. Plain text passes through unchanged but
// for white space.
func Text(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0
	para := func() {
		s := b.String()
		if s != "" && !strings.HasSuffix(s, "\n\n") {
			b.WriteString("\n\n")
		}
	}
	for {
		switch z.Next() {
		case html.ErrorToken:
			return clean(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if t := z.Token(); t.Type == html.StartTagToken {
					skip++
				}
			case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article":
				para()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article":
				para()
			}
		}
	}
}

// clean collapses white space within paragraphs, keeps paragraph breaks,
// and drops invalid UTF-8 and control characters.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		p = strings.Join(strings.FieldsFunc(p, func(r rune) bool {
			return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0)
		}), " ")
		if p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

// Dir picks up the article files put in a directory. Each file is read
// once per process (by name, size and modification time); the Service
// stores each text once whatever the file, so restarting re-reads the
// files without storing them twice.
type Dir struct {
	Path string
	// Add stores one article; name is the file's name, for logs.
	Add func(ctx context.Context, name string, in dissent.ArticleInput) error

	mu   sync.Mutex
	seen map[string]fileKey
}

type fileKey struct {
	size int64
	mod  time.Time
	typ  fs.FileMode
}

// Scan reads the files not seen yet and hands them to Add. Files that are
// not regular (symbolic links, devices, pipes, directories), larger than
// MaxFileBytes, or not UTF-8 text are skipped and reported in the error (by
// name, once per change) for the caller to log; hidden files are ignored;
// the others are still read.
//
// A file is opened with O_NOFOLLOW|O_NONBLOCK and checked with fstat on the
// open descriptor, then read through a limited reader: a symbolic link
// swapped in after the directory was listed is not followed (it would store
// a private file the server can read, in clear), a device or FIFO neither
// blocks the scan nor streams without end (/dev/zero), and a file that
// grows while being read stops at the cap.
func (d *Dir) Scan(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]fileKey{}
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return 0, fmt.Errorf("read articles directory: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		b, key, err := d.read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if old, ok := d.seen[name]; ok && old == key {
			continue
		}
		d.seen[name] = key
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if !utf8.Valid(b) {
			errs = append(errs, fmt.Errorf("%s: not UTF-8 text", name))
			continue
		}
		t := title(strings.TrimSuffix(name, filepath.Ext(name)))
		if err := d.Add(ctx, name, dissent.ArticleInput{Title: t, Body: string(b)}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// read opens one file of the directory without following a link and
// returns its text (at most MaxFileBytes) and its key for d.seen. An error
// says why it was skipped; the key is then the link's or the file's own.
func (d *Dir) read(name string) ([]byte, fileKey, error) {
	path := filepath.Join(d.Path, name)
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		var key fileKey
		if info, lerr := os.Lstat(path); lerr == nil {
			key = fileKey{info.Size(), info.ModTime(), info.Mode().Type()}
			if info.Mode()&fs.ModeSymlink != 0 {
				return nil, key, errors.New("a symbolic link, skipped (links are never followed)")
			}
		}
		return nil, key, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileKey{}, err
	}
	key := fileKey{info.Size(), info.ModTime(), info.Mode().Type()}
	if !info.Mode().IsRegular() {
		return nil, key, fmt.Errorf("not a regular file (%s), skipped", info.Mode().Type())
	}
	if info.Size() > MaxFileBytes {
		return nil, key, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, key, err
	}
	if len(b) > MaxFileBytes {
		return nil, key, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	return b, key, nil
}
