package exposure

import (
	"cmp"
	"math"
	"slices"
)

// Paraphrase-pass thresholds. A sentence of the article restates a sentence
// (or two consecutive sentences) of a message when the cosine similarity of
// their weighted bags of content stems reaches the threshold and enough
// stems are shared. Messages the article already quotes get the lower bar;
// others must share rare stems and pass the higher one.
const (
	paraMinStems    = 4    // least content stems in an article sentence
	paraThetaHit    = 0.42 // similarity bar for messages already hit
	paraThetaCold   = 0.70 // similarity bar for other messages
	paraThetaWarm   = 0.55 // similarity bar for messages with an unreported piece
	paraSharedWarm  = 6    // least shared stems, those messages
	paraSharedHit   = 4    // least shared stems, messages already hit
	paraSharedCold  = 6    // least shared stems, other messages
	paraMinContain  = 0.6  // share of the message sentence's stems needed when few are shared
	paraShortRun    = 6    // words left out of a passage this few need share just one
	paraFewShared   = 5    // this few shared stems need
	paraThetaFew    = 0.5  // this similarity at least
	paraCovered     = 0.3  // share of a sentence covered by a passage from which only the rest is compared
	paraMaxSentGap  = 2    // message sentences this close may join one passage
	paraEdgeSlack   = 5    // article words before the first match still taken in
	paraMergeTokens = 6    // passages of one message this close are merged
	paraAloneShared = 6    // least stems shared by the paraphrases of a message found without a quote
	paraAloneWords  = 10   // least article words they span
)

// stemSent is one stem of one message sentence.
type stemSent struct {
	stem uint64
	sid  int32
}

type paraMatch struct {
	as         int // article sentence number
	t0, t1     int // its token range
	sid0, sid1 int // message sentences [sid0, sid1]
	cos        float64
	shared     int
}

