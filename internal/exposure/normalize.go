package exposure

import (
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/text/unicode/norm"
)

// Token is one normalized word of a text and the bytes of the original text
// it came from.
type Token struct {
	Word       string // NFKC, case-folded, apostrophes unified to '
	Start, End int    // byte span in the original text
}

// Normalize splits text into normalized word tokens. Every token keeps the
// byte span of the original text it was read from, so that offsets found on
// normalized words can be reported on the original bytes. Start and End are
// strictly increasing from one token to the next and always lie within text.
//
// Normalization is Unicode NFKC followed by case folding; every kind of
// apostrophe becomes ', and quotation marks, dashes and other punctuation
// separate words. Letters joined by brackets ("[T]he", "member(s)") form one
// word with the brackets dropped. Invalid UTF-8 separates words.
func Normalize(text []byte) []Token {
	var tz tokenizer
	toks := tz.tokenize(text, true)
	out := make([]Token, len(toks))
	for i, t := range toks {
		out[i] = Token{Word: tz.words[i], Start: int(t.start), End: int(t.end)}
	}
	return out
}

// Token flags.
const (
	fStop      uint16 = 1 << iota // function word
	fSkip                         // inside a free-standing [bracketed] or (parenthetical) group
	fQuote                        // inside quotation marks
	fCut                          // an ellipsis comes just before this token
	fGroup                        // a free-standing bracket group comes just before this token
	fInWord                       // brackets inside the word: "[T]he"
	fPublic                       // (messages) part of a passage known to be public
	fSentence                     // first token of a sentence
	fParagraph                    // first token of a paragraph
	fCap                          // starts with a capital letter in the original
	fNameCont                     // continues a proper name: "Bureau [of Population]"
)

// token is the internal form of a word: hashes instead of strings, so that a
// large corpus costs a few words of memory per token.
type token struct {
	start, end int32
	word       uint32 // hash of the normalized word (32 bits: a message's tokens are most of the index)
	stem       uint32 // hash of its light stem
	sent       int32  // sentence number
	flags      uint16
}

func (t *token) has(f uint16) bool { return t.flags&f != 0 }

// nrune is one rune of the normalized text with the original bytes it came
// from. All runes of one normalization segment share the segment's span.
type nrune struct {
	r    rune
	s, e int32
	up   bool // upper or title case before folding
}

// tokenizer holds scratch buffers; a zero tokenizer is ready to use. It is
// not safe for concurrent use.
type tokenizer struct {
	rs     []nrune
	seg    []byte
	word   []byte
	match  []int32
	quote  []bool
	words  []string // filled when keepWords is set
	groups []group  // free-standing bracket groups of the last text
}

// group is a free-standing [bracketed] or (parenthetical) insertion: its
// bytes, the index of its first token and of the first token after it.
type group struct {
	start, end       int32
	firstTok, endTok int32
}

// runes decodes, normalizes (NFKC) and case-folds text into tz.rs.
func (tz *tokenizer) runes(text []byte) {
	rs := tz.rs[:0]
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf && (i+1 == len(text) || text[i+1] < utf8.RuneSelf) {
			// ASCII is NFKC-stable and composes with nothing ASCII.
			r := rune(c)
			up := 'A' <= r && r <= 'Z'
			if up {
				r += 'a' - 'A'
			}
			rs = append(rs, nrune{r, int32(i), int32(i + 1), up})
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			rs = append(rs, nrune{utf8.RuneError, int32(i), int32(i + 1), false})
			i++
			continue
		}
		n := norm.NFKC.NextBoundary(text[i:], true)
		if n < size {
			n = size
		}
		if !utf8.Valid(text[i : i+n]) {
			n = size
		}
		tz.seg = norm.NFKC.Append(tz.seg[:0], text[i:i+n]...)
		for j := 0; j < len(tz.seg); {
			r, sz := utf8.DecodeRune(tz.seg[j:])
			j += sz
			// One form for every apostrophe, quotation mark and dash.
			switch {
			case isApostrophe(r):
				r = '\''
			case isDoubleQuote(r):
				r = '"'
			case isDash(r):
				r = '-'
			}
			switch r {
			case 'ß', 'ẞ':
				rs = append(rs, nrune{'s', int32(i), int32(i + n), r == 'ẞ'}, nrune{'s', int32(i), int32(i + n), false})
				continue
			case 'ς':
				r = 'σ'
			}
			rs = append(rs, nrune{unicode.ToLower(r), int32(i), int32(i + n), unicode.IsUpper(r) || unicode.IsTitle(r)})
		}
		i += n
	}
	tz.rs = rs
}

