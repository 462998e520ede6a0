package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence is a generated sentence kept in parts, so that a paraphrase can
// move the fronted phrase to the end or swap the two clauses.
type sentence struct {
	front   []string // fronted adverbial: "in Kabul", "because ..."
	main    []string // main clause
	join    string   // conjunction before tail: "and", "but", "while"
	tail    []string // second clause
	because bool     // front is a "because"/"if" clause: moves with its word
}

// render writes the sentence with a capital and a full stop.
func (s sentence) render() string {
	var parts []string
	if len(s.front) > 0 {
		parts = append(parts, strings.Join(s.front, " ")+",")
	}
	parts = append(parts, strings.Join(s.main, " "))
	if len(s.tail) > 0 {
		parts[len(parts)-1] += ","
		parts = append(parts, s.join, strings.Join(s.tail, " "))
	}
	return capitalize(strings.Join(parts, " ")) + "."
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func decapitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return s
	}
	// Keep proper names: a second capital or a known name.
	w := s
	if i := strings.IndexByte(s, ' '); i > 0 {
		w = s[:i]
	}
	for _, p := range []string{"We", "It", "This", "The", "Our", "They", "A", "If", "Because", "In", "Since",
		"As", "Officials", "According", "Analysts", "Critics", "Last", "On", "Without", "These", "Its"} {
		if w == p {
			return string(unicode.ToLower(r)) + s[n:]
		}
	}
	return s
}

// grammar generates sentences about one topic.
type grammar struct {
	r *rand.Rand
	t *topic
}

// pick chooses from a list with a skew towards its first entries, so that
// some words are common and many are rare, as in real prose.
func (g *grammar) pick(list []string) string {
	u := g.r.Float64()
	return list[int(math.Pow(u, 1.3)*float64(len(list)))]
}

func (g *grammar) chance(p float64) bool { return g.r.Float64() < p }

func (g *grammar) noun() string {
	if g.chance(0.5) {
		return g.pick(g.t.nouns)
	}
	return g.pick(generalNouns)
}

func (g *grammar) adj() string {
	if g.chance(0.4) {
		return g.pick(g.t.adjs)
	}
	return g.pick(generalAdjs)
}

func (g *grammar) verb() string {
	if g.chance(0.3) {
		return g.pick(g.t.verbs)
	}
	return g.pick(generalVerbs)
}

func (g *grammar) det() string {
	return g.pick([]string{"the", "this", "our", "a", "its", "their", "every", "any", "that", "each", "some",
		"another", "one", "no", "the entire", "the wider", "much of the", "part of the"})
}

func (g *grammar) prep() string {
	return g.pick([]string{"of", "for", "in", "on", "with", "against", "under", "over", "toward", "from",
		"between", "around", "beyond", "within", "across", "despite", "without", "behind", "among", "after"})
}

func (g *grammar) year() string { return fmt.Sprint(2015 + g.r.IntN(10)) }