// paraphrase adds the passages that restate messages in other words. cands
// are the passages found so far.
func (ix *Index) paraphrase(mt *matcher, toks []token, cands []cand) []cand {
	if len(toks) == 0 || len(ix.sents) == 0 {
		return cands
	}
	// covered: msg+1 of the passage covering a token; quoted: whether
	// that passage is a quote.
	covered := make([]int32, len(toks))
	quoted := make([]bool, len(toks))
	// Messages already hit: those with a passage, and those with a piece
	// of alignment too short to report, which a restatement often keeps.
	// Messages with a piece too short to report are warm: a piece of five
	// words happens by chance against many messages, so they get a bar
	// between the two.
	hitMsgs := make(map[int32]bool, len(mt.near))
	for m := range mt.near {
		hitMsgs[m] = false
	}
	for _, c := range cands {
		for k := c.a0; k <= c.a1; k++ {
			covered[k] = c.msg + 1
			quoted[k] = c.quoted
		}
		hitMsgs[c.msg] = true
	}
	hitList := make([]int32, 0, len(hitMsgs))
	for m := range hitMsgs {
		hitList = append(hitList, m)
	}
	slices.Sort(hitList)
	mt.hot = mt.hot[:0]
	for _, m := range hitList {
		msg := &ix.msgs[m]
		for sid := msg.sent0; sid < msg.sent0+msg.nsent; sid++ {
			for _, st := range ix.sents[sid].stems {
				mt.hot = append(mt.hot, stemSent{st, sid})
			}
		}
	}
	slices.SortFunc(mt.hot, func(x, y stemSent) int { return cmp.Or(cmp.Compare(x.stem, y.stem), cmp.Compare(x.sid, y.sid)) })

	if cap(mt.acc) < len(ix.sents) {
		mt.acc = make([]float32, len(ix.sents))
	}
	acc := mt.acc[:len(ix.sents)]

	var matches []paraMatch
	for i := 0; i < len(toks); {
		j := i + 1
		for j < len(toks) && toks[j].sent == toks[i].sent {
			j++
		}
		as, t0, t1 := int(toks[i].sent), i, j
		i = j
		// A sentence that quotes a message is done with: the reporter's
		// words around a quote are their own. One largely covered by an
		// unquoted passage may restate more of that message around it.
		nTok, nQuoted := 0, 0
		byMsg := map[int32]int{}
		for k := t0; k < t1; k++ {
			if toks[k].has(fSkip) {
				continue
			}
			nTok++
			if covered[k] != 0 {
				if quoted[k] {
					nQuoted++
				} else {
					byMsg[covered[k]-1]++
				}
			}
		}
		if float64(nQuoted) >= paraCovered*float64(nTok) {
			continue
		}
		only, most := int32(-1), 0
		for m, n := range byMsg {
			if n > most || n == most && m < only {
				only, most = m, n
			}
		}
		if float64(most) < paraCovered*float64(nTok) {
			only = -1
		}
		if only >= 0 {
			// Only the words the passage leaves out are in question.
			matches = append(matches, ix.remainder(toks, cands, covered, as, t0, t1, only)...)
			continue
		}
		stems := contentStems(toks[t0:t1], mt.buf[:0], false)
		mt.buf = stems
		if len(stems) < paraMinStems {
			continue
		}
		mt.aw = mt.aw[:0]
		var na float64
		for _, st := range stems {
			w := ix.weight(st)
			mt.aw = append(mt.aw, w*w)
			na += w * w
		}
		na = math.Sqrt(na)

		// Candidates: every sentence of the messages already hit, and the
		// sentences sharing a rare stem.
		mt.touch = mt.touch[:0]
		for _, st := range stems {
			sids, ok := ix.rare[st]
			if !ok {
				continue
			}
			w2 := float32(ix.weight(st))
			w2 *= w2
			for _, sid := range sids {
				if acc[sid] == 0 {
					mt.touch = append(mt.touch, sid)
				}
				acc[sid] += w2
			}
		}
		// Sentences of the messages already hit that share a stem with
		// this one; the others have a similarity of 0.
		for _, st := range stems {
			k, _ := slices.BinarySearchFunc(mt.hot, st, func(x stemSent, st uint64) int { return cmp.Compare(x.stem, st) })
			for ; k < len(mt.hot) && mt.hot[k].stem == st; k++ {
				if sid := mt.hot[k].sid; acc[sid] == 0 {
					mt.touch = append(mt.touch, sid)
					acc[sid] = -1 // mark as touched
				}
			}
		}
		best := paraMatch{cos: -1}
		slices.Sort(mt.touch)
		for _, sid := range mt.touch {
			s := &ix.sents[sid]
			if only >= 0 && s.msg != only {
				continue
			}
			hot, warm := hitMsgs[s.msg]
			// Cheap bound: the rare stems alone cannot reach the bar
			// unless the common ones help; skip hopeless cold candidates.
			if !warm && float64(acc[sid]) < 0.15*na*ix.sentNorm(sid) {
				continue
			}
			theta, minShared := paraThetaCold, paraSharedCold
			switch {
			case hot:
				theta, minShared = paraThetaHit, paraSharedHit
			case warm:
				theta, minShared = paraThetaWarm, paraSharedWarm
			}
			try := func(sid0, sid1 int, cos float64, shared, window int) {
				// Few shared words must make most of the message sentence.
				if shared < minShared+1 && float64(shared) < paraMinContain*float64(window) {
					return
				}
				bar := theta
				if shared <= paraFewShared {
					bar = max(bar, paraThetaFew)
				}
				if cos >= bar && shared >= minShared && cos > best.cos {
					best = paraMatch{as: as, t0: t0, t1: t1, sid0: sid0, sid1: sid1, cos: cos, shared: shared}
				}
			}
			sNorm := ix.sentNorm(sid)
			cos, shared := cosine(stems, mt.aw, na, s.stems, sNorm)
			try(int(sid), int(sid), cos, shared, len(s.stems))
			if int(sid)+1 < len(ix.sents) && ix.sents[sid+1].msg == s.msg && cos > 0.2 {
				t := &ix.sents[sid+1]
				mt.union = unionSorted(mt.union[:0], s.stems, t.stems)
				tNorm := ix.sentNorm(sid + 1)
				n2 := sNorm*sNorm + tNorm*tNorm - ix.commonWeight(s.stems, t.stems)
				cos2, shared2 := cosine(stems, mt.aw, na, mt.union, math.Sqrt(max(n2, 0)))
				try(int(sid), int(sid)+1, cos2, shared2, len(mt.union))
			}
		}
		for _, sid := range mt.touch {
			acc[sid] = 0
		}
		if best.cos >= 0 {
			matches = append(matches, best)
		}
	}

	// Join consecutive article sentences restating nearby sentences of one
	// message.
	var out []cand
	for k := 0; k < len(matches); {
		g := matches[k]
		msgID := ix.sents[g.sid0].msg
		l := k + 1
		for l < len(matches) {
			n := matches[l]
			if ix.sents[n.sid0].msg != msgID || n.as != matches[l-1].as+1 ||
				n.sid0 > g.sid1+paraMaxSentGap || n.sid1 < g.sid0-paraMaxSentGap {
				break
			}
			g.t1 = n.t1
			g.sid0, g.sid1 = min(g.sid0, n.sid0), max(g.sid1, n.sid1)
			g.cos = math.Max(g.cos, n.cos)
			g.shared += n.shared
			l++
		}
		k = l
		if c, ok := ix.paraCand(mt, toks, covered, g); ok {
			out = append(out, c)
		}
	}
	return append(cands, out...)
}

