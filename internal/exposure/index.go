package exposure

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Index holds a set of messages ready to be matched against articles. It is
// immutable once built and safe for concurrent use by many goroutines.
type Index struct {
	opts  Options
	msgs  []message
	grams map[uint64]span // n-gram hash -> postings[span], while building
	table gramTable       // the same, once built
	posts []posting

	// Paraphrase pass: sentences of all messages, and an inverted index
	// from rare stems to them.
	sents     []sentence
	stemDF    map[uint64]int32 // stem -> number of message sentences holding it
	rare      map[uint64]span  // rare stem -> sentPosts[span]
	sentPosts []int32          // sentence ids
	pool      sync.Pool        // *matcher
}

type span struct{ off, n uint32 }

type posting struct {
	msg uint32
	pos uint32 // token index in the message
}

type message struct {
	name  string
	toks  []token
	sent0 int32 // id of its first sentence in Index.sents
	nsent int32
}

// sentence is one sentence of a message, for the paraphrase pass.
type sentence struct {
	msg    int32
	t0, t1 int32    // token range in the message
	stems  []uint64 // sorted distinct content stems, public words excluded
	norm   float64  // Euclidean norm of the stems' weights
}

// maxSeedDF is the most messages an n-gram may occur in and seed
// candidates; maxPostings bounds its occurrences. More frequent n-grams are
// boilerplate.
const (
	maxRareDF   = 32
	maxSeedDF   = 12
	maxPostings = 24
)

// NewIndex indexes messages for matching. Messages with no words are kept
// but can never be matched.
func NewIndex(messages []Document, opts Options) *Index {
	opts = opts.withDefaults()
	ix := &Index{opts: opts, msgs: make([]message, len(messages))}

	// Tokenize in parallel: it is most of the cost of building.
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var tz tokenizer
			for i := range next {
				m := &ix.msgs[i]
				m.name = messages[i].Name
				m.toks = tz.tokenize(messages[i].Text, false)
				markQuoted(m.toks)
			}
		})
	}
	for i := range messages {
		next <- i
	}
	close(next)
	wg.Wait()

	n := opts.NGram
	// Which public documents hold each n-gram.
	public := make(map[uint64]docSet)
	var tz tokenizer
	for di, d := range opts.Public {
		toks := tz.tokenize(d.Text, false)
		forGrams(toks, n, func(_ int, g uint64) { public[g] = public[g].add(uint32(di)) })
	}

	// Collect every n-gram occurrence, then group by hash.
	type occ struct {
		g        uint64
		msg, pos uint32
	}
	total := 0
	for mi := range ix.msgs {
		total += len(ix.msgs[mi].toks)
	}
	occs := make([]occ, 0, total)
	for mi := range ix.msgs {
		forGrams(ix.msgs[mi].toks, n, func(p int, g uint64) {
			occs = append(occs, occ{g, uint32(mi), uint32(p)})
		})
	}
	slices.SortFunc(occs, func(a, b occ) int {
		if a.g != b.g {
			return cmp.Compare(a.g, b.g)
		}
		return cmp.Compare(uint64(a.msg)<<32|uint64(a.pos), uint64(b.msg)<<32|uint64(b.pos))
	})
	// For every message position, the set of messages holding its n-gram.
	sets := make([][]docSet, len(ix.msgs))
	for mi := range ix.msgs {
		sets[mi] = make([]docSet, len(ix.msgs[mi].toks))
		for p := range sets[mi] {
			sets[mi][p].all = true // no n-gram here: only function words
		}
	}
	ix.grams = make(map[uint64]span)
	for i := 0; i < len(occs); {
		j := i
		var ds docSet
		for ; j < len(occs) && occs[j].g == occs[i].g; j++ {
			ds = ds.add(occs[j].msg)
		}
		group := occs[i:j]
		for _, o := range group {
			sets[o.msg][o.pos] = ds
		}
		// N-grams of a few messages still seed: a passage is stock only
		// if it is shared as a whole, which alignment tells (resolve).
		if !ds.all && len(ds.docs) <= max(opts.MaxShared, maxSeedDF) && j-i <= maxPostings {
			s := span{off: uint32(len(ix.posts))}
			for _, o := range group {
				ix.posts = append(ix.posts, posting{o.msg, o.pos})
			}
			s.n = uint32(len(ix.posts)) - s.off
			ix.grams[occs[i].g] = s
		}
		i = j
	}
	// Runs of text shared as a whole with public documents, or with more
	// than MaxShared other messages, are public.
	for mi := range ix.msgs {
		m := &ix.msgs[mi]
		// The message holds its own n-grams: need one more.
		markSharedRuns(m.toks, n, opts.PublicRun, opts.MaxShared+1, func(p int) docSet { return sets[mi][p] })
		if len(public) > 0 {
			markSharedRuns(m.toks, n, opts.PublicRun, 1, func(p int) docSet {
				return public[gramHashTokens(m.toks[p:p+n])]
			})
		}
	}
	// N-grams inside runs just made public seed nothing.
	ix.posts = ix.rebuildPostings()

	ix.buildSentences()
	ix.pool.New = func() any { return new(matcher) }
	return ix
}

