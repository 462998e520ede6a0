package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	_ "modernc.org/sqlite" // the embedded database's driver

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

// env is what every subcommand gets from run: the streams and the
// environment, so that tests can run the CLI in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          func() time.Time // overrides the service's clock (serve --demo); nil: real time or DISSENT_NOW
	quiet          bool             // --quiet: no progress bars (progress.go)
	sendsMail      bool             // serve has an SMTP server: the Service e-mails sign-in links
}

// run parses args and runs one subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:           "dissent",
		Short:         "Dissent: a confidential dissent channel with deadlines",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetVersionTemplate("dissent {{.Version}}\n")
	root.SetFlagErrorFunc(suggestFlag)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(initCmd(e), serveCmd(e), orgCmd(e), unitCmd(e), userCmd(e), verifyCmd(e), receiptCmd(e), keysCmd(e), exposureCmd(e))
	root.AddCommand(tokenCmd(e), ssoCmd(e))      // auth.go
	root.AddCommand(backupCmd(e), restoreCmd(e)) // backup.go, restore.go
	root.AddCommand(reportCmd(e))                // report.go
	root.AddCommand(vocabularyCmd(e))            // vocabulary.go
	return root.ExecuteContext(ctx)
}

// hintFor suggests a next step for common mistakes.
func hintFor(err error) string {
	var de *dissent.Error
	if errors.As(err, &de) && de.Code == "initialized" {
		return "the data directory is already set up; run `dissent serve --data DIR`"
	}
	if errors.Is(err, errNotInitialized) {
		return "run `dissent init --data DIR` to make a new deployment there, after checking the path for a typo (only a plain `dissent serve` sets up ./dissent-data by itself)"
	}
	return ""
}

var errNotInitialized = errors.New("no deployment in the data directory")

// errLocked is a second `serve` on one SQLite data directory.
var errLocked = errors.New("the data directory is in use")

// storeFlags are the flags of every command that opens the store.
type storeFlags struct {
	data string
	db   string
}

func (f *storeFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.data, "data", config.DefaultDataDir, "data directory (database and keys)")
	c.Flags().StringVar(&f.db, "db", "", "database URL (default: the SQLite file in the data directory; postgres://... for PostgreSQL)")
}

func (f *storeFlags) config(e *env) (config.Config, error) {
	c := config.Default()
	c.DataDir = f.data
	c.DatabaseURL = f.db
	if v := e.getenv("DISSENT_NOW"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return c, fmt.Errorf("DISSENT_NOW must be an RFC 3339 time such as 2023-11-03T10:00:00-04:00: %w", err)
		}
		c.Now = t
	}
	return c, c.Validate()
}

// deployment is an open store and the service over it.
type deployment struct {
	cfg    config.Config
	db     *store.DB
	svc    *dissent.Service
	log    *auditlog.Log
	sealer *seal.Sealer
	clock  func() time.Time
}

// Paths inside the data directory.
func keysDir(cfg config.Config) string { return filepath.Join(cfg.DataDir, "keys") }
func logDir(cfg config.Config) string  { return filepath.Join(cfg.DataDir, "log") }

// logKeyFile holds the audit log's public verifier key, for
// `dissent receipt verify --data`.
const logKeyFile = "key.pub"

// open opens the deployment in cfg; with create, it makes the data directory,
// the keyring and the database if they are missing.
func open(ctx context.Context, e *env, cfg config.Config, create bool, log *slog.Logger) (*deployment, error) {
	if ok, err := initialized(ctx, cfg); err != nil {
		return nil, err
	} else if !ok && !create {
		return nil, errNotInitializedIn(cfg)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	ring, err := openKeyring(e, cfg, create)
	if err != nil {
		return nil, err
	}
	sealer := seal.New(ring)
	db, err := openStore(ctx, cfg, sealer)
	if err != nil {
		return nil, err
	}
	clock := time.Now
	if !cfg.Now.IsZero() {
		clock = dissent.OffsetClock(cfg.Now, time.Now)
	}
	if e.clock != nil {
		clock = e.clock
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	name, key := ring.LogKey()
	alog, err := auditlog.New(db, name, key, logDir(cfg), clock)
	if err != nil {
		db.Close()
		return nil, err
	}
	svc := dissent.NewService(dissent.ServiceConfig{Store: db, Now: clock, Calendars: calendars, AuditLog: alog, Logger: log, Mail: e.sendsMail})
	return &deployment{cfg: cfg, db: db, svc: svc, log: alog, sealer: sealer, clock: clock}, nil
}

// openKeyring loads the keyring of the data directory, or with create makes
// one (and writes the log's public key beside the log).
func openKeyring(e *env, cfg config.Config, create bool) (*seal.Keyring, error) {
	pass := e.getenv("DISSENT_KEY_PASSPHRASE")
	dir := keysDir(cfg)
	if _, err := os.Stat(filepath.Join(dir, seal.RingFile)); err == nil || !create {
		return seal.Load(dir, pass)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	ring, err := seal.Create(dir, pass, "dissent.log/"+hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	name, key := ring.LogKey()
	vkey, err := auditlog.VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(logDir(cfg), 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(logDir(cfg), logKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write log key: %w", err)
	}
	return ring, nil
}

func calendars(loc *time.Location, closures []string) (dissent.Calendar, error) {
	return deadline.New(loc, closures)
}

func (d *deployment) Close() error { return d.db.Close() }

// withDeployment opens the existing deployment named by the flags, runs fn
// and closes it.
func withDeployment(ctx context.Context, e *env, f *storeFlags, fn func(*deployment) error) error {
	cfg, err := f.config(e)
	if err != nil {
		return err
	}
	d, err := open(ctx, e, cfg, false, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d)
}

func parseRoles(in []string) ([]dissent.Role, error) {
	var out []dissent.Role
	for _, s := range in {
		for _, part := range strings.Split(s, ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			r, err := dissent.ParseRole(part)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}