// remainder checks whether the words of an article sentence that a passage
// of message msg leaves out restate the same sentences of msg: a paraphrase
// that kept part of a sentence verbatim and reworded the rest. Each run of
// words left out is judged on its own, so that a reporter's lead-in ("According
// to the cable,") is not taken in with a reworded tail.
func (ix *Index) remainder(toks []token, cands []cand, covered []int32, as, t0, t1 int, msg int32) []paraMatch {
	// The message sentences the passage covers, and their neighbours.
	m := &ix.msgs[msg]
	lo, hi := m.nsent, int32(-1)
	for _, c := range cands {
		if c.msg == msg && int(c.a0) < t1 && t0 <= int(c.a1) {
			lo = min(lo, m.toks[c.m0].sent-1)
			hi = max(hi, m.toks[c.m1].sent+1)
		}
	}
	var out []paraMatch
	for r0 := t0; r0 < t1; {
		if covered[r0] != 0 {
			r0++
			continue
		}
		r1 := r0
		for r1 < t1 && covered[r1] == 0 {
			r1++
		}
		run := toks[r0:r1]
		stems := contentStems(run, nil, false)
		best := paraMatch{cos: -1}
		for k := max(lo, 0); k <= min(hi, m.nsent-1) && len(stems) > 0; k++ {
			sid := m.sent0 + k
			// Most of the run's words, at least two; or one word of a
			// short run after the passage (a phrase moved from the front:
			// "..., from Tegucigalpa"). Before the passage, a short run is
			// more often the reporter's lead-in ("The cable says that").
			shared := countShared(stems, ix.sents[sid].stems)
			tail := r0 > t0 && covered[r0-1] != 0
			if 2*shared < len(stems) || shared < 2 && !(tail && shared == 1 && len(run) <= paraShortRun) {
				continue
			}
			if c := float64(shared) / float64(len(stems)); c > best.cos {
				best = paraMatch{as: as, t0: r0, t1: r1, sid0: int(sid), sid1: int(sid), cos: c, shared: shared}
			}
		}
		if best.cos >= 0 {
			out = append(out, best)
		}
		r0 = r1
	}
	return out
}

