// Command exposure evaluates the exposure monitor (internal/exposure) on a
// synthetic corpus: dissent messages, clean news articles on the same
// topics, and articles that quote or restate the messages with the edits
// reporters make. It prints the PAN text-alignment measures by kind of
// edit and by quote length, the share of characters attributed to the
// wrong message in articles that mix two messages, the false positives on
// clean articles, and the throughput.
//
//	go run ./bench/exposure -seed 1 -messages 200 -articles 400
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/dissent-channel/dissent/bench/exposure/pan"
	"github.com/dissent-channel/dissent/bench/internal/harness"
	"github.com/dissent-channel/dissent/internal/exposure"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "exposure bench: error:", err)
		os.Exit(1)
	}
}

type config struct {
	seed        uint64
	messages    int
	articles    int
	background  int
	tmessages   int
	out         string
	dump        string
	noPara      bool
	verbose     bool
	checkTarget bool
	cpuprofile  string
	memprofile  string
	clean       int
	ambiguity   bool
	adds        int
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("exposure", flag.ContinueOnError)
	var cfg config
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed of the corpus")
	fs.IntVar(&cfg.messages, "messages", 200, "number of messages")
	fs.IntVar(&cfg.articles, "articles", 400, "number of articles")
	fs.IntVar(&cfg.background, "background", 50, "clean articles given to the index as public background text")
	fs.IntVar(&cfg.tmessages, "throughput-messages", 1000, "messages indexed for the throughput run (0: skip it)")
	fs.StringVar(&cfg.out, "out", "", "also write the corpus to this directory (messages/, articles/, truth.jsonl)")
	fs.StringVar(&cfg.dump, "dump", "", "write the findings to this file as JSON lines")
	fs.BoolVar(&cfg.noPara, "no-paraphrase", false, "turn the paraphrase pass off")
	fs.BoolVar(&cfg.verbose, "v", false, "print every missed case and false detection")
	fs.BoolVar(&cfg.checkTarget, "check", false, "exit with an error when a target is missed")
	fs.IntVar(&cfg.clean, "clean", 0, "clean same-topic articles matched against the throughput run's index, for false alerts per million")
	fs.BoolVar(&cfg.ambiguity, "ambiguity", false, "count, for the short quotes missed against the throughput run's index, the messages that hold the same words (slow)")
	fs.IntVar(&cfg.adds, "adds", 1000, "of the throughput run's messages, how many are added to its index one at a time after building it on the others, to time Add")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the throughput run's matching to this file")
	fs.StringVar(&cfg.memprofile, "memprofile", "", "write a heap profile after the throughput run's index is built")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep, err := bench(cfg, stdout)
	if err != nil {
		return err
	}
	if cfg.checkTarget {
		if failed := rep.failedTargets(); len(failed) > 0 {
			return fmt.Errorf("targets missed: %s", strings.Join(failed, "; "))
		}
	}
	return nil
}

// report holds the figures printed.
type report struct {
	byCategory map[string]pan.Result
	byBucket   map[string]pan.Result
	quotes     pan.Result
	kindOK     map[string][2]int // category -> correct, total
	wrongChars int
	rightChars int
	mixedChars int
	cleanArts  int
	cleanHit   int
	cleanFinds int
	alerts     pan.Alerts
	summaries  [2]int // summary articles alerted on their message, summary articles
}

func (r *report) failedTargets() []string {
	var out []string
	for _, b := range buckets {
		if res := r.byBucket[b.name]; res.Plagdet < 0.93 {
			out = append(out, fmt.Sprintf("quotes %s plagdet %.3f < 0.93", b.name, res.Plagdet))
		}
	}
	if r.quotes.Plagdet < 0.93 {
		out = append(out, fmt.Sprintf("quotes plagdet %.3f < 0.93", r.quotes.Plagdet))
	}
	if r.mixedChars > 0 && float64(r.wrongChars) > 0.01*float64(r.mixedChars) {
		out = append(out, fmt.Sprintf("wrong-message share %.2f%% > 1%%", 100*float64(r.wrongChars)/float64(r.mixedChars)))
	}
	if p := r.byCategory[catParaphrase]; p.Plagdet < 0.80 {
		out = append(out, fmt.Sprintf("paraphrase plagdet %.3f < 0.80", p.Plagdet))
	}
	if p := r.alerts.Articles.Precision(); p < 0.99 {
		out = append(out, fmt.Sprintf("article alerts precision %.4f < 0.99", p))
	}
	if rc := r.alerts.Articles.Recall(); rc < 0.97 {
		out = append(out, fmt.Sprintf("article alerts recall %.4f < 0.97", rc))
	}
	return out
}

