package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dissent-channel/dissent/bench/exposure/pan"
	"github.com/dissent-channel/dissent/internal/exposure"
)

// Categories of articles. Each article that leaks holds cases of one
// category only, so that measures per category can be computed on whole
// articles, as PAN computes them per obfuscation type.
const (
	catClean      = "clean"
	catVerbatim   = "verbatim"
	catBrackets   = "brackets"
	catParens     = "parens"
	catEllipsis   = "ellipsis"
	catQuotesCase = "quotes+case"
	catSplit      = "split"
	catMixed      = "two-messages"
	catParaphrase = "paraphrase"
	catSummary    = "summary"
	catUnquoted   = "unquoted"
)

var leakCategories = []string{catVerbatim, catBrackets, catParens, catEllipsis, catQuotesCase, catSplit,
	catMixed, catUnquoted, catParaphrase, catSummary}

// quoteCategories are the categories of quotes, verbatim or edited, that
// the ≥ 0.93 target is about.
var quoteCategories = []string{catVerbatim, catBrackets, catParens, catEllipsis, catQuotesCase, catSplit, catMixed}

// Length buckets of quotes, in words of the message.
var buckets = []struct {
	name   string
	lo, hi int
}{{"8-15", 8, 15}, {"16-40", 16, 40}, {"41+", 41, 70}}

// genMessage is a generated message and what the generator knows of it.
type genMessage struct {
	name  string
	text  string
	topic int
	words []wspan
	sents []sspan
}

type wspan struct {
	start, end int // bytes, without surrounding punctuation
	para, sent int
	excluded   bool // stock or publicly quoted text: never leaked
}

type sspan struct {
	start, end int // first word start, last word end
	para       int
	excluded   bool
	s          sentence
	w0, w1     int // word range [w0, w1)
}

// genArticle is a generated article with its true cases.
type genArticle struct {
	name     string
	text     string
	category string
	bucket   string // for quote categories
	cases    []genCase
}

type genCase struct {
	pan.Annotation
	words int // message words quoted
}

// corpus is a generated corpus.
type corpus struct {
	messages   []genMessage
	articles   []genArticle
	background []exposure.Document
	statements []string
}

func rng(seed uint64, kind, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(kind)<<32|uint64(i)))
}

// generate builds a corpus. Message i and article i depend only on the
// seed and i, so a larger corpus extends a smaller one.
func generate(seed uint64, nMessages, nArticles, nBackground int) *corpus {
	c := &corpus{}
	sr := rng(seed, 9, 0)
	for i := range 60 {
		g := &grammar{r: sr, t: &topics[i%len(topics)]}
		s := g.statement()
		if g.chance(0.5) {
			s = strings.TrimSuffix(s, ".") + ", and " + strings.TrimSuffix(decapitalize(g.statement()), ".") + "."
		}
		c.statements = append(c.statements, s)
	}
	for i := range nMessages {
		c.messages = append(c.messages, c.message(rng(seed, 1, i), i))
	}
	for i := range nArticles {
		c.articles = append(c.articles, c.article(rng(seed, 2, i), i))
	}
	for i := range nBackground {
		r := rng(seed, 3, i)
		a := c.newsOnly(r, fmt.Sprintf("bg-%04d.txt", i))
		c.background = append(c.background, exposure.Document{Name: a.name, Text: []byte(a.text)})
	}
	return c
}

var stockOpenings = []string{
	"We, the undersigned officers, submit this message through the Dissent Channel.",
	"We write to register our disagreement with the current policy and to propose an alternative.",
	"This message is submitted in accordance with the Dissent Channel procedures.",
	"The undersigned believe that the Department's current course is mistaken.",
}