func countShared(a, b []uint64) int {
	n := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// paraCand turns a sentence match into a candidate passage. The article
// span runs from the first to the last word whose stem the message window
// holds, widened to the sentence edges when they are close.
func (ix *Index) paraCand(mt *matcher, toks []token, covered []int32, g paraMatch) (cand, bool) {
	s0, s1 := &ix.sents[g.sid0], &ix.sents[g.sid1]
	msgID := s0.msg
	msg := &ix.msgs[msgID]
	var window []uint64
	for sid := g.sid0; sid <= g.sid1; sid++ {
		window = unionSorted(nil, window, ix.sents[sid].stems)
	}
	first, last := -1, -1
	for k := g.t0; k < g.t1; k++ {
		t := &toks[k]
		if t.has(fStop|fSkip) || covered[k] != 0 && covered[k] != msgID+1 {
			continue
		}
		if _, ok := slices.BinarySearch(window, uint64(t.stem)); ok {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return cand{}, false
	}
	slack := max(paraEdgeSlack, (g.t1-g.t0)*2/5)
	if first-g.t0 <= slack && noneCovered(covered, g.t0, first, msgID) {
		first = g.t0
	}
	if g.t1-1-last <= slack && noneCovered(covered, last+1, g.t1, msgID) {
		last = g.t1 - 1
	}
	c := cand{
		msg: msgID, kind: Paraphrase, paraphrase: true,
		a0: int32(first), a1: int32(last),
		m0: s0.t0, m1: s1.t1 - 1,
		matched: int32(g.shared),
		score:   g.cos,
		conf:    passageScore(g.shared, g.cos),
	}
	c.aStart, c.mStart = toks[first].start, msg.toks[c.m0].start
	return c, true
}

func noneCovered(covered []int32, from, to int, msgID int32) bool {
	for k := from; k < to; k++ {
		if covered[k] != 0 && covered[k] != msgID+1 {
			return false
		}
	}
	return true
}

// mergeNear joins a paraphrase passage with a passage of the same message
// that overlaps or nearly touches it in the article: a restated sentence
// that kept a few words verbatim is one passage, not two.
func mergeNear(cands []cand, msgs []message) []cand {
	slices.SortFunc(cands, func(x, y cand) int {
		return cmp.Or(cmp.Compare(x.msg, y.msg), cmp.Compare(x.a0, y.a0), cmp.Compare(x.m0, y.m0))
	})
	var out []cand
	for _, c := range cands {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if p.msg == c.msg && (p.kind == Paraphrase || c.kind == Paraphrase || !p.quoted && !c.quoted) &&
				c.a0 <= p.a1+paraMergeTokens && rangesNear(p.m0, p.m1, c.m0, c.m1, msgs[c.msg].toks) {
				if c.a0 > p.a1+1 || c.m0 != p.m1+1 {
					p.kind = Paraphrase // words between, or the order changed
				}
				if c.kind == Paraphrase || p.kind == Verbatim && c.kind == Edited {
					p.kind = c.kind
				}
				p.a1 = max(p.a1, c.a1)
				if c.aStart < p.aStart {
					p.aStart = c.aStart
				}
				if c.m0 < p.m0 {
					p.m0, p.mStart = c.m0, c.mStart
				}
				p.m1 = max(p.m1, c.m1)
				p.matched += c.matched
				p.conf = 1 - (1-p.conf)*(1-c.conf)
				p.paraphrase = p.paraphrase || c.paraphrase
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// rangesNear reports whether two message token ranges overlap or lie
// within a sentence of each other.
func rangesNear(a0, a1, b0, b1 int32, mt []token) bool {
	if a1 >= b0 && b1 >= a0 {
		return true
	}
	if a1 < b0 {
		return mt[b0].sent-mt[a1].sent <= 1
	}
	return mt[a0].sent-mt[b1].sent <= 1
}

// cosine returns the cosine similarity of two sorted stem sets, given the
// squared weights aw2 of a's stems and both norms, and the number of stems
// they share.
func cosine(a []uint64, aw2 []float64, na float64, b []uint64, nb float64) (float64, int) {
	if na == 0 || nb == 0 {
		return 0, 0
	}
	var dot float64
	shared := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			dot += aw2[i]
			shared++
			i++
			j++
		}
	}
	return dot / (na * nb), shared
}

// commonWeight is the sum of the squared weights of the stems two sorted
// sets share.
func (ix *Index) commonWeight(a, b []uint64) float64 {
	var s float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			w := ix.weight(a[i])
			s += w * w
			i++
			j++
		}
	}
	return s
}

// unionSorted appends to out the union of two sorted sets.
func unionSorted(out, a, b []uint64) []uint64 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