func docs(c *corpus) (msgs, arts []exposure.Document) {
	for _, m := range c.messages {
		msgs = append(msgs, exposure.Document{Name: m.name, Text: []byte(m.text)})
	}
	for _, a := range c.articles {
		arts = append(arts, exposure.Document{Name: a.name, Text: []byte(a.text)})
	}
	return msgs, arts
}

func bench(cfg config, stdout io.Writer) (*report, error) {
	c := generate(cfg.seed, cfg.messages, cfg.articles, cfg.background)
	if cfg.out != "" {
		if err := writeCorpus(cfg.out, c); err != nil {
			return nil, err
		}
	}
	msgs, arts := docs(c)
	opts := exposure.Options{Public: c.background, NoParaphrase: cfg.noPara}
	start := time.Now()
	findings := exposure.MatchAll(msgs, arts, opts)
	elapsed := time.Since(start)

	if cfg.dump != "" {
		var b []byte
		for _, f := range findings {
			j, err := json.Marshal(f)
			if err != nil {
				return nil, err
			}
			b = append(append(b, j...), '\n')
		}
		if err := os.WriteFile(cfg.dump, b, 0o644); err != nil {
			return nil, fmt.Errorf("dump findings: %w", err)
		}
	}
	rep := evaluate(c, findings, cfg.verbose, stdout)
	nClean := rep.cleanArts
	fmt.Fprintf(stdout, "exposure benchmark: seed %d, %d messages, %d articles (%d clean), %d background articles; %d findings in %v\n\n",
		cfg.seed, cfg.messages, cfg.articles, nClean, cfg.background, len(findings), elapsed.Round(time.Millisecond))
	printTable(stdout, rep)

	if cfg.tmessages > 0 {
		if err := throughput(cfg, c, stdout); err != nil {
			return nil, err
		}
	}
	fmt.Fprintln(stdout)
	if failed := rep.failedTargets(); len(failed) > 0 {
		fmt.Fprintf(stdout, "targets missed: %s\n", strings.Join(failed, "; "))
	} else {
		fmt.Fprintln(stdout, "targets met: quotes ≥ 8 words plagdet ≥ 0.93 (each length), wrong-message share ≤ 1%, paraphrase plagdet ≥ 0.80")
	}
	return rep, nil
}

// alerts computes the article-level measures over the articles that are
// clean or expose messages by quotes, unquoted reuse or paraphrase; articles
// that only summarize a message are counted apart (summaries: alerted on
// their message, total).
func alerts(c *corpus, findings []exposure.Finding) (pan.Alerts, [2]int) {
	found := map[string][]string{}
	for _, f := range findings {
		if !slices.Contains(found[f.Article], f.Message) {
			found[f.Article] = append(found[f.Article], f.Message)
		}
	}
	truth := map[string][]string{}
	var names []string
	var summaries [2]int
	for _, a := range c.articles {
		var msgs []string
		for _, cs := range a.cases {
			if !slices.Contains(msgs, cs.Message) {
				msgs = append(msgs, cs.Message)
			}
		}
		if a.category == catSummary {
			summaries[1]++
			for _, m := range found[a.name] {
				if slices.Contains(msgs, m) {
					summaries[0]++
					break
				}
			}
			continue
		}
		truth[a.name] = msgs
		names = append(names, a.name)
	}
	return pan.EvaluateAlerts(names, truth, found), summaries
}

// expectedKind is the kind a detection of a case of the category should
// report.
func expectedKind(cat string) exposure.Kind {
	switch cat {
	case catVerbatim, catQuotesCase, catSplit:
		return exposure.Verbatim
	case catParaphrase, catSummary:
		return exposure.Paraphrase
	case catUnquoted:
		return exposure.Verbatim
	}
	return exposure.Edited
}

