package exposure

// Alignment scores, in arbitrary integer units. A content word matched
// scores more than a function word; a gap costs an opening penalty and a
// smaller one for every further word (affine gaps). Words the reporter marks
// as their own ([brackets], (parentheses)) never reach the aligner, and the
// message words an ellipsis stands for are deleted for free.
const (
	scoreContent  = 5
	scoreStop     = 2
	scoreStem     = 2
	scoreMismatch = -4
	gapOpen       = -6
	gapExtend     = -2
	negInf        = -1 << 28
)

// Alignment operations.
const (
	opMatch    uint8 = iota // same word
	opStem                  // same stem, different word
	opMismatch              // different words
	opIns                   // article word not in the message
	opDel                   // message word not in the article
	opFreeDel               // message word cut by an ellipsis or bracket, or inside the message's own parentheses
)

// op is one step of an alignment: i indexes the article tokens, j the
// message tokens, both relative to the slices given to align.
type op struct {
	kind uint8
	i, j int32
}

// aligner holds the buffers of the dynamic programme; it is reused across
// alignments by one goroutine.
type aligner struct {
	h, e, f []int32
	dir     []uint8
	ops     []op
}

func subst(x, y *token) (int32, uint8) {
	switch {
	case x.word == y.word && x.has(fStop):
		return scoreStop, opMatch
	case x.word == y.word:
		return scoreContent, opMatch
	case x.stem == y.stem && !x.has(fStop) && !y.has(fStop):
		return scoreStem, opStem
	}
	return scoreMismatch, opMismatch
}

// delCost is the cost of deleting message token y when the next article
// token is next (nil at the end): free after an ellipsis, nearly free after a
// bracketed substitution, free inside the message's own parentheses.
func delCost(next, y *token) (open, ext int32) {
	switch {
	case next != nil && next.has(fCut):
		return 0, 0
	case y.has(fSkip):
		return 0, 0
	case next != nil && next.has(fGroup):
		return 0, -1
	}
	return gapOpen, gapExtend
}

// align computes the best local alignment of article tokens a with message
// tokens m (Smith–Waterman with affine gaps) and returns its operations in
// order, and its score. The returned slice is reused by the next call.
func (al *aligner) align(a, m []token) ([]op, int32) {
	A, B := len(a), len(m)
	if A == 0 || B == 0 {
		return nil, 0
	}
	w := B + 1
	al.h = grow(al.h, 2*w)
	al.e = grow(al.e, w)
	al.f = grow(al.f, w)
	if cap(al.dir) < (A+1)*w {
		al.dir = make([]uint8, (A+1)*w)
	}
	dir := al.dir[:(A+1)*w]
	hPrev, hCur := al.h[:w], al.h[w:2*w]
	f := al.f[:w]
	for j := range w {
		hPrev[j] = 0
		f[j] = negInf
		dir[j] = 0
	}
	best, bi, bj := int32(0), 0, 0
	for i := 1; i <= A; i++ {
		x := &a[i-1]
		var next *token
		if i < A {
			next = &a[i]
		}
		hCur[0] = 0
		e := int32(negInf)
		row := dir[i*w : (i+1)*w]
		row[0] = 0
		for j := 1; j <= B; j++ {
			y := &m[j-1]
			var d uint8
			// E: delete m[j-1] after a[i-1].
			open, ext := delCost(next, y)
			if e+ext > hCur[j-1]+open {
				e += ext
				d |= 4
			} else {
				e = hCur[j-1] + open
			}
			// F: insert a[i-1].
			fj := f[j]
			if fj+gapExtend > hPrev[j]+gapOpen {
				fj += gapExtend
				d |= 8
			} else {
				fj = hPrev[j] + gapOpen
			}
			f[j] = fj
			s, _ := subst(x, y)
			h := int32(0)
			if v := hPrev[j-1] + s; v > h {
				h, d = v, d&^3|1
			}
			if e > h {
				h, d = e, d&^3|2
			}
			if fj > h {
				h, d = fj, d&^3|3
			}
			hCur[j] = h
			row[j] = d
			if h > best {
				best, bi, bj = h, i, j
			}
		}
		hPrev, hCur = hCur, hPrev
	}
	if best == 0 {
		return nil, 0
	}
	// Trace back.
	ops := al.ops[:0]
	i, j, state := bi, bj, uint8(0)
	for i > 0 && j > 0 {
		d := dir[i*w+j]
		switch state {
		case 0:
			switch d & 3 {
			case 0:
				i = 0 // start of the alignment
				continue
			case 1:
				_, k := subst(&a[i-1], &m[j-1])
				ops = append(ops, op{k, int32(i - 1), int32(j - 1)})
				i, j = i-1, j-1
			case 2:
				state = 2
			case 3:
				state = 3
			}
		case 2:
			var next *token
			if i < A {
				next = &a[i]
			}
			k := opDel
			if open, _ := delCost(next, &m[j-1]); open == 0 {
				k = opFreeDel
			}
			ops = append(ops, op{k, int32(i), int32(j - 1)})
			if d&4 == 0 {
				state = 0
			}
			j--
		case 3:
			ops = append(ops, op{opIns, int32(i - 1), int32(j)})
			if d&8 == 0 {
				state = 0
			}
			i--
		}
	}
	for l, r := 0, len(ops)-1; l < r; l, r = l+1, r-1 {
		ops[l], ops[r] = ops[r], ops[l]
	}
	al.ops = ops
	return ops, best
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
