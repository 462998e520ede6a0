package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/backup"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

func restoreCmd(e *env) *cobra.Command {
	var f storeFlags
	var in, identity, logKey string
	c := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup archive into a new deployment, after checking the archive and its audit log",
		Long: `Restore reads the archive twice. First it checks it whole: age's authentication of every
byte, the manifest's SHA-256 of every entry, and every table's row count; a corrupted,
truncated or reordered archive is refused before anything is written. Then it writes the
keys into the new data directory, loads the tables into the new database (the SQLite file
in --data, or the empty PostgreSQL database of --db: restore moves a deployment from
SQLite to PostgreSQL), and runs the checks of ` + "`dissent verify`" + ` (every entry, every
checkpoint, the database against the log) and compares the log with the manifest. If any
check fails, it removes what it wrote.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" {
				return errors.New("--in: name the archive to restore")
			}
			if identity == "" {
				return errors.New("--identity: name the age identity file that decrypts the archive")
			}
			if !cmd.Flags().Changed("data") {
				return errors.New("--data: name the new data directory to restore into")
			}
			cfg, err := f.config(e)
			if err != nil {
				return err
			}
			ids, err := readIdentities(identity, pluginUI(e))
			if err != nil {
				return err
			}
			return runRestore(cmd.Context(), e, cfg, in, ids, logKey)
		},
	}
	f.add(c)
	c.Flags().StringVar(&logKey, "log-key", "", "the audit log's public key you published, or a file holding it (DATA/log/key.pub): refuse an archive of another log")
	c.Flags().StringVar(&in, "in", "", "archive to restore")
	c.Flags().StringVar(&identity, "identity", "", "identity file that decrypts the archive: age (AGE-SECRET-KEY-…), a plugin's (AGE-PLUGIN-…) or an ssh private key")
	quietFlag(c, &e.quiet)
	return c
}

// readIdentities reads an identity file of any type the age command takes
// (backup.ParseIdentities): X25519, hybrid, an ssh private key, plugins.
func readIdentities(path string, ui *plugin.ClientUI) ([]age.Identity, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("--identity: %w", err)
	}
	ids, err := backup.ParseIdentities(b, ui)
	if err != nil {
		return nil, fmt.Errorf("--identity %s: %w", path, err)
	}
	return ids, nil
}

// checkTarget refuses a data directory or database that is not new.
func checkTarget(ctx context.Context, cfg config.Config) error {
	entries, err := os.ReadDir(cfg.DataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--data: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("--data: %s is not empty; restore only into a new data directory", cfg.DataDir)
	}
	if cfg.Backend() == config.BackendPostgres {
		has, err := store.PostgresHasTables(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if has {
			return fmt.Errorf("--db: the database %s already holds tables; restore only into a new, empty database", cfg.RedactedDatabaseURL())
		}
	}
	return nil
}

// verifyArchive is restore's first pass: the whole archive checked,
// nothing written.
func verifyArchive(e *env, in string, ids []age.Identity) (*backup.Manifest, error) {
	fh, err := os.Open(in)
	if err != nil {
		return nil, fmt.Errorf("--in: %w", err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if fi, err := fh.Stat(); err == nil {
		if bar := newProgress(e.stderr, e.quiet, "checking the archive", -1); bar != nil {
			bar.ChangeMax64(fi.Size())
			r = io.TeeReader(fh, bar)
			defer bar.Finish()
		}
	}
	m, err := backup.Verify(r, ids...)
	if err != nil {
		return nil, fmt.Errorf("the archive %s is refused, nothing was written: %w", in, err)
	}
	return m, nil
}

func runRestore(ctx context.Context, e *env, cfg config.Config, in string, ids []age.Identity, logKey string) (err error) {
	if err := checkTarget(ctx, cfg); err != nil {
		return err
	}
	m, err := verifyArchive(e, in, ids)
	if err != nil {
		return err
	}
	if logKey != "" {
		if err := checkLogKey(in, m, ids, logKey); err != nil {
			return err
		}
	}
	if m.Keyring == "passphrase" && e.getenv("DISSENT_KEY_PASSPHRASE") == "" {
		return errors.New("the archive's keyring is protected by a passphrase: set DISSENT_KEY_PASSPHRASE (nothing was written)")
	}

	// From here on, undo everything on failure.
	_, statErr := os.Stat(cfg.DataDir)
	madeDir := errors.Is(statErr, os.ErrNotExist)
	var db *store.DB
	defer func() {
		if err == nil {
			return
		}
		var undo []error
		if db != nil {
			if cfg.Backend() == config.BackendPostgres {
				undo = append(undo, db.Unload(context.WithoutCancel(ctx)))
			}
			undo = append(undo, db.Close())
		}
		if madeDir {
			undo = append(undo, os.RemoveAll(cfg.DataDir))
		} else if entries, rerr := os.ReadDir(cfg.DataDir); rerr == nil {
			for _, de := range entries {
				undo = append(undo, os.RemoveAll(filepath.Join(cfg.DataDir, de.Name())))
			}
		}
		if uerr := errors.Join(undo...); uerr != nil {
			err = fmt.Errorf("%w; and removing what was written failed (remove %s and drop the database's tables by hand): %v", err, cfg.DataDir, uerr)
		} else {
			err = fmt.Errorf("%w (what restore wrote has been removed)", err)
		}
	}()

	fh, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	defer fh.Close()
	rd, err := backup.Open(fh, m, ids...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(keysDir(cfg), 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	if err := os.MkdirAll(logDir(cfg), 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	files := []struct {
		entry, path string
		mode        os.FileMode
	}{
		{backup.KeyringEntry, filepath.Join(keysDir(cfg), seal.RingFile), 0o600},
		{backup.IdentityEntry, filepath.Join(keysDir(cfg), seal.IdentityFile), 0o600},
		{backup.LogKeyEntry, filepath.Join(logDir(cfg), logKeyFile), 0o644},
	}
	for _, f := range files {
		if b := rd.File(f.entry); b != nil {
			if err := writeNewFile(f.path, b, f.mode); err != nil {
				return fmt.Errorf("write %s: %w", f.path, err)
			}
		}
	}
	if m.Log.Checkpoint != "" {
		if err := writeNewFile(filepath.Join(logDir(cfg), auditlog.CheckpointFile), []byte(m.Log.Checkpoint), 0o644); err != nil {
			return fmt.Errorf("write the checkpoint file: %w", err)
		}
	}
	ring, err := openKeyring(e, cfg, false)
	if err != nil {
		return fmt.Errorf("open the restored keyring: %w", err)
	}
	// The log key in the keyring must be the one the archive names (and
	// --log-key checked): checkpoints are verified with the keyring's.
	name, key := ring.LogKey()
	vkey, err := auditlog.VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(rd.File(backup.LogKeyEntry))) != vkey {
		return errors.New("the archive's keyring holds another log key than its log/key.pub names")
	}
	for _, k := range m.KEKs {
		if !slices.Contains(ring.KEKs(), k) {
			return fmt.Errorf("the data keys are wrapped under key-encryption key %s, which the archive's keyring lacks", k)
		}
	}
	sealer := seal.New(ring)
	if db, err = openStore(ctx, cfg, sealer); err != nil {
		return err
	}
	bar := newProgress(e.stderr, e.quiet, "loading rows", m.Rows())
	var dump store.DumpReader = rd
	if bar != nil {
		dump = progressReader{rd, bar}
	}
	counts, err := db.Load(ctx, m.Schema, dump)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("load the archive: %w", err)
	}
	if err := rd.Close(); err != nil {
		return err
	}
	for _, t := range m.Tables {
		if counts[t.Name] != t.Rows {
			return fmt.Errorf("table %s: %d rows loaded; the manifest says %d", t.Name, counts[t.Name], t.Rows)
		}
	}

	// The checks of `dissent verify`, and the log against the manifest.
	alog, err := auditlog.New(db, name, key, logDir(cfg), deploymentClock(cfg))
	if err != nil {
		return err
	}
	var progress auditlog.Progress
	if vbar := newProgress(e.stderr, e.quiet, "verifying the log", -1); vbar != nil {
		progress = func(done, total int64) { vbar.ChangeMax64(total); _ = vbar.Set64(done) }
		defer vbar.Finish()
	}
	rep, err := alog.Verify(ctx, progress)
	if err != nil {
		return fmt.Errorf("the restored audit log does not verify: %w", err)
	}
	root, err := logRoot(ctx, db)
	if err != nil {
		return err
	}
	if rep.Leaves != m.Log.Size || root != m.Log.Root {
		return fmt.Errorf("the restored log has %d entries, root %s; the manifest says %d entries, root %s", rep.Leaves, root, m.Log.Size, m.Log.Root)
	}
	if err := db.Close(); err != nil {
		return err
	}
	where := cfg.DataDir
	if cfg.Backend() == config.BackendPostgres {
		where = cfg.RedactedDatabaseURL() + " (keys in " + cfg.DataDir + ")"
	}
	fmt.Fprintf(e.stdout, "Restored %d tables (%d rows) into %s, from a %s backup of %s.\n", len(m.Tables), m.Rows(), where, m.SourceDialect, m.Created.Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(e.stdout, "The audit log is intact: %d entries, %d checkpoints, %d messages agree with it; its root matches the backup's.\n", rep.Leaves, rep.Checkpoints, rep.Messages)
	return nil
}

// logRoot is the hex root of the whole log.
func logRoot(ctx context.Context, db *store.DB) (string, error) {
	var root tlog.Hash
	err := db.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil || size == 0 {
			return err
		}
		root, err = tlog.TreeHash(size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			hs, err := tx.ReadLogHashes(ctx, idx)
			out := make([]tlog.Hash, len(hs))
			for i, h := range hs {
				out[i] = h
			}
			return out, err
		}))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("log root: %w", err)
	}
	return hex.EncodeToString(root[:]), nil
}

// progressReader moves a bar by the rows of the tables read through it.
type progressReader struct {
	r   *backup.Reader
	bar interface{ Add64(int64) error }
}

func (p progressReader) Next() (string, io.Reader, error) {
	name, r, err := p.r.Next()
	if err != nil {
		return name, r, err
	}
	return name, lineBar{r, p.bar}, nil
}

type lineBar struct {
	r   io.Reader
	bar interface{ Add64(int64) error }
}

func (l lineBar) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			_ = l.bar.Add64(1)
		}
	}
	return n, err
}

// checkLogKey refuses an archive whose log key is not the one expected:
// age does not tell who made an archive, the log's key does.
func checkLogKey(in string, m *backup.Manifest, ids []age.Identity, want string) error {
	if !strings.Contains(want, "+") {
		b, err := readLimited(want, 4096)
		if err != nil {
			return fmt.Errorf("--log-key: neither a key (name+hash+base64) nor a file holding one: %w", err)
		}
		want = string(b)
	}
	if _, err := auditlog.ParseVerifierKey(want); err != nil {
		return fmt.Errorf("--log-key: %w", err)
	}
	fh, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	defer fh.Close()
	rd, err := backup.Open(fh, m, ids...)
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(rd.File(backup.LogKeyEntry))); got != strings.TrimSpace(want) {
		return fmt.Errorf("the archive is of another audit log (its key is %s, not the --log-key given); nothing was written", got)
	}
	return nil
}
