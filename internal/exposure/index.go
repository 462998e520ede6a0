package exposure

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Index holds a set of messages ready to be matched against articles.
// Messages are added with Add (NewIndex adds its messages the same way), and
// matching after any sequence of adds gives the findings a fresh index of
// the same messages, in the same order, would give (but see Add for one
// degenerate exception). Match and Add are safe
// for concurrent use: Add holds the index exclusively while it inserts its
// messages (a few milliseconds a message), Match shares it.
type Index struct {
	opts Options

	mu     sync.RWMutex
	public map[uint64]docSet // n-gram hash -> public documents holding it
	msgs   []message
	table  gramTable // n-gram hash -> its occurrences
	ext    []gramExt // occurrences of n-grams found more than once

	// Paraphrase pass: sentences of all messages, and an inverted index
	// from rare stems to them.
	sents  []sentence
	stemDF map[uint64]int32   // stem -> number of message sentences holding it
	rare   map[uint64][]int32 // stem in at most maxRareDF sentences -> them
	// gen counts the adds; a sentence's norm depends on every sentence's
	// stems, so norms cached before the last add are stale.
	gen   atomic.Uint32
	norms []sentNorm
	pool  sync.Pool // *matcher
}

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
}

// sentNorm caches the Euclidean norm of a sentence's stem weights for one
// generation of the index. Matchers fill it concurrently; every matcher of
// one generation computes the same value, and the norm is stored before the
// generation, so a reader that sees the current generation sees its norm.
type sentNorm struct {
	bits atomic.Uint64
	gen  atomic.Uint32
}

// gramExt holds what the index keeps of an n-gram found more than once:
// its postings while they are few enough to seed (maxPostings), and the
// messages holding it while they are few enough to list (maxDocSet), which
// marking shared runs as public needs.
type gramExt struct {
	posts []posting // nil once n > maxPostings
	docs  []uint32  // sorted, distinct; nil once all
	n     uint32    // occurrences
	all   bool      // in more than maxDocSet messages
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
	ix := &Index{opts: opts, public: make(map[uint64]docSet), stemDF: make(map[uint64]int32),
		rare: make(map[uint64][]int32)}
	var tz tokenizer
	for di, d := range opts.Public {
		toks := tz.tokenize(d.Text, false)
		forGrams(toks, opts.NGram, func(_ int, g uint64) { ix.public[g] = ix.public[g].add(uint32(di)) })
	}
	ix.pool.New = func() any { return new(matcher) }
	ix.Add(messages)
	return ix
}

// Len returns the number of messages indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.msgs)
}

// Add indexes more messages, after those already indexed.
func (ix *Index) Add(messages []Document) {
	if len(messages) == 0 {
		return
	}
	// Tokenize in parallel and outside the lock: it is most of the cost.
	toks := make([][]token, len(messages))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(messages)) {
		wg.Go(func() {
			var tz tokenizer
			for i := range next {
				toks[i] = slices.Clip(tz.tokenize(messages[i].Text, false))
			}
		})
	}
	for i := range messages {
		next <- i
	}
	close(next)
	wg.Wait()

	ix.mu.Lock()
	defer ix.mu.Unlock()
	n := ix.opts.NGram
	first := uint32(len(ix.msgs))
	// Messages whose shared runs may change: those sharing a stretch of
	// PublicRun words with a new message (PublicRun-NGram+1 n-grams in a
	// row in the new message, as long as the n-grams' messages are listed),
	// and those of an n-gram that stops being listed. A run whose n-grams
	// the new message holds only scattered, not in one stretch, or that
	// repeats a phrase of five words or fewer, may be missed: the ways in
	// which adding can differ from building afresh.
	affected := make(map[uint32]int32)
	for i, d := range messages {
		mi := first + uint32(i)
		ix.msgs = append(ix.msgs, message{name: d.Name, toks: toks[i]})
		// The paraphrase pass leaves out what the message itself marks as
		// public, not the runs it shares with other messages: those change
		// as messages are added, and a sentence's stems must not.
		ix.markPublic(mi, false)
		ix.addSentences(mi)
		forGrams(toks[i], n, func(p int, g uint64) {
			if p < 1<<posBits { // a longer text seeds from its start only
				ix.insertGram(g, posting{mi, uint32(p)}, affected)
			}
		})
	}
	need := int32(ix.opts.PublicRun - n + 1)
	stretch := make(map[uint32]bool)
	for mi := first; mi < uint32(len(ix.msgs)); mi++ {
		ix.sharedStretches(mi, int(need), stretch)
	}
	for mi, k := range affected {
		if mi < first && (k == math.MaxInt16 || k >= need && stretch[mi]) {
			ix.markPublic(mi, true)
		}
	}
	for mi := first; mi < uint32(len(ix.msgs)); mi++ {
		ix.markPublic(mi, true)
	}
	// Every cached norm is stale now; grow the cache without copying it.
	ix.gen.Add(1)
	if len(ix.sents) > len(ix.norms) {
		ix.norms = make([]sentNorm, max(len(ix.sents), 2*len(ix.norms)))
	}
}