func evaluate(c *corpus, findings []exposure.Finding, verbose bool, w io.Writer) *report {
	rep := &report{byCategory: map[string]pan.Result{}, byBucket: map[string]pan.Result{}, kindOK: map[string][2]int{}}
	type det struct {
		pan.Annotation
		kind exposure.Kind
	}
	detsByArticle := map[string][]det{}
	for _, f := range findings {
		for _, p := range f.Passages {
			detsByArticle[f.Article] = append(detsByArticle[f.Article], det{pan.Annotation{
				Article: f.Article, ArticleStart: p.ArticleStart, ArticleEnd: p.ArticleEnd,
				Message: f.Message, MessageStart: p.MessageStart, MessageEnd: p.MessageEnd,
			}, p.Kind})
		}
	}
	casesOf := map[string][]pan.Annotation{}
	detsOf := map[string][]pan.Annotation{}
	add := func(key string, a *genArticle) {
		for _, cs := range a.cases {
			casesOf[key] = append(casesOf[key], cs.Annotation)
		}
		for _, d := range detsByArticle[a.name] {
			detsOf[key] = append(detsOf[key], d.Annotation)
		}
	}
	for i := range c.articles {
		a := &c.articles[i]
		dets := detsByArticle[a.name]
		if a.category == catClean {
			rep.cleanArts++
			if len(dets) > 0 {
				rep.cleanHit++
				rep.cleanFinds += len(dets)
				if verbose {
					for _, d := range dets {
						fmt.Fprintf(w, "FALSE %s %s %s %q\n", a.name, d.Message, d.kind, a.text[d.ArticleStart:d.ArticleEnd])
					}
				}
			}
			continue
		}
		add(a.category, a)
		switch {
		case slices.Contains(quoteCategories, a.category):
			add("bucket "+a.bucket, a)
			add("quotes", a)
		case a.category == catUnquoted:
			add("unquoted "+a.bucket, a)
		}
		// Kinds.
		want := expectedKind(a.category)
		for _, d := range dets {
			for _, cs := range a.cases {
				if pan.Overlaps(cs.Annotation, d.Annotation) {
					k := rep.kindOK[a.category]
					k[1]++
					if d.kind == want || a.category == catMixed && d.kind != exposure.Paraphrase {
						k[0]++
					}
					rep.kindOK[a.category] = k
					break
				}
			}
		}
		if a.category == catMixed {
			for _, d := range dets {
				for p := d.ArticleStart; p < d.ArticleEnd; p++ {
					right, wrong := false, false
					for _, cs := range a.cases {
						if cs.ArticleStart <= p && p < cs.ArticleEnd {
							if cs.Message == d.Message {
								right = true
							} else {
								wrong = true
							}
						}
					}
					rep.mixedChars++
					switch {
					case right:
						rep.rightChars++
					case wrong:
						rep.wrongChars++
					}
				}
			}
		}
		if verbose {
			for _, cs := range a.cases {
				hit := false
				for _, d := range dets {
					hit = hit || pan.Overlaps(cs.Annotation, d.Annotation)
				}
				if !hit {
					fmt.Fprintf(w, "MISS %s %s [%d words] %q\n", a.name, cs.Message, cs.words, a.text[cs.ArticleStart:cs.ArticleEnd])
				}
			}
			for _, d := range dets {
				hit := false
				for _, cs := range a.cases {
					hit = hit || pan.Overlaps(cs.Annotation, d.Annotation)
				}
				if !hit {
					fmt.Fprintf(w, "WRONG %s %s %s %q\n", a.name, d.Message, d.kind, a.text[d.ArticleStart:d.ArticleEnd])
				}
			}
		}
	}
	rep.alerts, rep.summaries = alerts(c, findings)
	for _, cat := range leakCategories {
		rep.byCategory[cat] = pan.Evaluate(casesOf[cat], detsOf[cat])
	}
	for _, b := range buckets {
		rep.byBucket[b.name] = pan.Evaluate(casesOf["bucket "+b.name], detsOf["bucket "+b.name])
		rep.byBucket["unquoted "+b.name] = pan.Evaluate(casesOf["unquoted "+b.name], detsOf["unquoted "+b.name])
	}
	rep.quotes = pan.Evaluate(casesOf["quotes"], detsOf["quotes"])
	return rep
}