// message generates one dissent message.
func (c *corpus) message(r *rand.Rand, i int) genMessage {
	ti := r.IntN(len(topics))
	g := &grammar{r: r, t: &topics[ti]}
	m := genMessage{name: fmt.Sprintf("msg-%04d.txt", i), topic: ti}
	var b strings.Builder
	para := 0
	curly := g.chance(0.5)
	addSentence := func(text string, s sentence, excluded bool) {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString(" ")
		}
		if curly {
			text = strings.ReplaceAll(text, "'", "’")
		}
		start := b.Len()
		b.WriteString(text)
		w0 := len(m.words)
		for _, w := range wordSpans(text) {
			m.words = append(m.words, wspan{start + w[0], start + w[1], para, len(m.sents), excluded})
		}
		if len(m.words) > w0 {
			m.sents = append(m.sents, sspan{m.words[w0].start, m.words[len(m.words)-1].end, para, excluded, s, w0, len(m.words)})
		}
	}
	endPara := func() {
		b.WriteString("\n\n")
		para++
	}
	// Opening: stock sentences shared by many messages, then the topic.
	addSentence(stockOpenings[r.IntN(len(stockOpenings))], sentence{}, true)
	for range 1 + r.IntN(2) {
		s := g.dissentSentence()
		addSentence(s.render(), s, false)
	}
	endPara()
	nPara := 3 + r.IntN(5)
	quoteAt := -1
	if g.chance(0.4) {
		quoteAt = r.IntN(nPara)
	}
	for p := range nPara {
		n := 4 + r.IntN(4)
		for k := range n {
			if p == quoteAt && k == 1 {
				st := c.statements[r.IntN(len(c.statements))]
				lead := fmt.Sprintf("As %s said in %s, “%s”", g.pick(titles), g.pick(months), st)
				addSentence(capitalize(lead), sentence{}, true)
				continue
			}
			s := g.dissentSentence()
			addSentence(s.render(), s, false)
		}
		endPara()
	}
	for range 1 + r.IntN(2) {
		f := verbForms(g.verb())
		s := sentence{main: append([]string{"we", "recommend", "that", "the", "Department", f[0]}, g.np()...)}
		addSentence(s.render(), s, false)
	}
	m.text = b.String()
	return m
}

// wordSpans returns the [start, end) of every word of text, without the
// punctuation around it.
func wordSpans(text string) [][2]int {
	var out [][2]int
	i := 0
	for i < len(text) {
		for i < len(text) && text[i] == ' ' {
			i++
		}
		j := i
		for j < len(text) && text[j] != ' ' {
			j++
		}
		s, e := i, j
		for s < e {
			r, n := utf8.DecodeRuneInString(text[s:e])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				break
			}
			s += n
		}
		for e > s {
			r, n := utf8.DecodeLastRuneInString(text[s:e])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				break
			}
			e -= n
		}
		if e > s {
			out = append(out, [2]int{s, e})
		}
		i = j
	}
	return out
}

// articleWriter builds an article and records byte offsets.
type articleWriter struct {
	b strings.Builder
	g *grammar
}

func (w *articleWriter) pos() int { return w.b.Len() }

func (w *articleWriter) sentence(s string) {
	if w.b.Len() > 0 && !strings.HasSuffix(w.b.String(), "\n") {
		w.b.WriteString(" ")
	}
	w.b.WriteString(s)
}

func (w *articleWriter) write(s string) { w.b.WriteString(s) }

func (w *articleWriter) newsParagraph(n int) {
	for range n {
		w.sentence(w.g.newsSentence().render())
	}
	w.b.WriteString("\n\n")
}

// newsOnly generates an article without leaks.
func (c *corpus) newsOnly(r *rand.Rand, name string) genArticle {
	g := &grammar{r: r, t: &topics[r.IntN(len(topics))]}
	w := &articleWriter{g: g}
	w.write(capitalize(strings.TrimSuffix(g.newsSentence().render(), ".")) + "\n\n")
	w.write(strings.ToUpper(g.pick(places)) + " — ")
	paras := 6 + r.IntN(6)
	quoteAt := -1
	if g.chance(0.3) {
		quoteAt = r.IntN(paras)
	}
	for p := range paras {
		if p == quoteAt {
			st := c.statements[r.IntN(len(c.statements))]
			w.sentence(fmt.Sprintf("“%s,” %s said in %s.", strings.TrimSuffix(st, "."), g.pick(titles), g.pick(months)))
		}
		w.newsParagraph(2 + r.IntN(3))
	}
	return genArticle{name: name, text: w.b.String(), category: catClean}
}

