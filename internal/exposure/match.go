package exposure

import (
	"cmp"
	"math"
	"slices"
)

// Chaining and alignment parameters, in tokens.
const (
	chainGapA    = 14   // most article words between two chained hits
	chainGapM    = 14   // most message words between two chained hits
	chainCutGapM = 120  // the same when an ellipsis lies between them
	chainDrift   = 8    // most message words left out between two chained hits
	chainInsert  = 16   // most article words added between two chained hits
	chainMaxLen  = 1200 // longest chain, so that alignments stay small
	alignPad     = 10   // words aligned beyond the first and last hit
	splitRun     = 3    // a run this long of unmatched words splits a passage
	minPiece     = 3    // least words matched by one piece of a split passage
	nearUnits    = 5    // a piece this long makes its message a paraphrase candidate
	maxCells     = 4 << 20
	minChainHits = 2 // least n-gram hits of a chain worth aligning
	// secondChanceDF is the most messages an n-gram may be in for one hit
	// of it inside quotation marks to be aligned (secondChance).
	secondChanceDF = 3
)

// cells is the size of an alignment's dynamic programme.
func cells(a, m int32) int64 { return int64(a) * int64(m) }

// matcher is the per-call state of Match, pooled.
type matcher struct {
	tz    tokenizer
	al    aligner
	seq   []int32 // article token index of each non-skipped token
	at    []token // the non-skipped article tokens
	cuts  []int32 // prefix counts of cut marks over at
	hits  []hit
	cands []cand
	near  map[int32]bool // messages with a piece of alignment, reported or not
	acc   []float32
	touch []int32
	buf   []uint64
	aw    []float64 // squared weights of buf's stems
	union []uint64
	hot   []stemSent // stems of the sentences of the messages already hit, sorted
}

type hit struct {
	msg  uint32
	a, m int32 // position in at, token index in the message
	rare bool  // the n-gram is in at most secondChanceDF messages
}

type pair struct{ a, m int32 } // article token index, message token index

// cand is a candidate passage.
type cand struct {
	msg        int32
	a0, a1     int32 // first and last article token (index in the article's tokens)
	m0, m1     int32 // first and last message token
	aStart     int32 // byte offsets, after extension over a leading bracket
	mStart     int32
	matched    int32
	score      float64 // ranking score: the alignment score
	conf       float64 // confidence, for Finding.Score
	kind       Kind
	pairs      []pair
	paraphrase bool // found by the paraphrase pass
	quoted     bool // mostly inside quotation marks in the article
}

// Match finds the passages of article that reproduce indexed messages. The
// findings are sorted by message name and their passages by position in the
// article. Match is safe for concurrent use.
func (ix *Index) Match(article Document) []Finding {
	mt := ix.pool.Get().(*matcher)
	defer ix.pool.Put(mt)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	toks := mt.tz.tokenize(article.Text, false)
	mt.seq, mt.at = mt.seq[:0], mt.at[:0]
	mt.cuts = append(mt.cuts[:0], 0)
	for i := range toks {
		if toks[i].has(fSkip) {
			continue
		}
		mt.seq = append(mt.seq, int32(i))
		mt.at = append(mt.at, toks[i])
		c := mt.cuts[len(mt.cuts)-1]
		if toks[i].has(fCut | fGroup) {
			c++
		}
		mt.cuts = append(mt.cuts, c)
	}

	// Seed.
	n := ix.opts.NGram
	mt.hits = mt.hits[:0]
	var one [1]posting
	forGrams(mt.at, n, func(p int, g uint64) {
		seeds, df := ix.seeds(g, &one)
		for _, ps := range seeds {
			// N-grams inside runs of a message that are public seed
			// nothing there.
			if ps.pos&postPublic == 0 {
				mt.hits = append(mt.hits, hit{ps.msg, int32(p), int32(ps.pos), df <= secondChanceDF})
			}
		}
	})
	slices.SortFunc(mt.hits, func(x, y hit) int {
		return cmp.Or(cmp.Compare(x.msg, y.msg), cmp.Compare(x.a, y.a), cmp.Compare(x.m, y.m))
	})

	// Chain and align, message by message.
	mt.cands = mt.cands[:0]
	if mt.near == nil {
		mt.near = make(map[int32]bool)
	}
	clear(mt.near)
	for i := 0; i < len(mt.hits); {
		j := i
		for j < len(mt.hits) && mt.hits[j].msg == mt.hits[i].msg {
			j++
		}
		ix.alignHits(mt, toks, mt.hits[i:j], 0)
		i = j
	}
	cands := resolve(mt.cands, toks, ix.msgs, ix.opts.MaxShared)
	cands = ix.extendNeighbours(mt, toks, cands)
	if !ix.opts.NoParaphrase {
		cands = ix.paraphrase(mt, toks, cands)
	}
	cands = mergeNear(cands, ix.msgs)
	return ix.findings(article.Name, toks, cands)
}