func printTable(w io.Writer, rep *report) {
	line := func(name string, r pan.Result, kind [2]int) {
		k := "     -"
		if kind[1] > 0 {
			k = fmt.Sprintf("%6.3f", float64(kind[0])/float64(kind[1]))
		}
		fmt.Fprintf(w, "%-22s %6d %6d %6d %9.3f %7.3f %6.3f %8.3f %s\n", name, r.Cases, r.Detected, r.Detections,
			r.Precision, r.Recall, r.Granularity, r.Plagdet, k)
	}
	header := fmt.Sprintf("%-22s %6s %6s %6s %9s %7s %6s %8s %6s", "", "cases", "found", "dets", "precision", "recall", "gran", "plagdet", "kind")
	fmt.Fprintln(w, "by kind of edit (each article holds cases of one kind)")
	fmt.Fprintln(w, header)
	for _, cat := range leakCategories {
		line(cat, rep.byCategory[cat], rep.kindOK[cat])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "quotes (the kinds above from verbatim to two-messages) and unquoted reuse, by length in words reproduced")
	fmt.Fprintln(w, header)
	for _, b := range buckets {
		line(b.name, rep.byBucket[b.name], [2]int{})
	}
	line("all quotes", rep.quotes, [2]int{})
	for _, b := range buckets {
		line("unquoted "+b.name, rep.byBucket["unquoted "+b.name], [2]int{})
	}
	fmt.Fprintln(w)
	share := 0.0
	if rep.mixedChars > 0 {
		share = 100 * float64(rep.wrongChars) / float64(rep.mixedChars)
	}
	fmt.Fprintf(w, "two-message articles: %d detected characters, %d (%.2f%%) attributed to the wrong message, %d to the right one\n",
		rep.mixedChars, rep.wrongChars, share, rep.rightChars)
	fmt.Fprintf(w, "clean articles: %d, with findings: %d, false passages: %d\n", rep.cleanArts, rep.cleanHit, rep.cleanFinds)
	a := rep.alerts
	fmt.Fprintf(w, "article-level alerts (summary articles excluded): %d true, %d false, %d missed: precision %.4f, recall %.4f\n",
		a.Articles.True, a.Articles.False, a.Articles.Missed, a.Articles.Precision(), a.Articles.Recall())
	fmt.Fprintf(w, "(article, message) alerts: %d true, %d false, %d missed: precision %.4f, recall %.4f\n",
		a.Pairs.True, a.Pairs.False, a.Pairs.Missed, a.Pairs.Precision(), a.Pairs.Recall())
	fmt.Fprintf(w, "summary articles: %d, alerted on their message: %d\n", rep.summaries[1], rep.summaries[0])
}

