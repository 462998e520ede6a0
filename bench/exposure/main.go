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
	"sync"
	"time"

	"github.com/dissent-channel/dissent/bench/exposure/pan"
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
}

// throughput indexes a larger corpus and times Match over the articles,
// on one goroutine and on all processors.
func throughput(cfg config, c *corpus, w io.Writer) error {
	big := generate(cfg.seed, cfg.tmessages, 0, 0)
	msgs, _ := docs(big)
	_, arts := docs(c)
	var msgBytes, artBytes int
	for _, m := range msgs {
		msgBytes += len(m.Text)
	}
	for _, a := range arts {
		artBytes += len(a.Text)
	}
	start := time.Now()
	ix := exposure.NewIndex(msgs, exposure.Options{Public: c.background, NoParaphrase: cfg.noPara})
	build := time.Since(start)

	if cfg.memprofile != "" {
		f, err := os.Create(cfg.memprofile)
		if err != nil {
			return err
		}
		runtime.GC()
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
	}
	start = time.Now()
	for _, a := range arts {
		ix.Match(a)
	}
	one := time.Since(start)
	if cfg.cpuprofile != "" {
		pprof.StopCPUProfile()
	}

	procs := runtime.GOMAXPROCS(0)
	start = time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range procs {
		wg.Go(func() {
			for i := range next {
				ix.Match(arts[i])
			}
		})
	}
	for i := range arts {
		next <- i
	}
	close(next)
	wg.Wait()
	all := time.Since(start)

	mb := float64(artBytes) / 1e6
	fmt.Fprintf(w, "\nthroughput: %d messages (%.1f MB) indexed in %v; %d articles (%.1f MB)\n",
		len(msgs), float64(msgBytes)/1e6, build.Round(time.Millisecond), len(arts), mb)
	fmt.Fprintf(w, "  1 goroutine:  %7.0f articles/s %6.2f MB/s\n", float64(len(arts))/one.Seconds(), mb/one.Seconds())
	fmt.Fprintf(w, "  %d goroutines: %7.0f articles/s %6.2f MB/s\n", procs, float64(len(arts))/all.Seconds(), mb/all.Seconds())
	return nil
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