// evidence sums what the pieces of a chain share with the message.
type evidence struct{ units, private, quoted int }

func (e *evidence) add(f evidence) {
	e.units += f.units
	e.private += f.private
	e.quoted += f.quoted
}

// alignHits chains the hits of one message and aligns every chain. At depth
// 0 it adds the pieces of the chains with enough evidence to mt.cands;
// deeper, it returns the pieces and their evidence to the chain that holds
// them.
func (ix *Index) alignHits(mt *matcher, toks []token, hits []hit, depth int) ([]cand, evidence) {
	type chain struct {
		a0, m0, a1, m1 int32
		hits           []int
	}
	var chains []chain
	first := 0 // chains before this one are closed
	for hi, h := range hits {
		best, bestDrift := -1, int32(math.MaxInt32)
		for ci := first; ci < len(chains); ci++ {
			c := &chains[ci]
			da, dm := h.a-c.a1, h.m-c.m1
			if da > chainGapA && mt.cuts[h.a+1] == mt.cuts[c.a1+1] {
				continue
			}
			if da <= 0 || dm <= 0 || h.a-c.a0 > chainMaxLen {
				continue
			}
			cut := mt.cuts[h.a+1] > mt.cuts[c.a1+1]
			if da > chainGapA+4 || dm > chainGapM && !(cut && dm <= chainCutGapM) {
				continue
			}
			// The reporter may add words between two fragments of a
			// quote, or leave a few out.
			drift := abs32(dm - da)
			if !cut && (da-dm > chainInsert || dm-da > chainDrift) {
				continue
			}
			if drift < bestDrift {
				best, bestDrift = ci, drift
			}
		}
		if best < 0 {
			chains = append(chains, chain{h.a, h.m, h.a, h.m, []int{hi}})
		} else {
			c := &chains[best]
			c.a1, c.m1 = h.a, h.m
			c.hits = append(c.hits, hi)
		}
		for first < len(chains) && h.a-chains[first].a1 > chainGapA+4 {
			first++
		}
	}

	msg := &ix.msgs[hits[0].msg]
	n := int32(ix.opts.NGram)
	var all []cand
	var sum evidence
	for len(chains) > 0 {
		c := chains[0]
		chains = chains[1:]
		if depth == 0 && len(c.hits) < minChainHits && !ix.secondChance(mt, hits[c.hits[0]]) {
			// One n-gram shared by chance: most chains of a clean article.
			// A quote long enough to report shares several.
			continue
		}
		if cells(c.a1-c.a0+n+2*alignPad, c.m1-c.m0+n+2*alignPad) > maxCells && len(c.hits) > 1 {
			// Too big to align at once (an article pasting a long stretch
			// with many cuts): align the two halves.
			h := len(c.hits) / 2
			first, second := hits[c.hits[h-1]], hits[c.hits[h]]
			chains = append([]chain{
				{c.a0, c.m0, first.a, first.m, c.hits[:h]},
				{second.a, second.m, c.a1, c.m1, c.hits[h:]},
			}, chains...)
			continue
		}
		pad := int32(alignPad)
		var ops []op
		var aLo, mLo int32
		for try := 0; try < 3; try++ {
			aLo = max(0, c.a0-pad)
			aHi := min(int32(len(mt.at)), c.a1+n+pad)
			mLo = max(0, c.m0-pad)
			mHi := min(int32(len(msg.toks)), c.m1+n+pad)
			ops, _ = mt.al.align(mt.at[aLo:aHi], msg.toks[mLo:mHi])
			if len(ops) == 0 {
				break
			}
			f, l := ops[0], ops[len(ops)-1]
			if (f.i > 1 || aLo == 0) && (f.j > 1 || mLo == 0) &&
				(l.i < aHi-aLo-2 || aHi == int32(len(mt.at))) && (l.j < mHi-mLo-2 || mHi == int32(len(msg.toks))) {
				break
			}
			pad *= 3
			if cells(c.a1-c.a0+n+2*pad, c.m1-c.m0+n+2*pad) > maxCells {
				break
			}
		}
		if len(ops) == 0 {
			continue
		}
		ps, ev := ix.pieces(mt, toks, msg, hits[0].msg, ops, aLo, mLo)

		// Hits the alignment does not explain may form another passage;
		// its evidence adds up with this one's.
		if depth < 3 {
			a0, a1 := ops[0].i+aLo, ops[len(ops)-1].i+aLo
			m0, m1 := ops[0].j+mLo, ops[len(ops)-1].j+mLo
			var rest []hit
			for _, hi := range c.hits {
				h := hits[hi]
				if h.a+n-1 < a0 || h.a > a1 || h.m+n-1 < m0 || h.m > m1 {
					rest = append(rest, h)
				}
			}
			if len(rest) > 0 && len(rest) < len(c.hits) {
				more, mev := ix.alignHits(mt, toks, rest, depth+1)
				ps = append(ps, more...)
				ev.add(mev)
			}
		}
		if depth > 0 {
			all = append(all, ps...)
			sum.add(ev)
			continue
		}
		// Reporters put what they quote between quotation marks; shared
		// words outside them need more support, for chance and stock
		// phrases (names of offices, programs) are common there.
		minWords := ix.opts.MinWords
		if 2*ev.quoted < ev.units {
			minWords = ix.opts.MinWordsUnquoted
		}
		if ev.units >= minWords && ev.private >= max(3, minWords/2) {
			mt.cands = append(mt.cands, ps...)
		}
	}
	return all, sum
}