// Character classes of normalized runes.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsNumber(r))
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '‘', '’', '‚', '‛', 'ʼ', 'ʻ', '`', '´', '′', '‹', '›':
		return true
	}
	return false
}

func isDoubleQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '‟', '«', '»', '″', '〝', '〞', '〟', '＂':
		return true
	}
	return false
}

func isDash(r rune) bool {
	switch r {
	case '‐', '‑', '‒', '–', '—', '―', '−', '⁃', '﹘', '﹣', '－':
		return true
	}
	return false
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r != utf8.RuneError && r > 0x7f && unicode.IsSpace(r)
}

func isOpen(r rune) bool  { return r == '[' || r == '(' }
func isClose(r rune) bool { return r == ']' || r == ')' }

// matchBrackets records in tz.match, for every opening bracket or
// parenthesis, the index of the rune that closes it (or -1). Groups do not
// cross a blank line and are at most maxGroup runes long, so that a stray
// "(" cannot swallow an article.
func (tz *tokenizer) matchBrackets() {
	const maxGroup = 600
	rs := tz.rs
	if cap(tz.match) < len(rs) {
		tz.match = make([]int32, len(rs))
	}
	m := tz.match[:len(rs)]
	var stack []int32
	for i := range rs {
		m[i] = -1
		r := rs[i].r
		switch {
		case isOpen(r):
			stack = append(stack, int32(i))
		case isClose(r):
			if len(stack) == 0 {
				continue
			}
			o := stack[len(stack)-1]
			if (rs[o].r == '[') != (r == ']') {
				stack = stack[:0]
				continue
			}
			stack = stack[:len(stack)-1]
			if i-int(o) <= maxGroup {
				m[o] = int32(i)
			}
		case r == '\n' && isParagraphBreak(rs, i):
			stack = stack[:0]
		}
	}
	tz.match = m
}

// isParagraphBreak reports whether rs[i] is a newline followed, after
// optional blanks, by another newline.
func isParagraphBreak(rs []nrune, i int) bool {
	for j := i + 1; j < len(rs); j++ {
		switch rs[j].r {
		case '\n':
			return true
		case ' ', '\t', '\r':
			continue
		}
		return false
	}
	return false
}

// markQuotes sets tz.quote[i] for every rune inside a pair of quotation
// marks. Quotes are paired within a paragraph; a quote mark is an opener when
// it is followed by a word and not preceded by one, a closer in the mirror
// case. Single quotes count only when paired, because apostrophes look the
// same.
func (tz *tokenizer) markQuotes() {
	rs := tz.rs
	if cap(tz.quote) < len(rs) {
		tz.quote = make([]bool, len(rs))
	}
	q := tz.quote[:len(rs)]
	clear(q)
	tz.quote = q
	prevWord := func(i int) bool { return i > 0 && !isSpace(rs[i-1].r) && !isOpen(rs[i-1].r) }
	nextWord := func(i int) bool {
		return i+1 < len(rs) && !isSpace(rs[i+1].r) && !isClose(rs[i+1].r) && !isPunct(rs[i+1].r)
	}
	dq, sq := -1, -1 // open double / single quote rune index
	for i := range rs {
		r := rs[i].r
		switch {
		case r == '\n' && isParagraphBreak(rs, i):
			dq, sq = -1, -1
		case isDoubleQuote(r):
			p, n := prevWord(i), nextWord(i)
			if dq < 0 && (n || !p) {
				dq = i
			} else if dq >= 0 && (p || !n) {
				for k := dq; k <= i; k++ {
					q[k] = true
				}
				dq, sq = -1, -1
			}
		case isApostrophe(r):
			p, n := prevWord(i), nextWord(i)
			if i > 0 && i+1 < len(rs) && isWordRune(rs[i-1].r) && isWordRune(rs[i+1].r) {
				continue // inside a word: don't
			}
			if sq < 0 && n && !p {
				sq = i
			} else if sq >= 0 && p && !n {
				for k := sq; k <= i; k++ {
					q[k] = true
				}
				sq = -1
			}
		}
	}
}

