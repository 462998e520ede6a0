package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/exposure"
	"github.com/dissent-channel/dissent/internal/ingest"
)

// exposureFlags configure the exposure monitor's background work in serve.
type exposureFlags struct {
	articlesDir  string
	feedInterval time.Duration
	scanInterval time.Duration
}

func (f *exposureFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.articlesDir, "articles-dir", "", "watch this directory for press articles (text files, each picked up once)")
	c.Flags().DurationVar(&f.feedInterval, "feed-interval", 15*time.Minute, "poll each RSS/Atom feed this often")
	c.Flags().DurationVar(&f.scanInterval, "exposure-interval", 30*time.Second, "look for new articles in --articles-dir, due feeds and newly submitted messages this often")
}

// startExposure wires the engine into the Service and runs the monitor's
// background work until ctx ends; the returned channel closes when it has
// stopped. Feeds are claimed through the database, so several instances
// may run this at once.
func startExposure(ctx context.Context, svc *dissent.Service, f exposureFlags, log *slog.Logger) <-chan struct{} {
	svc.SetExposureEngine(exposure.Engine(exposure.Options{}))
	done := make(chan struct{})
	var dir *ingest.Dir
	if f.articlesDir != "" {
		dir = &ingest.Dir{Path: f.articlesDir, Add: func(ctx context.Context, name string, in dissent.ArticleInput) error {
			_, _, err := svc.IngestArticle(ctx, dissent.SourceDirectory, 0, in)
			return err
		}}
	}
	fetch := &ingest.Fetcher{}
	go func() {
		defer close(done)
		t := time.NewTicker(max(f.scanInterval, time.Second))
		defer t.Stop()
		for {
			if dir != nil {
				if n, err := dir.Scan(ctx); err != nil {
					log.Warn("articles directory", "err", err, "added", n)
				}
			}
			if n, err := svc.PollFeeds(ctx, fetch, f.feedInterval); err != nil {
				log.Warn("poll feeds", "err", err, "added", n)
			}
			if _, err := svc.ScanExposure(ctx); err != nil && ctx.Err() == nil {
				log.Warn("exposure scan", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}