// secondChance reports whether a chain of one hit is worth aligning: in a
// large index most n-grams of a short quote are in too many messages to
// seed, and the quote is left with one seed. One n-gram found in very few
// messages, quoted in the article, is rare enough to be worth an alignment.
func (ix *Index) secondChance(mt *matcher, h hit) bool {
	if !h.rare {
		return false
	}
	for _, t := range mt.at[h.a : int(h.a)+ix.opts.NGram] {
		if !t.has(fQuote) {
			return false
		}
	}
	return true
}

// pieces splits an alignment where the reporter's prose interrupts the
// quote, and adds the pieces long enough to count as candidates.
func (ix *Index) pieces(mt *matcher, toks []token, msg *message, mi uint32, ops []op, aLo, mLo int32) ([]cand, evidence) {
	type piece struct{ lo, hi int } // ops[lo:hi]
	var ps []piece
	lo, run := 0, 0
	for k, o := range ops {
		switch o.kind {
		case opMatch, opStem, opFreeDel:
			run = 0
		default:
			run++
			if run == splitRun {
				ps = append(ps, piece{lo, k - run + 1})
				lo = k + 1
			} else if run > splitRun {
				lo = k + 1
			}
		}
	}
	ps = append(ps, piece{lo, len(ops)})

	var accepted []cand
	var ev evidence
	for _, p := range ps {
		o := trimOps(ops[p.lo:p.hi])
		if len(o) == 0 {
			continue
		}
		o = trimToQuote(o, mt.at, aLo)
		c, st := makeCand(mt, toks, msg, mi, o, aLo, mLo)
		if c.matched < minPiece || st.content < 2 || st.priv < 3 {
			continue
		}
		if st.units >= nearUnits {
			mt.near[int32(mi)] = true
		}
		ev.add(evidence{int(st.units), int(st.priv), int(st.quoted)})
		accepted = append(accepted, c)
	}
	return accepted, ev
}

// trimOps trims an alignment to its first and last matched word.
func trimOps(o []op) []op {
	for len(o) > 0 && o[0].kind != opMatch && o[0].kind != opStem {
		o = o[1:]
	}
	for len(o) > 0 && o[len(o)-1].kind != opMatch && o[len(o)-1].kind != opStem {
		o = o[:len(o)-1]
	}
	return o
}