func isPunct(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?':
		return true
	}
	return false
}

// abbreviations whose trailing period does not end a sentence, by hash.
var abbreviations = hashSet(
	"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sen", "rep", "gov", "amb", "no", "vs", "etc", "jr",
	"sr", "u.s", "e.g", "i.e", "a.m", "p.m", "sgt", "capt", "adm", "prof", "inc", "co", "corp", "dept",
	"u.n", "u.k",
)

func hashSet(words ...string) map[uint64]bool {
	m := make(map[uint64]bool, len(words))
	for _, w := range words {
		m[xxhash.Sum64String(w)] = true
	}
	return m
}

// tokenize splits text into tokens. With keepWords the normalized words are
// kept as strings in tz.words.
func (tz *tokenizer) tokenize(text []byte, keepWords bool) []token {
	tz.runes(text)
	tz.matchBrackets()
	tz.markQuotes()
	rs := tz.rs
	match := tz.match
	tz.words = tz.words[:0]
	tz.groups = tz.groups[:0]

	toks := make([]token, 0, len(text)/6+1)
	skipUntil := -1 // runes up to this index are inside a free-standing group
	var pending uint16 = fSentence | fParagraph
	sent := int32(0)
	var lastWord uint64 // hash of the previous word, for abbreviations

	// inWordGroup reports whether the group opened at i (closed at c) is
	// part of a word: "[T]he", "member(s)".
	inWordGroup := func(i, c int) bool {
		if c-i > 24 {
			return false
		}
		for k := i + 1; k < c; k++ {
			if !isWordRune(rs[k].r) {
				return false
			}
		}
		return i > 0 && isWordRune(rs[i-1].r) || c+1 < len(rs) && isWordRune(rs[c+1].r)
	}

	for i := 0; i < len(rs); {
		r := rs[i].r
		switch {
		case isWordRune(r) || isOpen(r) && match[i] >= 0 && inWordGroup(i, int(match[i])):
			var flags uint16
			tz.word = tz.word[:0]
			start := rs[i].s
			end := rs[i].e
			quoted := tz.quote[i]
			j := i
			for j < len(rs) {
				c := rs[j].r
				switch {
				case isWordRune(c):
					tz.word = utf8.AppendRune(tz.word, c)
					end = rs[j].e
					j++
					continue
				case isOpen(c) && match[j] >= 0 && inWordGroup(j, int(match[j])):
					flags |= fInWord
					cl := int(match[j])
					for k := j + 1; k < cl; k++ {
						tz.word = utf8.AppendRune(tz.word, rs[k].r)
					}
					end = rs[cl].e
					j = cl + 1
					continue
				case j+1 < len(rs) && len(tz.word) > 0 && isWordRune(rs[j+1].r):
					prev := rs[j-1].r
					next := rs[j+1].r
					if isApostrophe(c) && unicode.IsLetter(prev) && unicode.IsLetter(next) {
						tz.word = append(tz.word, '\'')
						j++
						continue
					}
					if (c == '.' || c == ',') && unicode.IsDigit(prev) && unicode.IsDigit(next) {
						tz.word = append(tz.word, byte(c))
						j++
						continue
					}
					if c == '.' && unicode.IsLetter(prev) && unicode.IsLetter(next) && (j-1 == i || rs[j-2].r == '.') &&
						(j+2 >= len(rs) || !isWordRune(rs[j+2].r)) {
						// U.S., e.g.
						tz.word = append(tz.word, '.')
						j++
						continue
					}
				}
				break
			}
			if end <= start { // all runes of a segment share a span
				end = rs[j-1].e
			}
			if len(toks) > 0 && start < toks[len(toks)-1].end {
				// Two tokens from one normalization segment (e.g. a
				// ligature split by NFKC into letters and a mark): join.
				t := &toks[len(toks)-1]
				t.end = max(t.end, end)
				if keepWords {
					tz.words[len(tz.words)-1] += string(tz.word)
				}
				i = j
				continue
			}
			t := token{start: start, end: end, flags: flags | pending}
			if rs[i].up {
				t.flags |= fCap
			}
			pending = 0
			if i <= skipUntil {
				t.flags |= fSkip
			}
			if quoted {
				t.flags |= fQuote
			}
			wh := xxhash.Sum64(tz.word)
			t.word = uint32(wh)
			if stopwords[wh] {
				t.flags |= fStop
			}
			t.stem = uint32(stemHash(tz.word))
			if t.flags&fSentence != 0 && len(toks) > 0 {
				sent++
			}
			t.sent = sent
			toks = append(toks, t)
			if keepWords {
				tz.words = append(tz.words, string(tz.word))
			}
			lastWord = wh
			i = j
		case isOpen(r) && match[i] >= 0:
			// A free-standing group: its words may be skipped for free.
			if i > skipUntil {
				tz.groups = append(tz.groups, group{start: rs[i].s, end: rs[match[i]].e, firstTok: int32(len(toks))})
				skipUntil = int(match[i])
			}
			i++
		case isClose(r) && i == skipUntil:
			pending |= fGroup
			tz.groups[len(tz.groups)-1].endTok = int32(len(toks))
			i++
		case r == '.':
			// An ellipsis: "...", "…" (NFKC makes it three periods) or ". . .".
			n, j := 0, i
			for j < len(rs) {
				if rs[j].r == '.' {
					n++
					j++
				} else if rs[j].r == ' ' && j+1 < len(rs) && rs[j+1].r == '.' && n > 0 {
					j++
				} else {
					break
				}
			}
			if n >= 3 {
				pending |= fCut
			} else if !abbreviations[lastWord] && len(toks) > 0 {
				pending |= fSentence
			}
			i = j
		case r == '!' || r == '?':
			if len(toks) > 0 {
				pending |= fSentence
			}
			i++
		case r == '\n' && isParagraphBreak(rs, i):
			if len(toks) > 0 {
				pending |= fSentence | fParagraph
			}
			i++
		default:
			i++
		}
	}
	markNames(toks)
	return toks
}

// markNames marks the words that continue a proper name, a run of
// capitalized words that may hold a few function words ("Bureau of
// Population, Refugees, and Migration"), so that a long name counts as one
// unit of evidence rather than many.
func markNames(toks []token) {
	sameSent := func(a, b int) bool { return toks[a].sent == toks[b].sent }
	for k := 0; k < len(toks); k++ {
		t := &toks[k]
		if !t.has(fCap) || t.has(fStop) {
			continue
		}
		if t.has(fSentence) && !(k+1 < len(toks) && toks[k+1].has(fCap) && sameSent(k, k+1)) {
			continue // a capital only because the sentence starts
		}
		j := k + 1
		for j < len(toks) && sameSent(k, j) {
			if toks[j].has(fCap) {
				toks[j].flags |= fNameCont
				j++
				continue
			}
			s := j
			for s < len(toks) && s-j < 2 && toks[s].has(fStop) && sameSent(k, s) {
				s++
			}
			if s == j || s >= len(toks) || !toks[s].has(fCap) || !sameSent(k, s) {
				break
			}
			for ; j < s; j++ {
				toks[j].flags |= fNameCont
			}
		}
		k = j - 1
	}
}
