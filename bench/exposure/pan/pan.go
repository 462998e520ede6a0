// Package pan computes the character-level measures of the PAN text
// alignment evaluations (Potthast, Stein, Barrón-Cedeño and Rosso, "An
// Evaluation Framework for Plagiarism Detection", COLING 2010): macro-
// averaged precision and recall over characters, granularity, and plagdet.
//
// A case pairs a span of a suspicious document (here: an article) with a
// span of a source document (a message). A detection detects a case when it
// names the same two documents and overlaps the case in both of them; a
// detection that names the wrong source therefore counts for nothing, and
// lowers precision.
package pan

import (
	"math"
	"slices"
)

// Annotation is a case or a detection. Ends are exclusive; offsets count
// characters (bytes, for this project).
type Annotation struct {
	Article                  string
	ArticleStart, ArticleEnd int
	Message                  string
	MessageStart, MessageEnd int
}

func (a Annotation) len() int {
	return max(0, a.ArticleEnd-a.ArticleStart) + max(0, a.MessageEnd-a.MessageStart)
}

// Overlaps reports whether b detects a (or a detects b: the relation is
// symmetric): same article, same message, and overlapping spans in both.
func Overlaps(a, b Annotation) bool {
	return a.Article == b.Article && a.Message == b.Message &&
		b.ArticleEnd > a.ArticleStart && b.ArticleStart < a.ArticleEnd &&
		b.MessageEnd > a.MessageStart && b.MessageStart < a.MessageEnd
}

// Result holds the measures.
type Result struct {
	Precision, Recall, Granularity, Plagdet float64
	Cases, Detections, Detected             int // Detected: cases detected at least once
}

// F1 is the harmonic mean of precision and recall.
func (r Result) F1() float64 {
	if r.Precision+r.Recall == 0 {
		return 0
	}
	return 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
}

// Evaluate compares detections with the true cases.
func Evaluate(cases, detections []Annotation) Result {
	r := Result{
		Cases:       len(cases),
		Detections:  len(detections),
		Recall:      macroRecall(cases, detections),
		Precision:   macroRecall(detections, cases),
		Granularity: granularity(cases, detections),
	}
	for _, c := range cases {
		if slices.ContainsFunc(detections, func(d Annotation) bool { return Overlaps(c, d) }) {
			r.Detected++
		}
	}
	r.Plagdet = Plagdet(r.Precision, r.Recall, r.Granularity)
	return r
}

// Plagdet combines the measures: F1 / log2(1 + granularity).
func Plagdet(precision, recall, granularity float64) float64 {
	if precision+recall == 0 || precision < 0 || recall < 0 || granularity < 1 {
		return 0
	}
	f := 2 * precision * recall / (precision + recall)
	return f / math.Log2(1+granularity)
}

// macroRecall is the mean over xs of the share of each x's characters that
// the ys overlapping it cover. With the arguments swapped it is precision.
func macroRecall(xs, ys []Annotation) float64 {
	switch {
	case len(xs) == 0 && len(ys) == 0:
		return 1
	case len(xs) == 0 || len(ys) == 0:
		return 0
	}
	byArticle := index(ys)
	var sum float64
	for _, x := range xs {
		n := x.len()
		if n == 0 {
			continue
		}
		sum += float64(covered(x, byArticle[x.Article])) / float64(n)
	}
	return sum / float64(len(xs))
}

// covered counts the characters of x, in both documents, that the
// annotations overlapping x cover.
func covered(x Annotation, ys []Annotation) int {
	var as, ms []span
	for _, y := range ys {
		if !Overlaps(x, y) {
			continue
		}
		as = append(as, span{max(x.ArticleStart, y.ArticleStart), min(x.ArticleEnd, y.ArticleEnd)})
		ms = append(ms, span{max(x.MessageStart, y.MessageStart), min(x.MessageEnd, y.MessageEnd)})
	}
	return unionLen(as) + unionLen(ms)
}

func granularity(cases, detections []Annotation) float64 {
	byArticle := index(detections)
	detected, total := 0, 0
	for _, c := range cases {
		n := 0
		for _, d := range byArticle[c.Article] {
			if Overlaps(c, d) {
				n++
			}
		}
		if n > 0 {
			detected++
			total += n
		}
	}
	if detected == 0 {
		return 1
	}
	return float64(total) / float64(detected)
}

func index(as []Annotation) map[string][]Annotation {
	m := make(map[string][]Annotation)
	for _, a := range as {
		m[a.Article] = append(m[a.Article], a)
	}
	return m
}

type span struct{ lo, hi int }

// unionLen is the length of the union of half-open spans.
func unionLen(ss []span) int {
	slices.SortFunc(ss, func(a, b span) int { return a.lo - b.lo })
	n, end := 0, math.MinInt
	for _, s := range ss {
		if s.hi <= s.lo {
			continue
		}
		lo := max(s.lo, end)
		if s.hi > lo {
			n += s.hi - lo
			end = s.hi
		}
	}
	return n
}

// Alerts are the article-level measures: what a reader of the alerts sees,
// one alert per article that has any finding, and one per (article,
// message) pair named.
type Alerts struct {
	// Articles: an article alerts when it has a finding. It is a true
	// alert when it exposes a message and the finding names one of the
	// messages it exposes; an alert naming only other messages is false
	// (the office would look at the wrong message) and the article counts
	// as missed.
	Articles Counts
	// Pairs: every (article, message) pair named by a finding, against
	// every pair exposed.
	Pairs Counts
}

// Counts of alerts.
type Counts struct {
	True, False, Missed int
}

// Precision is the share of alerts that are true; 1 when there are none.
func (c Counts) Precision() float64 {
	if c.True+c.False == 0 {
		return 1
	}
	return float64(c.True) / float64(c.True+c.False)
}

// Recall is the share of exposures alerted; 1 when there are none.
func (c Counts) Recall() float64 {
	if c.True+c.Missed == 0 {
		return 1
	}
	return float64(c.True) / float64(c.True+c.Missed)
}

// EvaluateAlerts computes the article-level measures over the given
// articles. truth maps an article to the messages it exposes (none for a
// clean article); found maps it to the messages its findings name.
// Articles found but absent from articles are ignored, so that the caller
// chooses which articles count.
func EvaluateAlerts(articles []string, truth, found map[string][]string) Alerts {
	var r Alerts
	for _, a := range articles {
		want, got := truth[a], found[a]
		right := 0
		for _, m := range got {
			if slices.Contains(want, m) {
				right++
			}
		}
		r.Pairs.True += right
		r.Pairs.False += len(got) - right
		r.Pairs.Missed += len(want) - right
		switch {
		case len(got) == 0 && len(want) > 0:
			r.Articles.Missed++
		case len(got) == 0:
		case right > 0:
			r.Articles.True++
		case len(want) > 0:
			r.Articles.False++
			r.Articles.Missed++
		default:
			r.Articles.False++
		}
	}
	return r
}
