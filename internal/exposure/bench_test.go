package exposure

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// benchCorpus returns the golden messages plus n messages of shuffled
// sentences of them (so that n-grams repeat across messages as stock
// phrases do), and the golden articles.
func benchCorpus(b *testing.B, n int) (msgs, arts []Document) {
	dir := filepath.Join("testdata", "golden")
	msgs = readDir(b, filepath.Join(dir, "messages"))
	arts = readDir(b, filepath.Join(dir, "articles"))
	var words [][]byte
	for _, m := range msgs {
		words = append(words, bytes.Fields(m.Text)...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		var t []byte
		for range 400 {
			// Runs of 2 to 6 consecutive words, shuffled.
			k := r.IntN(len(words) - 6)
			for _, w := range words[k : k+2+r.IntN(5)] {
				t = append(append(t, w...), ' ')
			}
		}
		msgs = append(msgs, Document{Name: fmt.Sprintf("synthetic-%d", i), Text: t})
	}
	return msgs, arts
}

func BenchmarkNormalize(b *testing.B) {
	_, arts := benchCorpus(b, 0)
	var size int64
	for _, a := range arts {
		size += int64(len(a.Text))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, a := range arts {
			Normalize(a.Text)
		}
	}
}

// BenchmarkNormalizeBaseline is the raw baseline for BenchmarkNormalize:
// splitting on white space and lower-casing, with no Unicode
// normalization and no offsets.
func BenchmarkNormalizeBaseline(b *testing.B) {
	_, arts := benchCorpus(b, 0)
	var size int64
	for _, a := range arts {
		size += int64(len(a.Text))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, a := range arts {
			for _, w := range bytes.Fields(a.Text) {
				_ = bytes.ToLower(w)
			}
		}
	}
}

func BenchmarkNewIndex(b *testing.B) {
	msgs, _ := benchCorpus(b, 300)
	for b.Loop() {
		NewIndex(msgs, Options{})
	}
}

// BenchmarkIndexAdd adds messages one at a time to an index of 3,000, the
// way the Service indexes a newly submitted message; BenchmarkNewIndex,
// rebuilding, is what it replaces. Beyond 1,000 iterations it adds the same
// messages again, which costs more (each shares everything with its copy).
func BenchmarkIndexAdd(b *testing.B) {
	msgs, _ := benchCorpus(b, 4000)
	ix := NewIndex(msgs[:len(msgs)-1000], Options{})
	fresh := msgs[len(msgs)-1000:]
	i := 0
	for b.Loop() {
		ix.Add(fresh[i%len(fresh) : i%len(fresh)+1])
		i++
	}
}

func BenchmarkMatch(b *testing.B) {
	msgs, arts := benchCorpus(b, 300)
	ix := NewIndex(msgs, Options{})
	var size int64
	for _, a := range arts {
		size += int64(len(a.Text))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, a := range arts {
			ix.Match(a)
		}
	}
}

// BenchmarkMatchBaseline is the raw baseline for BenchmarkMatch: looking
// for every sentence of every message as an exact substring of the
// article, which finds only unedited quotes of whole sentences.
func BenchmarkMatchBaseline(b *testing.B) {
	msgs, arts := benchCorpus(b, 300)
	var sentences [][]byte
	for _, m := range msgs {
		for _, s := range bytes.Split(m.Text, []byte(". ")) {
			if len(s) > 40 {
				sentences = append(sentences, s)
			}
		}
	}
	var size int64
	for _, a := range arts {
		size += int64(len(a.Text))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, a := range arts {
			for _, s := range sentences {
				bytes.Contains(a.Text, s)
			}
		}
	}
}
