package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/web"
)

// lockFile is the file in the data directory that `serve` holds an
// exclusive lock on while it runs on SQLite (lock_unix.go).
const lockFile = "serve.lock"

// serveGCPercent is serve's GOGC when the environment sets none.
const serveGCPercent = 200

func serveCmd(e *env) *cobra.Command {
	var f storeFlags
	var addr, publicURL, metricsAddr string
	var sf securityFlags
	var bf backgroundFlags
	var demo bool
	var xf exposureFlags
	var mf modelFlags
	var lf logFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI and the JSON API (sets up ./dissent-data on first run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A server's live heap is small and its allocation steady: the
			// collector runs half as often as Go's default (GOGC=100), which
			// cost a tenth of the CPU of co-signing (docs/BENCHMARKS.md). An
			// operator's GOGC or GOMEMLIMIT still rules.
			if e.getenv("GOGC") == "" {
				defer debug.SetGCPercent(debug.SetGCPercent(serveGCPercent))
			}
			var demoClk *demoClock
			if demo {
				demoClk = newDemoClock()
				e.clock = demoClk.Now
				if !cmd.Flags().Changed("data") && f.db == "" {
					dir, err := os.MkdirTemp("", "dissent-demo-")
					if err != nil {
						return fmt.Errorf("demo: make a temporary directory: %w", err)
					}
					defer os.RemoveAll(dir)
					f.data = filepath.Join(dir, "data")
				}
			}
			cfg, err := f.config(e)
			if err != nil {
				return err
			}
			cfg.Addr, cfg.PublicURL = addr, publicURL
			if err := cfg.Validate(); err != nil {
				return err
			}
			if metricsAddr != "" {
				if _, _, err := net.SplitHostPort(metricsAddr); err != nil {
					return fmt.Errorf("--metrics-addr: want HOST:PORT, such as 127.0.0.1:9090: %w", err)
				}
			}
			ctx := cmd.Context()
			ok, err := initialized(ctx, cfg)
			if err != nil {
				return err
			}
			// Only the documented default (./dissent-data, SQLite) is set
			// up by serve on first run; a --data or --db that holds no
			// deployment is more likely a typo than a wish for a new one.
			if !ok && !demo && (f.db != "" || filepath.Clean(f.data) != filepath.Clean(config.DefaultDataDir)) {
				return errNotInitializedIn(cfg)
			}
			if cfg.Backend() != config.BackendPostgres {
				if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
					return fmt.Errorf("create data directory: %w", err)
				}
				unlock, err := lockDataDir(cfg.DataDir)
				if err != nil {
					return err
				}
				defer unlock()
			}
			if !ok && demo {
				if err := setUpDemo(ctx, e, cfg, demoClk); err != nil {
					return err
				}
			} else if demo {
				if err := checkDemo(cfg); err != nil {
					return err
				}
			} else if !ok {
				if err := initialize(ctx, e, cfg, "admin@localhost"); err != nil {
					return err
				}
			}
			tlsConf, err := sf.tlsConfig()
			if err != nil {
				return err
			}
			base := cfg.BaseURL()
			if publicURL == "" {
				base = httpsBase(base, tlsConf != nil)
			}
			mailCfg, err := bf.mailConfig(e, base)
			if err != nil {
				return err
			}
			// With e-mail, sign-in links issued on the web go to their person
			// by e-mail, never to the administrator (signin.go).
			e.sendsMail = mailCfg != nil
			log := slog.New(slog.NewJSONHandler(e.stderr, nil))
			d, err := open(ctx, e, cfg, false, log)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := mf.apply(d.svc); err != nil {
				return err
			}
			var warn string
			if !cfg.Now.IsZero() {
				warn = "DISSENT_NOW is set: the clock started at " + cfg.Now.Format(time.RFC3339)
				log.Warn("DISSENT_NOW is set: the clock is not real time", "dissent_now", cfg.Now.Format(time.RFC3339))
			}
			authOpts, err := sf.authOptions(e, base)
			if err != nil {
				return err
			}
			// Shutdown order (the defers run in reverse): listenAndServe
			// stops taking requests and drains those in flight; then the
			// background work stops (the sweeper ends its sweep and gives
			// up its lease, the mailer ends its batch); then the session
			// purge and the last checkpoint; then the store closes.
			pctx, stopPurge := context.WithCancel(ctx)
			defer stopPurge()
			go purgeSessions(pctx, d.svc, 10*time.Minute, log)
			d.log.SetWitnesses(lf.witnesses(), func(err error) { log.Warn("witness", "err", err) })
			cpDone := make(chan struct{})
			met := newMetrics()
			d.db.ObserveIntegration(met.observeIntegration())
			d.db.ObserveMessageLock(met.observeMessageLock)
			go func() {
				defer close(cpDone)
				publishEvery(pctx, d.log, lf.interval, log, func(err error) {
					met.logMismatch.Inc()
					log.Error("audit log self-check", "err", err)
					if err := d.svc.AlertAuditors(context.WithoutCancel(pctx)); err != nil {
						log.Error("alert auditors", "err", err)
					}
				})
			}()
			xDone := startExposure(pctx, d.svc, xf, log)
			uDone := make(chan struct{})
			go func() { defer close(uDone); flushTokenUses(pctx, d.svc, 5*time.Second, log) }()
			defer func() { stopPurge(); <-cpDone; <-xDone; <-uDone }()
			bg, err := startBackground(context.WithoutCancel(ctx), backgroundConfig{svc: d.svc, clock: d.clock, holder: instanceName(),
				sweep: bf.sweepInterval, mail: mailCfg, mailDue: bf.mailEvery, metrics: met, log: log})
			if err != nil {
				return err
			}
			defer bg.Stop()
			if mailCfg == nil {
				log.Warn("no SMTP server configured (--smtp or DISSENT_SMTP_URL): notifications are shown in the web UI only")
			}
			if metricsAddr != "" {
				stop, err := serveMetrics(ctx, e, metricsAddr, met, log)
				if err != nil {
					return err
				}
				defer stop()
			}
			srv := web.New(d.svc, web.Options{
				Metrics:      met,
				MetricsToken: dissent.NewSecret(e.getenv("DISSENT_METRICS_TOKEN")),
				Auth:         authOpts,
				Logger:       log,
				ClockWarning: warn,
				Demo:         demo,
				Ready: func(ctx context.Context) error {
					return d.db.View(ctx, func(tx dissent.Tx) error { _, err := tx.Orgs(ctx); return err })
				},
			})
			if demo {
				fmt.Fprintf(e.stdout, "DEMO deployment in %s (invented people and messages; do not enter real dissent).\nOpen %s/demo to sign in as anyone with one click.\n", cfg.DataDir, base)
			}
			err = listenAndServe(ctx, e, cfg.Addr, base, srv, log, tlsConf)
			srv.Drain() // sign-in links asked for just before the end
			return err
		},
	}
	f.add(c)
	mf.add(c)
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "HOST:PORT to listen on")
	c.Flags().StringVar(&publicURL, "public-url", "", "URL people reach the service at (default from --addr)")
	c.Flags().StringVar(&metricsAddr, "metrics-addr", "", "HOST:PORT to serve /metrics on, apart from the service (e.g. 127.0.0.1:9090); otherwise /metrics answers only the bearer token in $DISSENT_METRICS_TOKEN")
	c.Flags().BoolVar(&demo, "demo", false, "serve a throwaway demo deployment (in a temporary directory unless --data is given) with people in every role, sample messages and one-click sign-ins at /demo")
	sf.add(c)
	bf.add(c)
	xf.add(c)
	lf.add(c)
	return c
}

