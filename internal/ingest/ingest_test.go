package ingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/ingest"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

var ctx = context.Background()

const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Wire</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>Cable warns of stranded interpreters</title><link>https://news.example/cable</link>
<description><![CDATA[<p>WASHINGTON &mdash; A cable warns that &ldquo;each new screening costs the program another eleven months of processing that the embassy cannot absorb,&rdquo; officials said.</p><script>alert(1)</script><p>The department declined to comment.</p>]]></description></item>
<item><title>Empty</title><link>https://news.example/empty</link><description>   </description></item>
<item><title>Weather</title><link>https://news.example/weather</link><description>Rain is expected on Tuesday across the region.</description></item>
</channel></rss>`

const atom = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><id>urn:x</id><updated>2023-11-10T00:00:00Z</updated>
<entry><title type="html">Pause &lt;b&gt;strands&lt;/b&gt; families</title><link href="https://news.example/pause"/><id>urn:1</id><updated>2023-11-10T00:00:00Z</updated>
<content type="html">&lt;p&gt;Diplomats wrote that the pause leaves families who waited four years with expired medical clearances, in a cable seen this week.&lt;/p&gt;</content></entry>
</feed>`

func TestParseFeed(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []dissent.ArticleInput
	}{
		{"rss", rss, []dissent.ArticleInput{
			{Title: "Cable warns of stranded interpreters", URL: "https://news.example/cable",
				Body: "WASHINGTON — A cable warns that “each new screening costs the program another eleven months of processing that the embassy cannot absorb,” officials said.\n\nThe department declined to comment."},
			{Title: "Weather", URL: "https://news.example/weather", Body: "Rain is expected on Tuesday across the region."},
		}},
		{"atom", atom, []dissent.ArticleInput{
			{Title: "Pause strands families", URL: "https://news.example/pause",
				Body: "Diplomats wrote that the pause leaves families who waited four years with expired medical clearances, in a cable seen this week."},
		}},
	}
	for _, tt := range tests {
		got, err := ingest.ParseFeed([]byte(tt.doc))
		if err != nil {
			t.Fatalf("%s: ParseFeed: %v", tt.name, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: ParseFeed = %+v; want %+v", tt.name, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: item %d = %+v; want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	if _, err := ingest.ParseFeed([]byte("<html><body>not a feed</body></html>")); err == nil {
		t.Errorf("ParseFeed(HTML page) succeeded")
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text\n with breaks", "plain text with breaks"},
		{"<p>One.</p><p>Two &amp; three.</p>", "One.\n\nTwo & three."},
		{"a<br>b<br/>c", "a\n\nb\n\nc"},
		{"<style>p{}</style>x<script>y</script>z", "xz"},
		{"bad \xff byte\x01", "bad byte"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ingest.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// feedEnv is a Service with a submitted message that the test feeds quote.
func feedEnv(t *testing.T) (*servicetest.Env, servicetest.Actor, dissent.Message) {
	t.Helper()
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	d := p["drafter@state.example"].Actor
	body := "We write because the pause has stranded interpreters.\n\nThe pause leaves families who waited four years with expired medical clearances, and each new screening costs the program another eleven months of processing that the embassy cannot absorb."
	m, err := e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: "t", Summary: "s", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = e.Svc.Submit(ctx, d, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	return e, p["officer@state.example"], m
}

func TestPollFeeds(t *testing.T) {
	e, officer, m := feedEnv(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(rss))
		case "/atom":
			w.Header().Set("Content-Type", "application/atom+xml")
			w.Write([]byte(atom))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/rss", "/atom", "/missing"} {
		if _, err := e.Svc.AddFeed(ctx, officer.Actor, srv.URL+path); err != nil {
			t.Fatalf("AddFeed(%s): %v", path, err)
		}
	}
	f := &ingest.Fetcher{Client: srv.Client()}
	n, err := e.Svc.PollFeeds(ctx, f, time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("PollFeeds = %d, %v; want 3 new articles", n, err)
	}
	if hits.Load() != 3 {
		t.Errorf("%d requests; want 3", hits.Load())
	}
	fs, err := e.Svc.ExposureFindings(ctx, officer.Actor)
	if err != nil || len(fs) != 2 {
		t.Fatalf("ExposureFindings = %+v, %v; want one from each feed", fs, err)
	}
	for _, f := range fs {
		if f.MessageID != m.ID || f.Article.Source != dissent.SourceFeed || f.Article.FeedID == 0 {
			t.Errorf("finding %+v", f)
		}
	}
	feeds, _ := e.Svc.Feeds(ctx, officer.Actor)
	if feeds[2].LastError != "fetch feed: HTTP status 404" || feeds[0].LastError != "" {
		t.Errorf("feed errors = %q, %q", feeds[0].LastError, feeds[2].LastError)
	}

	// Within the interval nothing is fetched; after it, every feed once,
	// and the same items are not stored again.
	if n, err := e.Svc.PollFeeds(ctx, f, time.Hour); err != nil || n != 0 || hits.Load() != 3 {
		t.Errorf("second poll within the hour = %d, %v, %d requests", n, err, hits.Load())
	}
	e.Clock.Set(e.Clock.Now().Add(2 * time.Hour))
	if n, err := e.Svc.PollFeeds(ctx, f, time.Hour); err != nil || n != 0 || hits.Load() != 6 {
		t.Errorf("poll after the hour = %d, %v, %d requests; want 0 new, 6 requests", n, err, hits.Load())
	}
	// Two pollers at once (two instances): each feed fetched once.
	e.Clock.Set(e.Clock.Now().Add(2 * time.Hour))
	done := make(chan error, 2)
	for range 2 {
		go func() { _, err := e.Svc.PollFeeds(ctx, f, time.Hour); done <- err }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if hits.Load() != 9 {
		t.Errorf("two concurrent pollers made %d requests in all; want 9 (each feed once)", hits.Load())
	}

	// Only the channel office manages feeds: the administrator, the
	// compliance monitor and an employee are refused.
	for _, who := range []dissent.Role{dissent.RoleAdmin, dissent.RoleMonitor, dissent.RoleEmployee} {
		a := dissent.Actor{Person: dissent.Person{ID: officer.ID, Roles: dissent.Roles{who}}}
		if _, err := e.Svc.AddFeed(ctx, a, srv.URL+"/other"); dissent.ErrorKind(err) != dissent.KindForbidden {
			t.Errorf("AddFeed as %s: error = %v; want Forbidden", who, err)
		}
		if _, err := e.Svc.Feeds(ctx, a); dissent.ErrorKind(err) != dissent.KindForbidden {
			t.Errorf("Feeds as %s: error = %v; want Forbidden", who, err)
		}
	}
	if _, err := e.Svc.AddFeed(ctx, officer.Actor, srv.URL+"/rss"); dissent.ErrorKind(err) != dissent.KindConflict {
		t.Errorf("AddFeed(same URL) error = %v; want Conflict", err)
	}
	if _, err := e.Svc.AddFeed(ctx, officer.Actor, "ftp://127.0.0.1/feed"); dissent.AsError(err) == nil || dissent.AsError(err).Field != "url" {
		t.Errorf("AddFeed(ftp) error = %v; want Invalid on url", err)
	}
}

func TestWatchedDirectory(t *testing.T) {
	e, officer, m := feedEnv(t)
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var added []string
	d := &ingest.Dir{Path: dir, Add: func(ctx context.Context, name string, in dissent.ArticleInput) error {
		added = append(added, name)
		_, _, err := e.Svc.IngestArticle(ctx, dissent.SourceDirectory, 0, in)
		return err
	}}
	write("leak.txt", "KABUL — Diplomats wrote that the pause leaves families who waited four years with expired medical clearances.")
	write("copy.txt", "KABUL —  Diplomats wrote that the pause leaves families who waited four years\nwith expired medical clearances.")
	write(".hidden", "ignored")
	write("binary.txt", "\xff\xfe")
	n, err := d.Scan(ctx)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "binary.txt: not UTF-8") {
		t.Fatalf("Scan = %d, %v; want 2 and an error naming binary.txt", n, err)
	}
	if n, err := d.Scan(ctx); n != 0 || err != nil {
		t.Errorf("second Scan = %d, %v; want nothing new", n, err)
	}
	fs, err := e.Svc.ExposureFindings(ctx, officer.Actor)
	if err != nil || len(fs) != 1 || fs[0].MessageID != m.ID || fs[0].Article.Source != dissent.SourceDirectory {
		t.Fatalf("ExposureFindings = %+v, %v; want one from the directory (the copy stored once)", fs, err)
	}
	// A changed file is read again.
	write("leak.txt", "Updated: nothing to see.")
	if n, err := d.Scan(ctx); n != 1 || err != nil || added[len(added)-1] != "leak.txt" {
		t.Errorf("Scan after a change = %d, %v (%v)", n, err, added)
	}
}