// sharedStretches adds to out the other messages that hold the n-grams of
// need positions in a row of message mi. A position whose n-gram is in too
// many messages to list (or has none) counts for every message.
func (ix *Index) sharedStretches(mi uint32, need int, out map[uint32]bool) {
	m := &ix.msgs[mi]
	n := ix.opts.NGram
	type streak struct{ last, len int }
	streaks := make(map[uint32]streak)
	listed := -1 // the last position whose n-gram's messages are listed
	end := len(m.toks) - n + 1
	for p := 0; p < end; p++ {
		ds := docSet{all: true}
		if hasContent(m.toks[p : p+n]) {
			ds = ix.docsOf(gramHashTokens(m.toks[p : p+n]))
		}
		if ds.all {
			continue
		}
		for _, d := range ds.docs {
			if d == mi {
				continue
			}
			s, ok := streaks[d]
			if ok && s.last == listed {
				s.len += p - s.last
			} else {
				s.len = p - listed // the unlisted positions before p count
			}
			s.last = p
			streaks[d] = s
			if s.len >= need {
				out[d] = true
			}
		}
		listed = p
	}
	for d, s := range streaks {
		if s.last == listed && s.len+end-1-s.last >= need {
			out[d] = true
		}
	}
}

// insertGram records an occurrence of n-gram g, counting in affected the
// n-grams each message shares with p's message, or a large number for the
// messages of an n-gram that stops being listed.
func (ix *Index) insertGram(g uint64, p posting, affected map[uint32]int32) {
	s, fresh := ix.table.insert(g)
	if fresh {
		s.setPosting(p)
		return
	}
	if !s.isExt() {
		q := s.posting()
		ix.ext = append(ix.ext, gramExt{posts: []posting{q}, docs: []uint32{q.msg}, n: 1})
		s.val = extBit | uint64(len(ix.ext)-1)
	}
	e := &ix.ext[s.val&^extBit]
	e.n++
	if e.n <= maxPostings {
		e.posts = append(e.posts, p)
	} else {
		e.posts = nil
	}
	if e.all || e.docs[len(e.docs)-1] == p.msg {
		return
	}
	if len(e.docs) >= maxDocSet {
		for _, d := range e.docs {
			affected[d] = math.MaxInt16
		}
		e.docs, e.all = nil, true
		return
	}
	for _, d := range e.docs {
		affected[d]++
	}
	e.docs = append(e.docs, p.msg)
}

// docsOf returns the messages holding n-gram g.
func (ix *Index) docsOf(g uint64) docSet {
	s := ix.table.get(g)
	switch {
	case s == nil:
		return docSet{}
	case !s.isExt():
		return docSet{docs: []uint32{s.posting().msg}}
	}
	e := &ix.ext[s.val&^extBit]
	return docSet{docs: e.docs, all: e.all}
}

// seeds returns the postings of n-gram g that may seed a candidate, none
// when g is in too many messages or occurs too often, and the number of
// messages holding g.
func (ix *Index) seeds(g uint64, one *[1]posting) ([]posting, int) {
	s := ix.table.get(g)
	switch {
	case s == nil:
		return nil, 0
	case !s.isExt():
		one[0] = s.posting()
		return one[:], 1
	}
	e := &ix.ext[s.val&^extBit]
	// N-grams of a few messages still seed: a passage is stock only if it
	// is shared as a whole, which alignment tells (resolve).
	if e.all || len(e.docs) > max(ix.opts.MaxShared, maxSeedDF) || e.n > maxPostings {
		return nil, maxDocSet + 1
	}
	return e.posts, len(e.docs)
}