// throughput indexes a larger corpus (the evaluation's messages are its
// first ones) and times Match, one article at a time on one goroutine, over
// the evaluation's articles and over cfg.clean clean same-topic articles,
// beside the time of tokenizing the same texts alone. It also evaluates the
// evaluation's articles against the larger index, and counts the clean
// articles with findings. Run it with GOMAXPROCS=1 for a figure per core
// (the garbage collector then shares the one processor too).
func throughput(cfg config, c *corpus, w io.Writer) error {
	big := generate(cfg.seed, cfg.tmessages, 0, 0)
	msgs, _ := docs(big)
	big = nil
	var msgBytes int
	for _, m := range msgs {
		msgBytes += len(m.Text)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	adds := min(max(cfg.adds, 0), len(msgs))
	ix := exposure.NewIndex(msgs[:len(msgs)-adds], exposure.Options{Public: c.background, NoParaphrase: cfg.noPara})
	build := time.Since(start)
	// The Service's way: the messages submitted after the index was built
	// are added one at a time.
	var addLat []time.Duration
	addCPU := harness.SelfCPU()
	for _, m := range msgs[len(msgs)-adds:] {
		t0 := time.Now()
		ix.Add([]exposure.Document{m})
		addLat = append(addLat, time.Since(t0))
	}
	addCPU = harness.SelfCPU() - addCPU
	runtime.GC()
	runtime.ReadMemStats(&m1)
	heap := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	fmt.Fprintf(w, "\nthroughput, GOMAXPROCS=%d: %d messages (%.1f MB) indexed in %v; index heap %.0f MB (%.0f bytes a message, %.1f× the text)\n",
		runtime.GOMAXPROCS(0), len(msgs)-adds, float64(msgBytes)/1e6, build.Round(time.Millisecond),
		float64(heap)/1e6, float64(heap)/float64(len(msgs)), float64(heap)/float64(msgBytes))
	if adds > 0 {
		slices.Sort(addLat)
		fmt.Fprintf(w, "  then %d messages added one at a time: %.2f ms CPU a message; wall p50 %.2f ms, p99 %.2f ms, max %.2f ms (the heap above is after them)\n",
			adds, float64(addCPU.Microseconds())/1e3/float64(adds), float64(addLat[adds/2].Microseconds())/1e3,
			float64(addLat[min(adds-1, adds*99/100)].Microseconds())/1e3, float64(addLat[adds-1].Microseconds())/1e3)
	}

	if cfg.memprofile != "" {
		f, err := os.Create(cfg.memprofile)
		if err != nil {
			return err
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
		f.Close()
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	fmt.Fprintf(w, "  %-12s %7s %6s %11s %10s %11s %10s %6s %7s %7s %7s\n", "articles", "n", "MB", "tokenize/s", "match/s",
		"tokenize/s", "match/s", "ratio", "p50 ms", "p99 ms", "max ms")
	fmt.Fprintf(w, "  %-12s %7s %6s %22s %22s %6s %23s\n", "", "", "", "per CPU-second", "per wall second", "", "wall time per article")
	line := func(name string, n, bytes int, tokCPU, matchCPU, tok, match time.Duration, lat []time.Duration) {
		slices.Sort(lat)
		q := func(f float64) float64 {
			return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))].Microseconds()) / 1e3
		}
		fmt.Fprintf(w, "  %-12s %7d %6.1f %11.0f %10.0f %11.0f %10.0f %6.2f %7.2f %7.2f %7.2f\n", name, n, float64(bytes)/1e6,
			float64(n)/tokCPU.Seconds(), float64(n)/matchCPU.Seconds(), float64(n)/tok.Seconds(), float64(n)/match.Seconds(),
			tokCPU.Seconds()/matchCPU.Seconds(), q(0.5), q(0.99), q(1))
	}

	// The evaluation's articles.
	_, arts := docs(c)
	var tk exposure.Tokenizer
	var artBytes int
	c0 := harness.SelfCPU()
	start = time.Now()
	for _, a := range arts {
		artBytes += len(a.Text)
		tk.Count(a.Text)
	}
	tok := time.Since(start)
	tokCPU := harness.SelfCPU() - c0
	lat := make([]time.Duration, len(arts))
	var findings []exposure.Finding
	var total time.Duration
	c0 = harness.SelfCPU()
	for i, a := range arts {
		t0 := time.Now()
		f := ix.Match(a)
		lat[i] = time.Since(t0)
		total += lat[i]
		findings = append(findings, f...)
	}
	matchCPU := harness.SelfCPU() - c0
	line("evaluation", len(arts), artBytes, tokCPU, matchCPU, tok, total, lat)

	// Clean same-topic articles, generated one at a time; only tokenizing
	// and matching are timed.
	var cleanHit, cleanFinds, cleanBytes int
	var cleanTok, cleanMatch, cleanTokCPU, cleanMatchCPU time.Duration
	var cleanLat []time.Duration
	var examples []string
	for i := range cfg.clean {
		a := c.newsOnly(rng(cfg.seed, 4, i), fmt.Sprintf("clean-%06d.txt", i))
		text := []byte(a.text)
		cleanBytes += len(text)
		c0 := harness.SelfCPU()
		t0 := time.Now()
		tk.Count(text)
		t1 := time.Now()
		c1 := harness.SelfCPU()
		f := ix.Match(exposure.Document{Name: a.name, Text: text})
		d := time.Since(t1)
		cleanMatchCPU += harness.SelfCPU() - c1
		cleanTokCPU += c1 - c0
		cleanTok += t1.Sub(t0)
		cleanMatch += d
		cleanLat = append(cleanLat, d)
		if len(f) > 0 {
			cleanHit++
			for _, x := range f {
				cleanFinds += len(x.Passages)
				if len(examples) < 5 {
					p := x.Passages[0]
					examples = append(examples, fmt.Sprintf("%s %s %s %q", a.name, x.Message, p.Kind, a.text[p.ArticleStart:p.ArticleEnd]))
				}
			}
		}
	}
	if cfg.clean > 0 {
		line("clean", cfg.clean, cleanBytes, cleanTokCPU, cleanMatchCPU, cleanTok, cleanMatch, cleanLat)
	}
	fmt.Fprintln(w, "  (ratio: the CPU time of tokenizing alone over that of matching: the share of the limit reached)")

	rep := evaluate(c, findings, false, io.Discard)
	if cfg.ambiguity {
		ambiguity(c, msgs, findings, w)
	}
	share := 0.0
	if rep.mixedChars > 0 {
		share = 100 * float64(rep.wrongChars) / float64(rep.mixedChars)
	}
	fmt.Fprintf(w, "evaluation articles against this index: quotes plagdet %.3f (8-15 %.3f, 16-40 %.3f, 41+ %.3f), paraphrase plagdet %.3f, wrong-message share %.2f%%, article alerts precision %.4f recall %.4f\n",
		rep.quotes.Plagdet, rep.byBucket["8-15"].Plagdet, rep.byBucket["16-40"].Plagdet, rep.byBucket["41+"].Plagdet,
		rep.byCategory[catParaphrase].Plagdet, share, rep.alerts.Articles.Precision(), rep.alerts.Articles.Recall())
	if cfg.clean > 0 {
		fmt.Fprintf(w, "clean same-topic articles: %d, with findings: %d (%.0f per million), false passages: %d\n",
			cfg.clean, cleanHit, 1e6*float64(cleanHit)/float64(cfg.clean), cleanFinds)
		for _, e := range examples {
			fmt.Fprintln(w, "  FALSE", e)
		}
	}
	return nil
}