type candStats struct {
	content  int32 // content words matched
	priv     int32 // message words matched that are not public
	unmarked int32 // words changed, added or left out without a mark (bracket, ellipsis)
	quoted   int32 // article words matched that are inside quotation marks
	units    int32 // words matched, a proper name counting once
}

// makeCand builds a candidate from alignment operations o (relative to
// article position aLo and message token mLo), with its kind, score and
// spans.
func makeCand(mt *matcher, toks []token, msg *message, mi uint32, o []op, aLo, mLo int32) (cand, candStats) {
	c := cand{msg: int32(mi), kind: Verbatim}
	var st candStats
	var score, edits int32
	for _, x := range o {
		ai, mj := x.i+aLo, x.j+mLo
		marked := ai < int32(len(mt.at)) && mt.at[ai].has(fGroup|fCut)
		switch x.kind {
		case opMatch, opStem:
			c.matched++
			at := &mt.at[ai]
			if !msg.toks[mj].has(fNameCont) {
				st.units++
			}
			if !at.has(fStop) && !msg.toks[mj].has(fNameCont) {
				st.content++
			}
			if at.has(fQuote) {
				st.quoted++
			}
			if !msg.toks[mj].has(fPublic) {
				st.priv++
			}
			s, _ := subst(at, &msg.toks[mj])
			score += s
			c.pairs = append(c.pairs, pair{mt.seq[ai], mj})
			if x.kind == opStem {
				edits++
				st.unmarked++
			}
		case opMismatch:
			edits++
			score += scoreMismatch
			if !marked {
				st.unmarked++
			}
		case opIns, opDel:
			edits++
			score += gapExtend
			if !marked {
				st.unmarked++
			}
		}
	}
	c.score = float64(score)
	c.quoted = 2*st.quoted >= c.matched
	c.conf = passageScore(int(c.matched), float64(c.matched)/float64(c.matched+edits))
	switch {
	case 20*st.unmarked > c.matched:
		c.kind = Paraphrase
	case edits > 0 || hasEdits(toks, c.pairs, msg):
		c.kind = Edited
	}
	if len(c.pairs) > 0 {
		c.setSpans(toks, mt.tz.groups, msg)
		if c.aStart < toks[c.a0].start && c.kind == Verbatim {
			c.kind = Edited // a bracketed substitution opens it
		}
	}
	return c, st
}

// Neighbour extension: a quote split by the reporter's prose ("…,” the
// cable says, “…”) leaves short pieces next to a passage already found,
// too short to stand on their own but certain in that context: they
// continue the message exactly where the passage stops.
const (
	neighbourWindow  = 40 // words searched on each side
	neighbourMsgGap  = 2  // most message words between the pieces
	neighbourMinWord = 3  // least words matched by a piece
)

// extendNeighbours adds the pieces found next to the candidates.
func (ix *Index) extendNeighbours(mt *matcher, toks []token, cands []cand) []cand {
	if len(cands) == 0 {
		return cands
	}
	// Article positions (in mt.at) taken by candidates.
	taken := make([]bool, len(mt.at))
	pos := func(tok int32) int32 {
		p, _ := slices.BinarySearch(mt.seq, tok)
		return int32(p)
	}
	for _, c := range cands {
		for p := pos(c.a0); p <= pos(c.a1) && p < int32(len(taken)); p++ {
			taken[p] = true
		}
	}
	queue := slices.Clone(cands)
	for round := 0; round < 4 && len(queue) > 0; round++ {
		var next []cand
		for _, c := range queue {
			if c.kind == Paraphrase {
				continue
			}
			msg := &ix.msgs[c.msg]
			p0, p1 := pos(c.a0), pos(c.a1)
			for _, left := range []bool{true, false} {
				var aLo, aHi, mLo, mHi int32
				if left {
					aHi, mHi = p0, c.m0
					aLo, mLo = max(0, aHi-neighbourWindow), max(0, mHi-neighbourWindow)
					for k := aHi - 1; k >= aLo; k-- {
						if taken[k] {
							aLo = k + 1
							break
						}
					}
				} else {
					aLo, mLo = p1+1, c.m1+1
					aHi = min(int32(len(mt.at)), aLo+neighbourWindow)
					mHi = min(int32(len(msg.toks)), mLo+neighbourWindow)
					for k := aLo; k < aHi; k++ {
						if taken[k] {
							aHi = k
							break
						}
					}
				}
				if aHi-aLo < neighbourMinWord || mHi-mLo < neighbourMinWord {
					continue
				}
				ops, _ := mt.al.align(mt.at[aLo:aHi], msg.toks[mLo:mHi])
				o := trimOps(ops)
				if len(o) == 0 {
					continue
				}
				// The piece must continue the message where the passage
				// stops.
				if left && o[len(o)-1].j < mHi-mLo-1-neighbourMsgGap || !left && o[0].j > neighbourMsgGap {
					continue
				}
				o = trimToQuote(o, mt.at, aLo)
				n, st := makeCand(mt, toks, msg, uint32(c.msg), o, aLo, mLo)
				if st.units < neighbourMinWord || st.content < 1 || st.priv < 2 || 5*st.unmarked > n.matched ||
					c.quoted && !n.quoted {
					continue
				}
				for p := pos(n.a0); p <= pos(n.a1); p++ {
					taken[p] = true
				}
				next = append(next, n)
			}
		}
		cands = append(cands, next...)
		queue = next
	}
	return cands
}