// rebuildPostings drops postings of n-grams that lie wholly in public text
// and compacts the postings array, keeping the spans in ix.grams right.
func (ix *Index) rebuildPostings() []posting {
	keys := make([]uint64, 0, len(ix.grams))
	for g := range ix.grams {
		keys = append(keys, g)
	}
	slices.Sort(keys)
	out := make([]posting, 0, len(ix.posts))
	n := ix.opts.NGram
	for _, g := range keys {
		s := ix.grams[g]
		off := uint32(len(out))
		for _, p := range ix.posts[s.off : s.off+s.n] {
			if !allPublic(ix.msgs[p.msg].toks[p.pos : int(p.pos)+n]) {
				out = append(out, p)
			}
		}
		if cnt := uint32(len(out)) - off; cnt > 0 {
			ix.grams[g] = span{off, cnt}
		} else {
			delete(ix.grams, g)
		}
	}
	ix.table = newGramTable(ix.grams)
	ix.grams = nil
	return out
}

// gramTable maps n-gram hashes to postings: an open-addressing hash table
// in one flat slice, so that a lookup costs one cache line in most cases,
// where a Go map of tens of millions of entries costs two or three misses.
type gramTable struct {
	slots []gramSlot
	mask  uint64
}

type gramSlot struct {
	key uint64 // n-gram hash; 0 marks an empty slot (hash 0 is stored as 1)
	span
}

func newGramTable(m map[uint64]span) gramTable {
	size := uint64(16)
	for size < 2*uint64(len(m)) {
		size *= 2
	}
	t := gramTable{slots: make([]gramSlot, size), mask: size - 1}
	for k, v := range m {
		k = max(k, 1)
		i := (k ^ k>>29) & t.mask
		for t.slots[i].key != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = gramSlot{k, v}
	}
	return t
}

func (t *gramTable) get(k uint64) (span, bool) {
	if len(t.slots) == 0 {
		return span{}, false
	}
	k = max(k, 1)
	for i := (k ^ k>>29) & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].key {
		case k:
			return t.slots[i].span, true
		case 0:
			return span{}, false
		}
	}
}

// forGrams calls f with the start and hash of every n-gram of toks that
// has at least one content word.
func forGrams(toks []token, n int, f func(pos int, g uint64)) {
	for p := 0; p+n <= len(toks); p++ {
		content := false
		for _, t := range toks[p : p+n] {
			if !t.has(fStop) {
				content = true
				break
			}
		}
		if content {
			f(p, gramHashTokens(toks[p:p+n]))
		}
	}
}

func gramHashTokens(toks []token) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, t := range toks {
		h = (h ^ t.word) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}

func allPublic(toks []token) bool {
	for _, t := range toks {
		if !t.has(fPublic) {
			return false
		}
	}
	return true
}

// markQuoted marks as public the words a message puts in quotation marks,
// when the quotation is long enough to be a quote rather than a scare-quoted
// term.
func markQuoted(toks []token) {
	const minQuote = 4
	for i := 0; i < len(toks); {
		if !toks[i].has(fQuote) {
			i++
			continue
		}
		j := i
		for j < len(toks) && toks[j].has(fQuote) {
			j++
		}
		if j-i >= minQuote {
			for k := i; k < j; k++ {
				toks[k].flags |= fPublic
			}
		}
		i = j
	}
}

// docSet is a small set of documents; all stands for "too many to
// list", which intersects as the whole set.
type docSet struct {
	docs []uint32 // sorted, distinct
	all  bool
}

const maxDocSet = 64

func (s docSet) add(d uint32) docSet {
	if s.all || len(s.docs) > 0 && s.docs[len(s.docs)-1] == d {
		return s
	}
	if len(s.docs) >= maxDocSet {
		return docSet{all: true}
	}
	s.docs = append(s.docs, d)
	return s
}

