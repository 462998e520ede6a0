package exposure

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func readDir(t testing.TB, dir string) []Document {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var docs []Document
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, Document{Name: e.Name(), Text: b})
	}
	return docs
}

// TestGolden matches the articles of testdata/golden against its messages
// and compares the output, as `dissent exposure match --format json` prints
// it, followed by the text of every passage for the reader's benefit, with
// testdata/golden/match.golden. Run with -update to rewrite it.
func TestGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "golden")
	msgs := readDir(t, filepath.Join(dir, "messages"))
	arts := readDir(t, filepath.Join(dir, "articles"))
	text := map[string][]byte{}
	for _, d := range append(append([]Document{}, msgs...), arts...) {
		text[d.Name] = d.Text
	}
	var got bytes.Buffer
	findings := MatchAll(msgs, arts, Options{})
	for _, f := range findings {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
		got.WriteByte('\n')
	}
	got.WriteString("\n# Passages\n")
	for _, f := range findings {
		fmt.Fprintf(&got, "\n%s <- %s (score %.4f)\n", f.Article, f.Message, f.Score)
		for _, p := range f.Passages {
			fmt.Fprintf(&got, "  %s\n    article: %q\n    message: %q\n", p.Kind,
				text[f.Article][p.ArticleStart:p.ArticleEnd], text[f.Message][p.MessageStart:p.MessageEnd])
		}
	}
	golden := filepath.Join(dir, "match.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("MatchAll output differs from %s (-want +got):\n%s", golden, diff)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte(msgHealth), []byte("Nurses said “children now wait four days for a diagnosis that used to take an hour.”"))
	f.Add([]byte(msgResettlement), []byte("“[The suspension] abandons people who risked their lives (sic) … for our mission,” it says."))
	f.Add([]byte("a b c d e f g h"), []byte("“a b c d e f g h” [x] (y) ... a b c"))
	f.Add([]byte("\xff\xfe \u0301\u0301 [[[ ((("), []byte("]]] ))) … \u0301"))
	f.Fuzz(func(t *testing.T, msg, art []byte) {
		msgs := append(testMessages(), Document{Name: "fuzz.txt", Text: msg})
		ix := NewIndex(msgs, Options{})
		got := ix.Match(Document{Name: "a", Text: art})
		size := map[string]int{}
		for _, m := range msgs {
			size[m.Name] = len(m.Text)
		}
		for i, fd := range got {
			if i > 0 && got[i-1].Message > fd.Message {
				t.Errorf("findings not sorted by message: %q after %q", fd.Message, got[i-1].Message)
			}
			if fd.Score < 0 || fd.Score > 1 || len(fd.Passages) == 0 {
				t.Errorf("finding %+v: bad score or no passages", fd)
			}
			for k, p := range fd.Passages {
				if p.ArticleStart < 0 || p.ArticleStart >= p.ArticleEnd || p.ArticleEnd > len(art) ||
					p.MessageStart < 0 || p.MessageStart >= p.MessageEnd || p.MessageEnd > size[fd.Message] {
					t.Errorf("passage %+v out of bounds (article %d bytes, message %d bytes)", p, len(art), size[fd.Message])
				}
				if p.Kind != Verbatim && p.Kind != Edited && p.Kind != Paraphrase {
					t.Errorf("passage %+v: unknown kind", p)
				}
				if k > 0 && fd.Passages[k-1].ArticleStart > p.ArticleStart {
					t.Errorf("passages not in article order: %+v", fd.Passages)
				}
			}
		}
	})
}