// trimToQuote drops from the edges of a passage that lies mostly inside
// quotation marks in the article the few words outside them: words the
// reporter happens to share with the message next to a quote ("the decision
// “abandons…”") are the reporter's own.
func trimToQuote(o []op, at []token, aLo int32) []op {
	const maxTrim = 4
	matched, quoted := 0, 0
	isMatch := func(x op) bool { return x.kind == opMatch || x.kind == opStem }
	for _, x := range o {
		if isMatch(x) {
			matched++
			if at[x.i+aLo].has(fQuote) {
				quoted++
			}
		}
	}
	if quoted == matched || 10*quoted < 7*matched {
		return o
	}
	inQuote := func(x op) bool { return isMatch(x) && at[x.i+aLo].has(fQuote) }
	if k := slices.IndexFunc(o, inQuote); k > 0 && countMatches(o[:k]) <= maxTrim {
		o = o[k:]
	}
	for k := len(o) - 1; k >= 0; k-- {
		if inQuote(o[k]) {
			if countMatches(o[k+1:]) <= maxTrim {
				o = o[:k+1]
			}
			break
		}
	}
	return o
}

func countMatches(o []op) int {
	n := 0
	for _, x := range o {
		if x.kind == opMatch || x.kind == opStem {
			n++
		}
	}
	return n
}

// hasEdits reports whether the article side of a passage has marks of
// editing between its first and last word: a skipped group, an ellipsis,
// brackets inside a word, or message words left out.
func hasEdits(toks []token, pairs []pair, msg *message) bool {
	for k, p := range pairs {
		if toks[p.a].has(fInWord) {
			return true
		}
		if k == 0 {
			continue
		}
		q := pairs[k-1]
		if p.a != q.a+1 || p.m != q.m+1 || toks[p.a].has(fCut|fGroup) {
			return true
		}
	}
	return false
}

// setSpans computes the candidate's token ranges and byte starts from its
// pairs, extending over a bracketed substitution that opens the passage:
// "[The Department] has ignored" for "We have ignored".
func (c *cand) setSpans(toks []token, groups []group, msg *message) {
	c.a0, c.m0 = c.pairs[0].a, c.pairs[0].m
	c.a1, c.m1 = c.pairs[len(c.pairs)-1].a, c.pairs[len(c.pairs)-1].m
	c.aStart, c.mStart = toks[c.a0].start, msg.toks[c.m0].start
	if !toks[c.a0].has(fGroup) || c.paraphrase {
		return
	}
	k := slices.IndexFunc(groups, func(g group) bool { return g.endTok == c.a0 })
	if k < 0 {
		return
	}
	g := groups[k]
	if g.endTok-g.firstTok == 0 || toks[c.a0].start-g.end > 2 {
		return
	}
	c.aStart = g.start
	for ext := min(g.endTok-g.firstTok, 2); ext > 0 && c.m0 > 0 && !msg.toks[c.m0].has(fSentence); ext-- {
		c.m0--
	}
	c.mStart = msg.toks[c.m0].start
}