// ambiguity reports, for the verbatim 8-15 word quotes, whether the quoted
// words occur in other messages of the larger index: a passage that several
// messages hold cannot be attributed to one of them, and the engine is
// right not to.
func ambiguity(c *corpus, msgs []exposure.Document, findings []exposure.Finding, w io.Writer) {
	text := map[string]string{}
	for _, m := range c.messages {
		text[m.name] = m.text
	}
	var found, missed [3]int // by number of other messages holding the words: 0, 1, 2+
	for _, a := range c.articles {
		if a.category != catVerbatim || a.bucket != "8-15" {
			continue
		}
		for _, cs := range a.cases {
			quote := text[cs.Message][cs.MessageStart:cs.MessageEnd]
			others := 0
			for _, m := range msgs {
				if m.Name != cs.Message && bytes.Contains(m.Text, []byte(quote)) {
					others++
				}
			}
			hit := false
			for _, f := range findings {
				for _, p := range f.Passages {
					d := pan.Annotation{Article: f.Article, ArticleStart: p.ArticleStart, ArticleEnd: p.ArticleEnd,
						Message: f.Message, MessageStart: p.MessageStart, MessageEnd: p.MessageEnd}
					hit = hit || pan.Overlaps(cs.Annotation, d)
				}
			}
			k := min(others, 2)
			if hit {
				found[k]++
			} else {
				missed[k]++
			}
		}
	}
	fmt.Fprintf(w, "verbatim 8-15 word quotes by other messages holding the same words (0 / 1 / 2+): found %v, missed %v\n", found, missed)
}

// writeCorpus writes messages and articles as files, and the true cases
// as JSON lines, for trying `dissent exposure match` by hand.
func writeCorpus(dir string, c *corpus) error {
	for _, sub := range []string{"messages", "articles"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("write corpus: %w", err)
		}
	}
	for _, m := range c.messages {
		if err := os.WriteFile(filepath.Join(dir, "messages", m.name), []byte(m.text), 0o644); err != nil {
			return fmt.Errorf("write corpus: %w", err)
		}
	}
	var truth []byte
	arts := slices.Clone(c.articles)
	slices.SortFunc(arts, func(a, b genArticle) int { return cmp.Compare(a.name, b.name) })
	for _, a := range arts {
		if err := os.WriteFile(filepath.Join(dir, "articles", a.name), []byte(a.text), 0o644); err != nil {
			return fmt.Errorf("write corpus: %w", err)
		}
		for _, cs := range a.cases {
			b, err := json.Marshal(map[string]any{
				"article": cs.Article, "message": cs.Message, "category": a.category,
				"article_start": cs.ArticleStart, "article_end": cs.ArticleEnd,
				"message_start": cs.MessageStart, "message_end": cs.MessageEnd, "words": cs.words,
			})
			if err != nil {
				return fmt.Errorf("write corpus: %w", err)
			}
			truth = append(append(truth, b...), '\n')
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "truth.jsonl"), truth, 0o644); err != nil {
		return fmt.Errorf("write corpus: %w", err)
	}
	return nil
}
