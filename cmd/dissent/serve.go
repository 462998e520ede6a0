package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

func serveCmd(e *env) *cobra.Command {
	var f storeFlags
	var addr, publicURL string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI and the JSON API (sets up ./dissent-data on first run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(e)
			if err != nil {
				return err
			}
			cfg.Addr, cfg.PublicURL = addr, publicURL
			if err := cfg.Validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			if _, err := os.Stat(cfg.SQLitePath()); errors.Is(err, os.ErrNotExist) {
				if err := initialize(ctx, e, cfg, "admin@localhost"); err != nil {
					return err
				}
			}
			log := slog.New(slog.NewJSONHandler(e.stderr, nil))
			d, err := open(ctx, e, cfg, false, log)
			if err != nil {
				return err
			}
			defer d.Close()
			var warn string
			if !cfg.Now.IsZero() {
				warn = "DISSENT_NOW is set: the clock started at " + cfg.Now.Format(time.RFC3339)
				log.Warn("DISSENT_NOW is set: the clock is not real time", "dissent_now", cfg.Now.Format(time.RFC3339))
			}
			srv := web.New(d.svc, web.Options{
				Logger:       log,
				ClockWarning: warn,
				Ready: func(ctx context.Context) error {
					return d.db.View(ctx, func(tx dissent.Tx) error { _, err := tx.Orgs(ctx); return err })
				},
			})
			return listenAndServe(ctx, e, cfg.Addr, cfg.BaseURL(), srv, log)
		},
	}
	f.add(c)
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "HOST:PORT to listen on")
	c.Flags().StringVar(&publicURL, "public-url", "", "URL people reach the service at (default from --addr)")
	return c
}

// listenAndServe serves until ctx ends, then stops taking connections and
// lets requests in flight finish (up to 10 s) before returning, after which
// the caller closes the store: shutdown order is server, then store.
func listenAndServe(ctx context.Context, e *env, addr, base string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           http.NewCrossOriginProtection().Handler(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(e.stdout, "Dissent is serving on %s (listening on %s).\n", base, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-errc
	return nil
}