// article generates article i: clean for a fifth of them, otherwise with
// cases of one category.
func (c *corpus) article(r *rand.Rand, i int) genArticle {
	if r.IntN(5) == 0 || len(c.messages) < 2 {
		a := c.newsOnly(r, "")
		a.name = fmt.Sprintf("art-%04d-clean.txt", i)
		return a
	}
	cat := leakCategories[r.IntN(len(leakCategories))]
	bucket := buckets[r.IntN(len(buckets))]
	m1 := &c.messages[r.IntN(len(c.messages))]
	g := &grammar{r: r, t: &topics[m1.topic]}
	w := &articleWriter{g: g}
	a := genArticle{name: fmt.Sprintf("art-%04d-%s.txt", i, strings.ReplaceAll(cat, "+", "-")), category: cat}
	if slicesContains(quoteCategories, cat) || cat == catUnquoted {
		a.bucket = bucket.name
	}
	w.write(capitalize(strings.TrimSuffix(g.newsSentence().render(), ".")) + "\n\n")
	w.write(strings.ToUpper(g.pick(places)) + " — ")
	w.newsParagraph(1 + r.IntN(3))

	nCases := 1 + r.IntN(3)
	var m2 *genMessage
	if cat == catMixed {
		for m2 == nil || m2 == m1 {
			m2 = &c.messages[r.IntN(len(c.messages))]
		}
		nCases = 2 + r.IntN(3)
	}
	if cat == catParaphrase {
		nCases = 1 + r.IntN(2)
	}
	if cat == catSummary {
		nCases = 1
	}
	marks := [][2]string{{"“", "”"}, {"\"", "\""}}
	if cat == catQuotesCase {
		marks = [][2]string{{"«", "»"}, {"„", "“"}, {"‘", "’"}, {"'", "'"}, {"« ", " »"}, {"‹", "›"}}
	}
	mark := marks[r.IntN(len(marks))]
	used := map[*genMessage][]int{}
	for k := range nCases {
		m := m1
		if m2 != nil && k%2 == 1 {
			m = m2
		}
		switch cat {
		case catParaphrase:
			c.paraphraseCase(w, g, m, &a)
		case catSummary:
			c.summaryCase(w, g, m, &a)
		default:
			kind := cat
			if cat == catMixed {
				kind = []string{catVerbatim, catBrackets, catParens, catEllipsis}[r.IntN(4)]
			}
			// n words reach the article; an ellipsis cuts more from the
			// message span.
			n := bucket.lo + r.IntN(bucket.hi-bucket.lo+1)
			cut := 0
			if kind == catEllipsis {
				cut = 2 + r.IntN(3)
				if n >= 16 {
					cut = 3 + r.IntN(8)
				}
				if n >= 41 {
					cut = 5 + r.IntN(16)
				}
			}
			w0, ok := pickQuote(r, m, n+cut, used[m])
			if !ok {
				continue
			}
			used[m] = append(used[m], w0, w0+n+cut)
			quoteCase(w, g, m, w0, n+cut, cut, kind, mark, &a)
		}
		w.newsParagraph(1 + r.IntN(3))
	}
	if r.IntN(5) == 0 {
		st := c.statements[r.IntN(len(c.statements))]
		w.sentence(fmt.Sprintf("“%s,” %s said last year.", strings.TrimSuffix(st, "."), g.pick(titles)))
		w.newsParagraph(1)
	}
	a.text = w.b.String()
	return a
}

func slicesContains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// pickQuote chooses n consecutive words of m within one paragraph, none
// excluded and none already quoted in this article, starting at a sentence
// start more often than not.
func pickQuote(r *rand.Rand, m *genMessage, n int, used []int) (int, bool) {
	for try := range 400 {
		var w0 int
		if try%3 != 2 && len(m.sents) > 0 {
			w0 = m.sents[r.IntN(len(m.sents))].w0
		} else {
			w0 = r.IntN(len(m.words))
		}
		if w0+n > len(m.words) {
			continue
		}
		ok := true
		for k := w0; k < w0+n; k++ {
			if m.words[k].excluded || m.words[k].para != m.words[w0].para {
				ok = false
				break
			}
		}
		for u := 0; ok && u+1 < len(used); u += 2 {
			if w0 < used[u+1]+5 && used[u] < w0+n+5 {
				ok = false
			}
		}
		if ok {
			return w0, true
		}
	}
	return 0, false
}

// Reporter's framing of quotes.
var (
	leadIns = []string{
		"In the cable, the officials wrote that %s.",
		"%s, the dissenters wrote.",
		"The message warns: %s.",
		"According to the cable, %s.",
		"The signatories argue that %s.",
		"%s, according to a copy of the message reviewed by this newspaper.",
		"One passage reads: %s.",
		"The authors add that %s.",
	}
	splitters = []string{
		"the cable says,", "the officials wrote, adding that", "the message continues, before concluding that",
		"they wrote. In a later passage, they add that", "the signatories argue,", "it says, and",
		"wrote the authors, who also noted that",
	}
	bracketNPs = []string{"the Department", "the administration", "the officials", "the policy",
		"the signatories", "the State Department", "the program", "the United States", "Washington"}
	bracketNotes = []string{"sic", "emphasis added", "the Secretary", "the program", "in 2021",
		"the embassy", "the bureau", "the United States"}
	parenNotes = []string{"a reference to the 2021 evacuation", "emphasis in the original", "sic",
		"the program began in 2019", "which the department disputes", "a State Department office",
		"the cable does not name them", "an apparent reference to the Secretary"}
	pronouns = map[string]bool{"we": true, "it": true, "this": true, "they": true, "our": true, "these": true,
		"its": true, "their": true}
)