// markPublic recomputes which words of message mi are public: the
// quotations it makes, the runs it shares as a whole with public documents,
// and, if shared is set, the runs it shares with more than MaxShared other
// messages. It depends only on the message and on which messages hold each
// n-gram, never on the order in which messages were added.
func (ix *Index) markPublic(mi uint32, shared bool) {
	m := &ix.msgs[mi]
	for k := range m.toks {
		m.toks[k].flags &^= fPublic
	}
	markQuoted(m.toks)
	n := ix.opts.NGram
	if shared {
		// The message holds its own n-grams: need one more.
		markSharedRuns(m.toks, n, ix.opts.PublicRun, ix.opts.MaxShared+1, func(p int) docSet {
			if !hasContent(m.toks[p : p+n]) {
				return docSet{all: true} // no n-gram here: only function words
			}
			return ix.docsOf(gramHashTokens(m.toks[p : p+n]))
		})
	}
	if len(ix.public) > 0 {
		markSharedRuns(m.toks, n, ix.opts.PublicRun, 1, func(p int) docSet {
			return ix.public[gramHashTokens(m.toks[p:p+n])]
		})
	}
	if shared {
		ix.markPostings(mi)
	}
}

// markPostings records in each posting of message mi whether its n-gram
// lies wholly in public text, so that matching need not read the message's
// tokens to skip it.
func (ix *Index) markPostings(mi uint32) {
	m := &ix.msgs[mi]
	n := ix.opts.NGram
	forGrams(m.toks, n, func(p int, g uint64) {
		if p >= 1<<posBits {
			return
		}
		pub := allPublic(m.toks[p : p+n])
		s := ix.table.get(g)
		if s == nil {
			return
		}
		if !s.isExt() {
			if pub {
				s.val |= slotPublic
			} else {
				s.val &^= slotPublic
			}
			return
		}
		posts := ix.ext[s.val&^extBit].posts
		for k := range posts {
			if posts[k].msg == mi && posts[k].pos&^postPublic == uint32(p) {
				if pub {
					posts[k].pos |= postPublic
				} else {
					posts[k].pos &^= postPublic
				}
			}
		}
	})
}

// gramTable maps n-gram hashes to their occurrences: an open-addressing
// hash table in one flat slice, so that a lookup costs one cache line in
// most cases, where a Go map of tens of millions of entries costs two or
// three misses. Most n-grams occur once, and their one posting lives in the
// slot.
type gramTable struct {
	slots []gramSlot
	mask  uint64
	count int
}

type gramSlot struct {
	key uint64 // n-gram hash; 0 marks an empty slot (hash 0 is stored as 1)
	// val is extBit | an index in Index.ext for an n-gram found more than
	// once, else its one posting: message << posBits | position.
	val uint64
}

const (
	extBit     = 1 << 63
	slotPublic = 1 << 62 // the one posting's n-gram is public
	posBits    = 24      // positions in a message; MaxBody is far shorter
	// postPublic is set in posting.pos when the n-gram lies wholly in
	// public text of its message.
	postPublic = 1 << 31
)

func (s *gramSlot) isExt() bool { return s.val&extBit != 0 }

func (s *gramSlot) posting() posting {
	p := posting{uint32(s.val >> posBits & (1<<32 - 1)), uint32(s.val & (1<<posBits - 1))}
	if s.val&slotPublic != 0 {
		p.pos |= postPublic
	}
	return p
}

func (s *gramSlot) setPosting(p posting) {
	s.val = uint64(p.msg)<<posBits | uint64(p.pos&^postPublic)
	if p.pos&postPublic != 0 {
		s.val |= slotPublic
	}
}

func (t *gramTable) get(k uint64) *gramSlot {
	if len(t.slots) == 0 {
		return nil
	}
	k = max(k, 1)
	for i := (k ^ k>>29) & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].key {
		case k:
			return &t.slots[i]
		case 0:
			return nil
		}
	}
}