func (g *grammar) number() string {
	n := 50 + g.r.IntN(30000)
	s := fmt.Sprint(n)
	if n >= 1000 {
		s = fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return g.pick([]string{"more than", "about", "nearly", "at least", "roughly", "fewer than", "almost",
		"over", "close to", "some"}) + " " + s
}

// np is a noun phrase.
func (g *grammar) np() []string {
	n := g.noun()
	if g.chance(0.35) {
		n = plural(n)
	}
	switch g.r.IntN(16) {
	case 0, 1:
		return []string{"the", n}
	case 2, 3:
		return []string{g.det(), g.adj(), n}
	case 4:
		return []string{g.det(), n, g.prep(), "the", g.noun()}
	case 5:
		return []string{g.pick(g.t.entities)}
	case 6:
		return []string{"the", g.pick(g.t.groups)}
	case 7:
		return []string{g.pick([]string{"our", "their", "its", "the"}), g.adj(), g.adj(), n}
	case 8:
		return []string{"the", g.adj(), n, g.pick([]string{"in", "near", "outside", "across"}), g.pick(places)}
	case 9:
		return []string{"the", n, g.pick([]string{"for", "of", "among", "facing"}), g.pick(g.t.groups)}
	case 10:
		return []string{g.pick(g.t.groups), g.pick([]string{"in", "from", "around"}), g.pick(places)}
	case 11:
		return []string{g.det(), g.pick(g.t.nouns), n}
	case 12:
		return []string{g.det(), g.pick(adverbs), g.adj(), n}
	case 13:
		return []string{"the", n, "that", verbForms(g.verb())[2], g.pick(g.t.entities)}
	case 14:
		return []string{g.pick(g.t.entities) + "'s", g.adj(), n}
	default:
		return []string{g.det(), n, g.prep(), g.pick(g.t.groups)}
	}
}

// subject returns a subject and whether it is plural.
func (g *grammar) subject() ([]string, bool) {
	switch g.r.IntN(12) {
	case 0:
		return []string{"we"}, true
	case 1:
		return []string{"the", g.pick([]string{"Department", "bureau", "administration", "embassy", "front office", "mission"})}, false
	case 2:
		return []string{g.pick([]string{"this", "that", "the", "such a"}), g.pick(generalNouns)}, false
	case 3:
		return []string{g.pick([]string{"the", "many", "most", "some", "few"}), g.pick(g.t.groups)}, true
	case 4:
		return []string{g.pick(g.t.entities)}, false
	case 5:
		return []string{"the", g.adj(), g.pick(g.t.nouns)}, false
	case 6:
		return []string{"the", g.pick(generalNouns), g.prep(), "the", g.pick(g.t.nouns)}, false
	case 7:
		return []string{g.pick([]string{"our", "their", "its"}), g.pick(g.t.nouns), g.pick(generalNouns)}, false
	case 8:
		return []string{g.pick(groupsGeneral)}, true
	case 9:
		return []string{"the", plural(g.pick(g.t.nouns))}, true
	default:
		return []string{"the", g.adj(), g.pick(generalNouns)}, false
	}
}

// predicate agrees with a plural or singular subject.
func (g *grammar) predicate(pl bool) []string {
	f := verbForms(g.verb())
	has, is, seems := "has", "is", "seems"
	present := f[1]
	if pl {
		has, is, seems, present = "have", "are", "seem", f[0]
	}
	var p []string
	switch g.r.IntN(18) {
	case 0, 1:
		p = append([]string{present}, g.np()...)
	case 2:
		p = append([]string{has, f[3]}, g.np()...)
	case 3:
		p = append([]string{g.pick([]string{"will", "would", "could", "may", "must", "should", "might", "cannot", "will not", "need not"}), f[0]}, g.np()...)
	case 4:
		p = append([]string{is, g.pick([]string{"likely", "unlikely", "about", "poised", "expected", "set"}), "to", f[0]}, g.np()...)
	case 5:
		p = append([]string{has, g.pick([]string{"failed", "refused", "declined", "begun", "tried", "sought", "chosen", "moved"}), "to", f[0]}, g.np()...)
	case 6:
		p = append(append([]string{f[2]}, g.np()...), g.prep())
		p = append(p, g.np()...)
	case 7:
		p = append([]string{is, g.pick([]string{"being", "now being", "increasingly"}), f[3], "by"}, g.np()...)
	case 8:
		p = append(append([]string{f[2]}, g.np()...), g.pick(adverbs))
	case 9:
		p = append([]string{has, g.pick(adverbs), f[3]}, g.np()...)
	case 10:
		p = append([]string{seems, "to", f[0]}, g.np()...)
	case 11:
		p = append(append([]string{f[2]}, g.np()...), "despite")
		p = append(p, g.np()...)
	case 12:
		p = []string{is, g.pick([]string{"no longer", "still", "already", "hardly", "now", "plainly"}), g.adj()}
	case 13:
		p = append([]string{has, "been", g.pick(adverbs), f[3], g.pick([]string{"by", "through", "under", "since"})}, g.np()...)
	case 14:
		p = append([]string{g.pick(adverbs), present}, g.np()...)
	case 15:
		p = append(append([]string{present}, g.np()...), "to", verbForms(g.verb())[0])
		p = append(p, g.np()...)
	case 16:
		p = append([]string{"continued", "to", f[0]}, g.np()...)
	default:
		p = append([]string{is, g.adj(), g.pick([]string{"to", "for", "about", "toward"})}, g.np()...)
	}
	return p
}

func (g *grammar) clause() []string {
	s, pl := g.subject()
	return append(s, g.predicate(pl)...)
}

// dissentSentence is a sentence in the voice of a dissent message.
func (g *grammar) dissentSentence() sentence {
	switch g.r.IntN(16) {
	case 0, 1, 2:
		return sentence{main: g.clause()}
	case 3:
		v := g.pick([]string{"believe", "assess", "judge", "fear", "are concerned", "know", "are convinced",
			"conclude", "note", "recognize", "suspect", "submit", "would argue", "have seen", "worry"})
		s := []string{"we", v, "that"}
		if g.chance(0.3) {
			s = []string{g.pick([]string{"many of us", "several of us", "those of us at post", "our colleagues"}), v, "that"}
		}
		return sentence{main: append(s, g.clause()...)}
	case 4:
		place := g.pick(places)
		if g.chance(0.5) {
			place = g.pick(g.t.entities)
		}
		return sentence{front: []string{g.pick([]string{"in", "across", "from", "throughout", "beyond"}), place}, main: g.clause()}
	case 5, 6:
		return sentence{main: g.clause(), join: g.pick([]string{"and", "but", "while", "yet", "so", "whereas"}), tail: g.clause()}
	case 7:
		return sentence{front: append([]string{g.pick([]string{"because", "although", "since", "unless", "when", "as long as", "even though"})}, g.clause()...), main: g.clause(), because: true}
	case 8:
		f1, f2 := verbForms(g.verb()), verbForms(g.verb())
		m := []string{"we", g.pick([]string{"urge", "ask", "call on", "implore", "encourage", "respectfully ask", "press"}),
			g.pick([]string{"the Department", "the Secretary", "leadership", "the bureau", "the administration", "the front office"}), "to", f1[0]}
		m = append(m, g.np()...)
		m = append(m, g.pick([]string{"and", "and then", "and at once", "before we"}), "to", f2[0])
		return sentence{main: append(m, g.np()...)}
	case 9:
		f := verbForms(g.verb())
		m := []string{g.number(), plural(g.pick(g.t.nouns)), g.pick([]string{"have been", "were", "have reportedly been", "are now"}), f[3]}
		return sentence{front: []string{g.pick([]string{"since", "in", "by", "during", "after"}), g.year()}, main: append(m, g.prep(), g.pick(g.t.entities))}
	case 10:
		m := []string{"the", g.noun(), g.prep()}
		m = append(m, g.np()...)
		m = append(m, g.pick([]string{"is", "was", "remains", "has become", "looks"}), g.adj())
		return sentence{main: m, join: "and", tail: g.clause()}
	case 11:
		s, _ := g.subject()
		f := verbForms(g.verb())
		m := append(s, g.pick([]string{"will", "would", "may", "could", "is bound to"}), f[0])
		return sentence{front: append([]string{g.pick([]string{"if", "once", "unless", "as soon as"})}, g.clause()...), main: append(m, g.np()...), because: true}
	case 12:
		f := verbForms(g.verb())
		m := append([]string{g.pick([]string{"this", "that", "such a", "the"}), g.pick(generalNouns), f[1]}, g.np()...)
		return sentence{main: append(m, g.pick(adverbs))}
	case 13:
		return sentence{front: []string{"as", g.pick(titles), g.pick([]string{"noted", "said", "stated", "acknowledged", "warned", "told Congress", "conceded"}),
			g.pick([]string{"in", "during", "early in", "late in"}), g.pick(months), g.year()}, main: g.clause()}
	case 14:
		f := verbForms(g.verb())
		m := []string{g.pick([]string{"our", "the", "their"}), g.noun(), g.pick([]string{"in", "at", "near", "for"}), g.pick(places), g.pick([]string{"has", "had", "has already", "has quietly"}), f[3]}
		return sentence{main: append(m, g.np()...)}
	default:
		return sentence{front: []string{g.pick([]string{"in practice", "put simply", "in our view", "to be clear", "on the ground", "in the meantime", "at the same time", "for now"})}, main: g.clause()}
	}
}

// newsSentence is a sentence in the voice of a news report.
func (g *grammar) newsSentence() sentence {
	switch g.r.IntN(13) {
	case 0:
		return sentence{main: append([]string{"officials", "in", g.pick(places), "said", "on", g.pick(weekdays), "that"}, g.clause()...)}
	case 1:
		return sentence{front: []string{"according to", g.pick([]string{"people familiar with the matter", "two officials", "a person briefed on the discussions", "internal documents"})}, main: g.clause()}
	case 2:
		return sentence{main: []string{"the", g.pick(agencies), "did not respond to a request for comment"}}
	case 3:
		return sentence{main: append([]string{"a", "spokesperson", "for", "the", g.pick(agencies), "said", "the", "department", "was", "reviewing"}, g.np()...)}
	case 4:
		return sentence{main: append([]string{g.pick(groupsGeneral), "have", "long", "argued", "that"}, g.clause()...)}
	case 5, 6:
		return sentence{main: g.clause()}
	case 7:
		f := verbForms(g.verb())
		return sentence{front: []string{"on", g.pick(weekdays)}, main: append([]string{"the", g.pick(agencies), f[2]}, g.np()...)}
	case 8:
		return sentence{main: append([]string{g.pick(groupsGeneral), "said"}, g.clause()...), join: "but", tail: g.clause()}
	case 9:
		return sentence{main: []string{"the", g.pick(g.t.nouns), "has", "drawn", g.adj(), "criticism", "from", g.pick(groupsGeneral)}}
	case 10:
		return sentence{front: []string{"last", g.pick([]string{"month", "year", "week", "spring", "fall"})}, main: g.clause()}
	case 11:
		return sentence{main: append([]string{"it", "was", "not", "immediately", "clear", "whether"}, g.clause()...)}
	default:
		return sentence{main: append([]string{"the", "move", "comes", "as"}, g.clause()...)}
	}
}

// statement is a sentence of a public statement by an official.
func (g *grammar) statement() string {
	s := sentence{main: g.clause()}
	if g.chance(0.5) {
		s = sentence{main: append([]string{"we", "will", g.pick([]string{"never", "always", "continue to"}), verbForms(g.verb())[0]}, g.np()...)}
	}
	return s.render()
}

// paraphrase rewrites a sentence lightly: synonyms, a moved phrase or
// swapped clauses, function words added or dropped.
func (g *grammar) paraphrase(s sentence) sentence {
	syn := func(ws []string) []string {
		out := make([]string, 0, len(ws)+2)
		for _, w := range ws {
			if alts, ok := synonyms[strings.ToLower(w)]; ok && g.chance(0.7) {
				w = alts[g.r.IntN(len(alts))]
			}
			switch {
			case w == "that" && g.chance(0.6):
				continue // "we believe that" -> "we believe"
			case w == "the" && g.chance(0.15):
				continue
			case w == "has" || w == "have" || w == "will" || w == "would":
				out = append(out, w)
				if g.chance(0.3) {
					out = append(out, g.pick([]string{"also", "now", "already", "indeed"}))
				}
				continue
			}
			out = append(out, w)
		}
		return out
	}
	p := sentence{front: syn(s.front), main: syn(s.main), join: s.join, tail: syn(s.tail), because: s.because}
	if len(p.tail) > 0 && p.join == "and" && g.chance(0.6) {
		p.main, p.tail = p.tail, p.main
	}
	if len(p.front) > 0 && g.chance(0.7) {
		// Move the fronted phrase to the end: "X, Y." -> "Y X."
		if len(p.tail) > 0 {
			p.tail = append(p.tail, p.front...)
		} else {
			p.main = append(p.main, p.front...)
		}
		p.front = nil
	}
	if len(p.front) == 0 && len(p.tail) == 0 && g.chance(0.3) {
		p.main = append([]string{g.pick([]string{"in fact", "moreover", "in short", "put simply"}) + ","}, p.main...)
	}
	for i, w := range p.main {
		if i > 0 {
			p.main[i] = decapitalizeWord(w)
		}
	}
	return p
}

func decapitalizeWord(w string) string {
	switch w {
	case "We", "It", "This", "The", "Our", "They", "Because", "If", "In", "Since", "As":
		return strings.ToLower(w)
	}
	return w
}