// quoteCase writes a paragraph quoting words [w0, w0+n) of m, edited as
// kind says, and records the cases.
func quoteCase(w *articleWriter, g *grammar, m *genMessage, w0, n, cut int, kind string, mark [2]string, a *genArticle) {
	r := g.r
	src := m.text[m.words[w0].start:m.words[w0+n-1].end]
	fields := strings.Fields(src)
	msgStart, msgEnd := m.words[w0].start, m.words[w0+n-1].end
	record := func(aStart, aEnd, mStart, mEnd, words int) {
		a.cases = append(a.cases, genCase{pan.Annotation{
			Article: a.name, ArticleStart: aStart, ArticleEnd: aEnd,
			Message: m.name, MessageStart: mStart, MessageEnd: mEnd,
		}, words})
	}
	if kind == catSplit && n >= 8 {
		k := 4 + r.IntN(n-7)
		p1 := strings.Join(fields[:k], " ")
		p1 = strings.TrimRightFunc(p1, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		p2 := strings.Join(fields[k:], " ")
		w.sentence(mark[0])
		s1 := w.pos()
		w.write(p1)
		e1 := w.pos()
		w.write("," + mark[1] + " " + g.pick(splitters) + " " + mark[0])
		s2 := w.pos()
		w.write(p2)
		e2 := w.pos()
		w.write(mark[1] + ".")
		record(s1, e1, msgStart, m.words[w0+k-1].end, k)
		record(s2, e2, m.words[w0+k].start, msgEnd, n-k)
		return
	}
	switch kind {
	case catBrackets:
		fields = bracketEdit(r, fields)
	case catParens:
		for range 1 + r.IntN(2) {
			k := 2 + r.IntN(max(1, len(fields)-3))
			k = min(k, len(fields)-1)
			fields = insert(fields, k, "("+parenNotes[r.IntN(len(parenNotes))]+")")
		}
	case catEllipsis:
		if cut >= 1 && cut <= len(fields)-6 {
			k := 3 + r.IntN(len(fields)-cut-5)
			e := []string{"…", "...", ". . .", "[…]"}[r.IntN(4)]
			fields = append(fields[:k:k], append([]string{e}, fields[k+cut:]...)...)
		}
	case catQuotesCase:
		switch r.IntN(4) {
		case 0:
			fields[0] = flipCase(fields[0])
		case 1:
			for i := range fields {
				fields[i] = strings.ToUpper(fields[i])
			}
		case 2:
			for i := range fields {
				fields[i] = capitalize(fields[i])
			}
		default:
			fields[0] = flipCase(fields[0])
		}
		for i := range fields { // the other apostrophe
			if strings.Contains(fields[i], "’") {
				fields[i] = strings.ReplaceAll(fields[i], "’", "'")
			} else {
				fields[i] = strings.ReplaceAll(fields[i], "'", "’")
			}
		}
	}
	content := strings.Join(fields, " ")
	if kind == catUnquoted {
		// Reused without quotation marks, as indirect speech.
		w.sentence(g.pick([]string{"The cable says that", "According to the message,", "The officials argue that",
			"In their view,", "The dissenters contend that"}) + " ")
		s := w.pos()
		w.write(decapitalize(content))
		e := w.pos()
		w.write(".")
		record(s, e, msgStart, msgEnd, n)
		return
	}
	lead := leadIns[r.IntN(len(leadIns))]
	i := strings.Index(lead, "%s")
	pre, post := lead[:i], lead[i+2:]
	if pre == "" {
		w.sentence(mark[0])
	} else {
		w.sentence(pre + mark[0])
	}
	s := w.pos()
	w.write(content)
	e := w.pos()
	if post == "." {
		w.write("." + mark[1])
	} else {
		w.write(mark[1] + post)
	}
	record(s, e, msgStart, msgEnd, n-cut)
}

func insert(fields []string, k int, s string) []string {
	out := append([]string{}, fields[:k]...)
	out = append(out, s)
	return append(out, fields[k:]...)
}

func flipCase(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	if unicode.IsUpper(r) {
		return string(unicode.ToLower(r)) + w[n:]
	}
	return string(unicode.ToUpper(r)) + w[n:]
}

// bracketEdit makes one or two bracketed edits: a substituted subject, a
// changed capital, or an inserted clarification.
func bracketEdit(r *rand.Rand, fields []string) (out []string) {
	first := strings.ToLower(strings.Trim(fields[0], ",.;:"))
	edited := false
	defer func() {
		if !edited { // at least one edit: a clarification
			k := 1 + r.IntN(len(out)-1)
			out = insert(out, k, "["+bracketNotes[r.IntN(len(bracketNotes))]+"]")
		}
	}()
	switch {
	case pronouns[first] && r.IntN(3) > 0:
		edited = true
		np := bracketNPs[r.IntN(len(bracketNPs))]
		if unicode.IsUpper([]rune(fields[0])[0]) {
			np = capitalize(np)
		}
		fields[0] = "[" + np + "]" + strings.TrimLeft(fields[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ’'")
	case r.IntN(2) == 0:
		edited = true
		rr, n := utf8.DecodeRuneInString(fields[0])
		c := unicode.ToUpper(rr)
		if unicode.IsUpper(rr) {
			c = unicode.ToLower(rr)
		}
		fields[0] = "[" + string(c) + "]" + fields[0][n:]
	}
	if r.IntN(2) == 0 || len(fields) < 6 {
		return fields
	}
	edited = true
	k := 2 + r.IntN(len(fields)-3)
	if pronouns[strings.ToLower(fields[k])] && r.IntN(2) == 0 {
		fields[k] = "[" + bracketNPs[r.IntN(len(bracketNPs))] + "]"
		return fields
	}
	fields = insert(fields, k, "["+bracketNotes[r.IntN(len(bracketNotes))]+"]")
	return fields
}

// paraphraseCase restates one or two sentences of m after a lead-in.
func (c *corpus) paraphraseCase(w *articleWriter, g *grammar, m *genMessage, a *genArticle) {
	r := g.r
	for try := 0; try < 100; try++ {
		si := r.IntN(len(m.sents))
		n := 1 + r.IntN(2)
		if si+n > len(m.sents) {
			continue
		}
		ok := true
		for k := si; k < si+n; k++ {
			s := m.sents[k]
			if s.excluded || s.para != m.sents[si].para || len(s.s.main) == 0 {
				ok = false
			}
		}
		for _, cs := range a.cases {
			if cs.Message == m.name && cs.MessageStart <= m.sents[si+n-1].end && m.sents[si].start <= cs.MessageEnd {
				ok = false
			}
		}
		if !ok {
			continue
		}
		w.sentence(g.pick([]string{"The cable makes a broader argument.", "Its authors go further.",
			"The officials lay out their reasoning at length.", "The message then turns to the consequences."}))
		s := -1
		for k := si; k < si+n; k++ {
			p := g.paraphrase(m.sents[k].s)
			w.sentence("")
			if s < 0 {
				s = w.pos()
			}
			w.write(p.render())
		}
		e := w.pos() - 1 // without the final full stop
		a.cases = append(a.cases, genCase{pan.Annotation{
			Article: a.name, ArticleStart: s, ArticleEnd: e,
			Message: m.name, MessageStart: m.sents[si].start, MessageEnd: m.sents[si+n-1].end,
		}, m.sents[si+n-1].w1 - m.sents[si].w0})
		return
	}
}

// summaryCase summarizes m in two sentences built from a few of its
// content words. The case spans the whole message, as PAN's summary
// obfuscation does.
func (c *corpus) summaryCase(w *articleWriter, g *grammar, m *genMessage, a *genArticle) {
	r := g.r
	nouns := map[string]bool{}
	for _, n := range append(slices.Clone(topics[m.topic].nouns), generalNouns...) {
		nouns[n], nouns[plural(n)] = true, true
	}
	var content []string
	for _, ws := range m.words {
		t := strings.ToLower(m.text[ws.start:ws.end])
		if !ws.excluded && nouns[t] {
			content = append(content, t)
		}
	}
	if len(content) < 6 {
		return
	}
	pickW := func() string { return content[r.IntN(len(content))] }
	text := fmt.Sprintf("The cable, signed by %d officials, argues that the department's handling of %s and %s has damaged its %s. "+
		"Its authors warn about %s and %s, and call for a review of %s.",
		2+r.IntN(40), pickW(), pickW(), pickW(), pickW(), pickW(), pickW())
	w.sentence("")
	s := w.pos()
	w.write(text)
	e := w.pos() - 1
	last := m.words[len(m.words)-1]
	a.cases = append(a.cases, genCase{pan.Annotation{
		Article: a.name, ArticleStart: s, ArticleEnd: e,
		Message: m.name, MessageStart: m.words[0].start, MessageEnd: last.end,
	}, len(m.words)})
}
