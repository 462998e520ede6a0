// Package exposure finds passages of dissent messages that reappear in press
// articles, and attributes each passage to the message it came from.
//
// It is a text-reuse engine in the manner of passim and of the text-alignment
// systems of the PAN plagiarism-detection evaluations, not a near-duplicate
// detector: a forty-word quote in an eight-hundred-word article is found,
// which document-level MinHash or SimHash would miss. The stages are:
//
//  1. Normalization (Normalize): NFKC, case folding, one form for every
//     apostrophe, quotation mark and dash, split into word tokens that keep
//     their byte spans in the original text. Free-standing [bracketed] and
//     (parenthetical) insertions and ellipsis cuts are marked, so that the
//     alignment may skip them for free, and so are words inside quotation
//     marks and proper names.
//  2. Seeding: the messages are indexed by hashed word n-grams; n-grams of
//     function words only, or found in many messages, seed nothing. Every
//     n-gram of an article is looked up.
//  3. Chaining and alignment: hits are chained per message along the
//     diagonal, and every chain is extended and verified by a local
//     alignment over tokens (Smith–Waterman with affine gaps). Alignments
//     are split where the reporter's own prose interrupts a quote, and the
//     short fragments of a split quote next to a passage are picked up.
//     A passage inside quotation marks needs fewer words (Options.MinWords)
//     than one outside them (Options.MinWordsUnquoted), where chance
//     agreement and stock phrases are commoner; a long proper name counts
//     as one word.
//  4. Paraphrase: article sentences not yet explained are compared, as bags
//     of stemmed content words weighted by rarity, with the sentences of the
//     messages already hit and of messages that share rare words with them;
//     a sentence partly found verbatim is completed from the same message.
//  5. Attribution: when passages of several messages overlap in an article,
//     the best supported one wins, so that an article mixing two messages
//     has each passage attributed to its own message.
//
// Passages that a message itself quotes (text inside quotation marks in the
// message), that more than Options.MaxShared messages share, or that occur
// in the public text given in Options.Public raise no finding.
//
// An Index grows by Add without being rebuilt, and is safe for concurrent
// use: Add takes it exclusively for a few milliseconds, Match shares it.
package exposure

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Document is one message or article: a name and its raw bytes. Offsets
// reported by this package are byte offsets into Text.
type Document struct {
	Name string
	Text []byte
}

// Kind says how a passage of an article relates to its message.
type Kind string

// Kinds of passages.
const (
	// Verbatim passages have the same words as a stretch of the message,
	// up to case, Unicode normalization, punctuation and the style of
	// quotation marks and apostrophes.
	Verbatim Kind = "verbatim"
	// Edited passages are quotes cut by ellipses, with [bracketed]
	// substitutions or insertions, (parenthetical) insertions, or with the
	// message's own parentheses left out.
	Edited Kind = "edited"
	// Paraphrase passages restate a message with words changed, added,
	// dropped or moved without a mark of editing (more than one word in
	// twenty).
	Paraphrase Kind = "paraphrase"
)

// Passage is one stretch of an article that reproduces a stretch of a
// message. Ends are exclusive; all offsets are in bytes of the original
// documents.
type Passage struct {
	ArticleStart int  `json:"article_start"`
	ArticleEnd   int  `json:"article_end"`
	MessageStart int  `json:"message_start"`
	MessageEnd   int  `json:"message_end"`
	Kind         Kind `json:"kind"`
}

// Finding reports that an article exposes a message. Score, between 0 and 1,
// grows with the length and fidelity of the passages. Passages are in
// article order.
type Finding struct {
	Article  string    `json:"article"`
	Message  string    `json:"message"`
	Score    float64   `json:"score"`
	Passages []Passage `json:"passages"`
}

// Options tune an Index. The zero value gives the defaults.
type Options struct {
	// Public is text known to be public: statements and reports the
	// messages quote, and a sample of the article stream as background, so
	// that its stock phrases raise nothing. A run of PublicRun or more words
	// that a message shares with Public text is treated as quoted by the
	// message, not leaked from it.
	Public []Document

	// NGram is the length in words of the n-grams that seed candidate
	// passages. Default 3.
	NGram int

	// MaxShared is the most messages that may share a passage for it to
	// count as a leak of them: a passage found as a whole in more messages
	// is stock text (boilerplate, a common formula), whether it is short (the
	// alignment finds it in all of them) or PublicRun words or longer (it
	// is marked public when the index is built). Default 2.
	MaxShared int

	// MinWords is the least number of words of a message a passage inside
	// quotation marks in the article must reproduce to be reported.
	// Default 6.
	MinWords int

	// MinWordsUnquoted is the same for a passage outside quotation marks,
	// where chance and stock phrases are more common. Default 10.
	MinWordsUnquoted int

	// PublicRun is the length in words from which a run of text that a
	// message shares as a whole with a Public document, or with more than
	// MaxShared other messages, is public. Default 8.
	PublicRun int

	// NoParaphrase turns the paraphrase pass off.
	NoParaphrase bool
}

func (o Options) withDefaults() Options {
	if o.NGram <= 0 {
		o.NGram = 3
	}
	if o.MaxShared <= 0 {
		o.MaxShared = 2
	}
	if o.MinWords <= 0 {
		o.MinWords = 6
	}
	if o.MinWordsUnquoted <= 0 {
		o.MinWordsUnquoted = max(10, o.MinWords)
	}
	if o.PublicRun <= 0 {
		o.PublicRun = 8
	}
	return o
}

// WriteJSONLines writes findings one JSON object a line, the output of
// `dissent exposure match --format json`.
func WriteJSONLines(w io.Writer, findings []Finding) error {
	enc := json.NewEncoder(w)
	for _, f := range findings {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return nil
}

// MatchAll indexes messages, matches every article against them on all
// processors, and returns the findings sorted by article name, then message
// name. It is what `dissent exposure match` needs.
func MatchAll(messages, articles []Document, opts Options) []Finding {
	ix := NewIndex(messages, opts)
	results := make([][]Finding, len(articles))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = ix.Match(articles[i])
			}
		})
	}
	for i := range articles {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []Finding
	for _, r := range results {
		all = append(all, r...)
	}
	slices.SortStableFunc(all, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Article, b.Article), cmp.Compare(a.Message, b.Message))
	})
	return all
}

// passageScore is the confidence in one passage: it grows with the number
// of words it shares with the message and with its fidelity.
func passageScore(words int, fidelity float64) float64 {
	return math.Max(0, math.Min(1, fidelity)) * (1 - math.Exp(-float64(words)/10))
}

// Tokenizer splits texts into words exactly as NewIndex and Match do,
// reusing its buffers, and nothing more. It exists to measure the cost of
// tokenizing alone, the bound on Match's speed. It is not safe for
// concurrent use; the zero value is ready to use.
type Tokenizer struct{ tz tokenizer }

// Count tokenizes text and returns its number of words.
func (t *Tokenizer) Count(text []byte) int { return len(t.tz.tokenize(text, false)) }