// mostlyOverlaps reports whether two candidates share most of the article
// words of each.
func mostlyOverlaps(c, d cand) bool {
	ov := min(c.a1, d.a1) - max(c.a0, d.a0) + 1
	return 2*ov > c.a1-c.a0+1 && 2*ov > d.a1-d.a0+1
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// resolve settles overlaps between candidates. The best supported
// candidate keeps its words; a weaker candidate of another message that
// mostly overlaps it is dropped, and one that overlaps it a little is
// trimmed. Candidates of equal support over the same words are both kept:
// the text cannot tell their messages apart.
func resolve(cands []cand, toks []token, msgs []message, maxShared int) []cand {
	slices.SortFunc(cands, func(x, y cand) int {
		return cmp.Or(cmp.Compare(y.score, x.score), cmp.Compare(x.msg, y.msg), cmp.Compare(x.a0, y.a0), cmp.Compare(x.m0, y.m0))
	})
	var out []cand
next:
	for i, c := range cands {
		// A passage that several messages share as a whole is stock text,
		// not a leak of any one of them.
		shared := map[int32]bool{c.msg: true}
		for j, d := range cands {
			if j != i && d.msg != c.msg && d.score >= 0.9*c.score && mostlyOverlaps(c, d) {
				shared[d.msg] = true
			}
		}
		if len(shared) > maxShared {
			continue
		}
		for _, d := range out {
			if d.a1 < c.a0 || c.a1 < d.a0 {
				continue
			}
			ov := min(c.a1, d.a1) - max(c.a0, d.a0) + 1
			mostly := 2*ov > c.a1-c.a0+1
			if d.msg == c.msg && (mostly || d.m1 >= c.m0 && c.m1 >= d.m0) {
				continue next
			}
			if mostly {
				if d.score > c.score || d.msg == c.msg {
					continue next
				}
				continue // a tie: keep both
			}
			// Trim the part d explains.
			kept := c.pairs[:0:0]
			for _, p := range c.pairs {
				if p.a < d.a0 || p.a > d.a1 {
					kept = append(kept, p)
				}
			}
			if len(kept) < minPiece {
				continue next
			}
			c.pairs = kept
			c.matched = int32(len(kept))
			c.setSpans(toks, nil, &msgs[c.msg])
		}
		out = append(out, c)
	}
	return out
}

// findings groups the passages by message.
func (ix *Index) findings(article string, toks []token, cands []cand) []Finding {
	slices.SortFunc(cands, func(x, y cand) int {
		return cmp.Or(cmp.Compare(ix.msgs[x.msg].name, ix.msgs[y.msg].name), cmp.Compare(x.msg, y.msg),
			cmp.Compare(x.aStart, y.aStart), cmp.Compare(x.mStart, y.mStart))
	})
	var out []Finding
	for i := 0; i < len(cands); {
		j := i
		miss := 1.0
		f := Finding{Article: article, Message: ix.msgs[cands[i].msg].name}
		alone, shared, words := true, int32(0), int32(0)
		for k := i; k < len(cands) && cands[k].msg == cands[i].msg; k++ {
			alone = alone && cands[k].paraphrase
			shared += cands[k].matched
			words += cands[k].a1 - cands[k].a0 + 1
		}
		if alone && (shared < paraAloneShared || words < paraAloneWords) {
			// A restatement with nothing quoted must be long: short ones
			// are what articles on the same topic say anyway.
			for i < len(cands) && cands[i].msg == cands[j].msg {
				i++
			}
			continue
		}
		for ; j < len(cands) && cands[j].msg == cands[i].msg; j++ {
			c := &cands[j]
			m := &ix.msgs[c.msg]
			f.Passages = append(f.Passages, Passage{
				ArticleStart: int(c.aStart),
				ArticleEnd:   int(toks[c.a1].end),
				MessageStart: int(c.mStart),
				MessageEnd:   int(m.toks[c.m1].end),
				Kind:         c.kind,
			})
			miss *= 1 - c.conf
		}
		f.Score = math.Round((1-miss)*1e4) / 1e4
		out = append(out, f)
		i = j
	}
	return out
}