// insert returns the slot of k, and whether it was just made.
func (t *gramTable) insert(k uint64) (*gramSlot, bool) {
	if 4*(t.count+1) > 3*len(t.slots) { // at most three slots in four full
		t.grow()
	}
	k = max(k, 1)
	for i := (k ^ k>>29) & t.mask; ; i = (i + 1) & t.mask {
		switch t.slots[i].key {
		case k:
			return &t.slots[i], false
		case 0:
			t.slots[i].key = k
			t.count++
			return &t.slots[i], true
		}
	}
}

func (t *gramTable) grow() {
	size := max(16, 2*uint64(len(t.slots)))
	old := t.slots
	t.slots, t.mask = make([]gramSlot, size), size-1
	for _, s := range old {
		if s.key == 0 {
			continue
		}
		i := (s.key ^ s.key>>29) & t.mask
		for t.slots[i].key != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

// forGrams calls f with the start and hash of every n-gram of toks that
// has at least one content word.
func forGrams(toks []token, n int, f func(pos int, g uint64)) {
	for p := 0; p+n <= len(toks); p++ {
		if hasContent(toks[p : p+n]) {
			f(p, gramHashTokens(toks[p:p+n]))
		}
	}
}

// hasContent reports whether toks hold a word other than a function word.
func hasContent(toks []token) bool {
	for _, t := range toks {
		if !t.has(fStop) {
			return true
		}
	}
	return false
}

func gramHashTokens(toks []token) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, t := range toks {
		h = (h ^ uint64(t.word)) * 0xbf58476d1ce4e5b9
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

// addSentences prepares message mi for the paraphrase pass: the content
// stems of its sentences, their document frequencies over sentences, and an
// inverted index from rare stems to sentences. Rare stems are those in few
// sentences; common ones still count in the similarity, but do not propose
// candidates. The bound is absolute, not a share of the sentences, so that
// the work per article sentence does not grow with the number of messages
// indexed; as frequencies only grow, a stem that passes it is dropped for
// good.
func (ix *Index) addSentences(mi uint32) {
	m := &ix.msgs[mi]
	m.sent0 = int32(len(ix.sents))
	toks := m.toks
	for i := 0; i < len(toks); {
		j := i + 1
		for j < len(toks) && toks[j].sent == toks[i].sent {
			j++
		}
		sid := int32(len(ix.sents))
		s := sentence{msg: int32(mi), t0: int32(i), t1: int32(j), stems: slices.Clip(contentStems(toks[i:j], nil, true))}
		for _, st := range s.stems {
			ix.stemDF[st]++
			if ix.stemDF[st] <= maxRareDF {
				ix.rare[st] = append(ix.rare[st], sid)
			} else {
				delete(ix.rare, st)
			}
		}
		ix.sents = append(ix.sents, s)
		i = j
	}
	m.nsent = int32(len(ix.sents)) - m.sent0
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
			h := (dst[len(dst)-1] ^ uint64(t.stem)) * 0xbf58476d1ce4e5b9
			dst[len(dst)-1] = h ^ h>>31
			continue
		}
		dst = append(dst, uint64(t.stem))
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// weight is the inverse sentence frequency of a stem.
func (ix *Index) weight(st uint64) float64 {
	df := ix.stemDF[st]
	return math.Log(float64(len(ix.sents)+1) / (float64(df) + 0.5))
}

// sentNorm returns the norm of sentence sid, from the cache when it is of
// the current generation. The caller holds ix.mu for reading.
func (ix *Index) sentNorm(sid int32) float64 {
	c := &ix.norms[sid]
	gen := ix.gen.Load()
	if c.gen.Load() == gen {
		return math.Float64frombits(c.bits.Load())
	}
	v := ix.norm(ix.sents[sid].stems)
	c.bits.Store(math.Float64bits(v))
	c.gen.Store(gen)
	return v
}

func (ix *Index) norm(stems []uint64) float64 {
	var s float64
	for _, st := range stems {
		w := ix.weight(st)
		s += w * w
	}
	return math.Sqrt(s)
}