func (s docSet) intersect(t docSet) docSet {
	switch {
	case s.all:
		return t
	case t.all:
		return s
	}
	var out []uint32
	for i, j := 0, 0; i < len(s.docs) && j < len(t.docs); {
		switch {
		case s.docs[i] < t.docs[j]:
			i++
		case s.docs[i] > t.docs[j]:
			j++
		default:
			out = append(out, s.docs[i])
			i++
			j++
		}
	}
	return docSet{docs: out}
}

func (s docSet) size() int {
	if s.all {
		return math.MaxInt
	}
	return len(s.docs)
}

// markSharedRuns marks as public every run of at least run tokens whose
// n-grams all occur in at least need common documents: text shared as a
// whole with them. setAt gives the documents holding the n-gram at p.
func markSharedRuns(toks []token, n, run, need int, setAt func(p int) docSet) {
	start := -1
	var cur docSet
	flush := func(end int) { // grams start..end-1 cover tokens [start, end-1+n)
		if start >= 0 && end-1+n-start >= run {
			for k := start; k < end-1+n; k++ {
				toks[k].flags |= fPublic
			}
		}
		start = -1
	}
	for p := 0; p+n <= len(toks); p++ {
		s := setAt(p)
		if start >= 0 {
			if c := cur.intersect(s); c.size() >= need {
				cur = c
				continue
			}
			flush(p)
		}
		if s.size() >= need {
			start, cur = p, s
		}
	}
	flush(len(toks) - n + 1)
}

// buildSentences prepares the paraphrase pass: the content stems of every
// message sentence, their document frequencies over sentences, and an
// inverted index from rare stems to sentences.
func (ix *Index) buildSentences() {
	ix.stemDF = make(map[uint64]int32)
	for mi := range ix.msgs {
		m := &ix.msgs[mi]
		m.sent0 = int32(len(ix.sents))
		toks := m.toks
		for i := 0; i < len(toks); {
			j := i + 1
			for j < len(toks) && toks[j].sent == toks[i].sent {
				j++
			}
			s := sentence{msg: int32(mi), t0: int32(i), t1: int32(j), stems: contentStems(toks[i:j], nil, true)}
			for _, st := range s.stems {
				ix.stemDF[st]++
			}
			ix.sents = append(ix.sents, s)
			i = j
		}
		m.nsent = int32(len(ix.sents)) - m.sent0
	}
	for i := range ix.sents {
		ix.sents[i].norm = ix.norm(ix.sents[i].stems)
	}
	// Rare stems: those in few sentences. Common ones still count in the
	// similarity, but do not propose candidates. The bound is absolute, not
	// a share of the sentences, so that the work per article sentence does
	// not grow with the number of messages indexed.
	maxDF := int32(maxRareDF)
	counts := make(map[uint64]uint32)
	for _, s := range ix.sents {
		for _, st := range s.stems {
			if ix.stemDF[st] <= maxDF {
				counts[st]++
			}
		}
	}
	keys := make([]uint64, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ix.rare = make(map[uint64]span, len(keys))
	off := uint32(0)
	for _, k := range keys {
		ix.rare[k] = span{off, 0}
		off += counts[k]
	}
	ix.sentPosts = make([]int32, off)
	for si, s := range ix.sents {
		for _, st := range s.stems {
			if sp, ok := ix.rare[st]; ok {
				ix.sentPosts[sp.off+sp.n] = int32(si)
				sp.n++
				ix.rare[st] = sp
			}
		}
	}
}

// contentStems appends to dst the sorted distinct stems of the content
// words of toks (skipping public words when skipPublic is set).
func contentStems(toks []token, dst []uint64, skipPublic bool) []uint64 {
	n := len(dst)
	for _, t := range toks {
		if t.has(fStop) || t.has(fSkip) || skipPublic && t.has(fPublic) {
			continue
		}
		if t.has(fNameCont) && len(dst) > n {
			// One unit for a whole name.
			h := (dst[len(dst)-1] ^ t.stem) * 0xbf58476d1ce4e5b9
			dst[len(dst)-1] = h ^ h>>31
			continue
		}
		dst = append(dst, t.stem)
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// weight is the inverse sentence frequency of a stem.
func (ix *Index) weight(st uint64) float64 {
	df := ix.stemDF[st]
	return math.Log(float64(len(ix.sents)+1) / (float64(df) + 0.5))
}

func (ix *Index) norm(stems []uint64) float64 {
	var s float64
	for _, st := range stems {
		w := ix.weight(st)
		s += w * w
	}
	return math.Sqrt(s)
}
