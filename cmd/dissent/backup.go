package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/backup"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

// Keys in a backup. The archive holds the keyring file as it is on disk
// (still encrypted to the deployment's identity or passphrase) and, when
// the data directory holds it, the identity that opens it: a backup must be
// able to bring a deployment back after the server and its disk are gone,
// and without the key-encryption keys every sealed value in it is lost. The
// whole archive is encrypted to the backup recipient, so the backup
// identity guards the keys as the data directory's permissions guard them
// on the server; a deployment whose keyring is protected by a passphrase
// (DISSENT_KEY_PASSPHRASE) keeps that second lock in its backups too, and
// restore needs the passphrase.

func backupCmd(e *env) *cobra.Command {
	var f storeFlags
	var out, recipientsFile string
	var recipients []string
	c := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent, encrypted, self-verifying archive of a deployment (safe while it runs)",
		Long: `Backup copies every table of the database from one read transaction (a consistent
snapshot while the service keeps running), with the keyring and the audit log's public
key, into a tar archive encrypted with age to --recipient (or the recipients in
--recipients-file). Without a recipient it generates a new age identity, writes it
next to the archive as FILE.identity (mode 0600) and encrypts to it: keep that file
apart from the archive. The archive's manifest lists the SHA-256 of every entry, the
row count of every table and the audit log's size and root at the snapshot.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: name the archive file to write")
			}
			cfg, err := f.config(e)
			if err != nil {
				return err
			}
			rcpts, err := parseRecipients(recipients, recipientsFile, pluginUI(e))
			if err != nil {
				return err
			}
			return runBackup(cmd.Context(), e, cfg, out, rcpts)
		},
	}
	f.add(c)
	c.Flags().StringVar(&out, "out", "", "archive file to write (must not exist)")
	c.Flags().StringArrayVar(&recipients, "recipient", nil, "age recipient to encrypt to (age1…, age1pq1…, a plugin's age1NAME1…, or an ssh-ed25519/ssh-rsa public key); repeatable")
	c.Flags().StringVar(&recipientsFile, "recipients-file", "", "file of age recipients (any type --recipient takes), one a line")
	quietFlag(c, &e.quiet)
	return c
}

// parseRecipients reads the recipients of every type the age command
// takes (backup.ParseRecipient): X25519, hybrid, ssh and plugins.
func parseRecipients(list []string, file string, ui *plugin.ClientUI) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range list {
		r, err := backup.ParseRecipient(s, ui)
		if err != nil {
			return nil, fmt.Errorf("--recipient %q: %w", s, err)
		}
		out = append(out, r)
	}
	if file != "" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--recipients-file: %w", err)
		}
		defer fh.Close()
		rs, err := backup.ParseRecipients(fh, ui)
		if err != nil {
			return nil, fmt.Errorf("--recipients-file %s: %w", file, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// pluginUI lets an age plugin (a hardware key, say) show messages and ask
// for a PIN or a touch on the terminal.
func pluginUI(e *env) *plugin.ClientUI {
	say := func(format string, v ...any) { fmt.Fprintf(e.stderr, "dissent: "+format+"\n", v...) }
	return plugin.NewTerminalUI(say, say)
}

func runBackup(ctx context.Context, e *env, cfg config.Config, out string, rcpts []age.Recipient) error {
	// The database is opened read-only and not migrated: a backup made with
	// a newer binary must not change the schema under the running service.
	dialect, dsn := store.SQLite, cfg.SQLitePath()
	if cfg.Backend() == config.BackendPostgres {
		dialect, dsn = store.Postgres, cfg.DatabaseURL
	}
	if _, err := os.Stat(filepath.Join(keysDir(cfg), seal.RingFile)); dialect == store.SQLite && err != nil {
		return errNotInitializedIn(cfg)
	}
	db, err := store.OpenReadOnly(ctx, dialect, dsn)
	if errors.Is(err, os.ErrNotExist) {
		return errNotInitializedIn(cfg)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, err := hasAdmin(ctx, db); err != nil {
		return fmt.Errorf("%w: %v", errNotInitializedIn(cfg), err)
	} else if !ok {
		return errNotInitializedIn(cfg)
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("--out: %s already exists; name a new file", out)
	}
	keyring, err := os.ReadFile(filepath.Join(keysDir(cfg), seal.RingFile))
	if err != nil {
		return fmt.Errorf("read the keyring: %w", err)
	}
	identity, err := os.ReadFile(filepath.Join(keysDir(cfg), seal.IdentityFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the key identity: %w", err)
	}
	logKey, err := os.ReadFile(filepath.Join(logDir(cfg), logKeyFile))
	if err != nil {
		return fmt.Errorf("read the log's public key: %w", err)
	}
	var idFile string
	if len(rcpts) == 0 {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return fmt.Errorf("generate an identity: %w", err)
		}
		idFile = out + ".identity"
		content := fmt.Sprintf("# identity that decrypts the Dissent backup %s\n# public key: %s\n%s\n", filepath.Base(out), id.Recipient(), id)
		if err := writeNewFile(idFile, []byte(content), 0o600); err != nil {
			return fmt.Errorf("write the identity: %w", err)
		}
		rcpts = []age.Recipient{id.Recipient()}
	}
	tmp, err := os.OpenFile(out+".partial", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the archive: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
			if idFile != "" {
				os.Remove(idFile) // it decrypts nothing that exists
			}
		}
	}()
	w, err := backup.NewWriter(tmp, rcpts...)
	if err != nil {
		return err
	}
	if bar := newProgress(e.stderr, e.quiet, "backing up rows", -1); bar != nil {
		w.Progress = func(n int64) { _ = bar.Set64(n) }
		defer bar.Finish()
	}
	if err := w.File(backup.KeyringEntry, keyring); err != nil {
		return err
	}
	protection := "passphrase"
	if identity != nil {
		protection = "identity"
		if err := w.File(backup.IdentityEntry, identity); err != nil {
			return err
		}
	}
	if err := w.File(backup.LogKeyEntry, logKey); err != nil {
		return err
	}
	snap, err := db.Dump(ctx, w)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A key rotation that ran during the dump may have added a key the
	// snapshot uses after the keyring was read.
	if again, err := os.ReadFile(filepath.Join(keysDir(cfg), seal.RingFile)); err != nil || !bytes.Equal(again, keyring) {
		return errors.New("backup: the keys were rotated while the backup ran; run it again")
	}
	m := backup.Manifest{
		Created:       deploymentClock(cfg)().UTC(),
		SourceDialect: string(snap.Dialect),
		Schema:        snap.Schema,
		Log:           backup.Log{Size: snap.LogSize, Root: hex.EncodeToString(snap.LogRoot[:]), Checkpoint: string(snap.Checkpoint)},
		KEKs:          snap.KEKs,
		Keyring:       protection,
	}
	for _, t := range snap.Tables {
		m.Tables = append(m.Tables, backup.Table{Name: t.Name, Rows: t.Rows})
	}
	if err := w.Finish(m); err != nil {
		return err
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write the archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write the archive: %w", err)
	}
	done = true
	syncDir(filepath.Dir(out))
	var rows int64
	for _, t := range snap.Tables {
		rows += t.Rows
	}
	fmt.Fprintf(e.stdout, "Backed up %d tables (%d rows) and the keys to %s; audit log of %d entries, root %s.\n",
		len(snap.Tables), rows, out, snap.LogSize, hex.EncodeToString(snap.LogRoot[:]))
	if idFile != "" {
		fmt.Fprintf(e.stdout, "The archive is encrypted to a new age identity written to %s (mode 0600).\n", idFile)
		fmt.Fprintln(e.stdout, "Keep that file apart from the archive: without it the archive cannot be restored, and with it anyone can read it.")
	}
	if protection == "passphrase" {
		fmt.Fprintln(e.stdout, "The keyring is protected by a passphrase: restore needs DISSENT_KEY_PASSPHRASE.")
	}
	return nil
}

// clockOf is the deployment's clock (DISSENT_NOW moves it).
func deploymentClock(cfg config.Config) func() time.Time {
	if cfg.Now.IsZero() {
		return time.Now
	}
	return dissent.OffsetClock(cfg.Now, time.Now)
}

// writeNew writes a file that must not exist yet, and syncs it.
func writeNewFile(path string, data []byte, mode os.FileMode) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, werr := fh.Write(data)
	return errors.Join(werr, fh.Sync(), fh.Close())
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