// listenAndServe serves until ctx ends, then stops taking connections and
// lets requests in flight finish (up to 10 s) before returning, after which
// the caller closes the store: shutdown order is server, then store.
func listenAndServe(ctx context.Context, e *env, addr, base string, h http.Handler, log *slog.Logger, tlsConf *tls.Config) error {
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
	if tlsConf != nil {
		srv.TLSConfig = tlsConf
		ln = tls.NewListener(ln, tlsConf)
	}
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

// flushTokenUses writes the token uses the service noted, at each tick and
// once more when ctx ends.
func flushTokenUses(ctx context.Context, svc *dissent.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := svc.FlushTokenUses(context.Background()); err != nil {
				log.Warn("record token uses", "err", err)
			}
			return
		case <-t.C:
			if err := svc.FlushTokenUses(ctx); err != nil && ctx.Err() == nil {
				log.Warn("record token uses", "err", err)
			}
		}
	}
}

// logFlags configure the audit log's publication.
type logFlags struct {
	interval   time.Duration
	witnessDir string
	witnessURL string
}

func (lf *logFlags) add(c *cobra.Command) {
	c.Flags().DurationVar(&lf.interval, "checkpoint-interval", 10*time.Minute,
		"how often to publish a signed checkpoint of the audit log (the public sees only how many entries each batch added)")
	c.Flags().StringVar(&lf.witnessDir, "witness-dir", "", "also write every published checkpoint to this directory (keep it off this machine)")
	c.Flags().StringVar(&lf.witnessURL, "witness-url", "", "also POST every published checkpoint to this URL")
}

func (lf *logFlags) witnesses() []auditlog.Witness {
	var ws []auditlog.Witness
	if lf.witnessDir != "" {
		ws = append(ws, auditlog.DirWitness(lf.witnessDir))
	}
	if lf.witnessURL != "" {
		ws = append(ws, auditlog.HTTPWitness{URL: lf.witnessURL})
	}
	return ws
}

// integrateEvery is how often serve integrates pending entries into the
// Merkle tree (on SQLite the writer already has; on PostgreSQL one instance
// at a time does).
const integrateEvery = 500 * time.Millisecond

// publishEvery integrates the log's entries as they come and publishes a
// signed checkpoint at each interval if the log has grown, and once more
// when ctx ends, so that the checkpoint file and the witnesses keep up.
//
// After each publication it checks the new entries (Log.CheckNew); a
// mismatch is handed to mismatch once per failing check.
func publishEvery(ctx context.Context, l *auditlog.Log, every time.Duration, log *slog.Logger, mismatch func(error)) {
	if every <= 0 {
		every = 10 * time.Minute
	}
	pub := time.NewTicker(every)
	defer pub.Stop()
	in := time.NewTicker(integrateEvery)
	defer in.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := l.Publish(context.Background()); err != nil && dissent.ErrorKind(err) != dissent.KindNotFound {
				log.Warn("final checkpoint", "err", err)
			}
			return
		case <-in.C:
			if _, err := l.Integrate(ctx); err != nil && ctx.Err() == nil {
				log.Warn("integrate the audit log", "err", err)
			}
		case <-pub.C:
			if _, err := l.Publish(ctx); err != nil && dissent.ErrorKind(err) != dissent.KindNotFound && ctx.Err() == nil {
				log.Warn("checkpoint", "err", err)
			}
			if _, err := l.CheckNew(ctx); err != nil && ctx.Err() == nil {
				mismatch(err)
			}
		}
	}
}

// serveMetrics serves GET /metrics alone on addr, for a scraper on a
// private network; stop shuts it down.
func serveMetrics(ctx context.Context, e *env, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	fmt.Fprintf(e.stdout, "Metrics are served on http://%s/metrics.\n", ln.Addr())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, nil
}
