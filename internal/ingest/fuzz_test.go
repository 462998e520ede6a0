package ingest_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dissent-channel/dissent/internal/ingest"
)

// FuzzText: any input gives valid UTF-8 without control characters (but
// paragraph breaks), without script or style content markers left as tags,
// and is idempotent on its own output.
func FuzzText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<script>x</script>y", "a &amp; b", "\xff<b", "<p><p></p>", "<style", "x\r\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ingest.Text(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r < ' ' && r != '\n' || r == 0x7f {
				t.Fatalf("Text(%q) = %q: control character %U", s, got, r)
			}
		}
		if strings.Contains(got, "\n\n\n") || strings.HasPrefix(got, "\n") || strings.HasSuffix(got, "\n") {
			t.Fatalf("Text(%q) = %q: stray breaks", s, got)
		}
	})
}

// FuzzParseFeed: any document parses or fails without panicking, and every
// item has text.
func FuzzParseFeed(f *testing.F) {
	f.Add([]byte(rss))
	f.Add([]byte(atom))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"content_text":"x"}]}`))
	f.Add([]byte("<rss><channel><item><description>&lt;p&gt;x</description></item></channel></rss>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := ingest.ParseFeed(b)
		if err != nil {
			return
		}
		for _, it := range items {
			if strings.TrimSpace(it.Body) == "" || strings.Contains(it.Title, "\n") {
				t.Fatalf("item %+v", it)
			}
		}
	})
}
