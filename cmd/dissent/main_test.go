package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

func TestMain(m *testing.M) {
	testscript.Main(removeAfter{m}, map[string]func(){"dissent": scriptDissent})
}

// scriptSchemaEnv names, in a script's environment, the directory holding
// the empty SQLite database the test process made (storetest.FreshSQLite).
const scriptSchemaEnv = "DISSENTTEST_SQLITE_SCHEMA"

// scriptScryptWorkFactor is the scrypt cost (log2 N) of the scripts'
// passphrase-protected keyrings.
const scriptScryptWorkFactor = 10

// scriptDissent is the `dissent` a script runs, in a process of its own:
// main, except that a new SQLite file is a copy of the test process's
// empty database, as in the tests' own process, instead of every
// migration run again (a second and a half under the race detector, for
// each init and restore of the scripts); and that a keyring protected by a
// passphrase costs 2^10 in scrypt, not age's 2^18 (seconds under the race
// detector for every opening): the scripts check how the passphrase is
// asked for and refused, not what it costs to guess.
func scriptDissent() {
	seal.LowerScryptCostInTests(scriptScryptWorkFactor)
	if dir := os.Getenv(scriptSchemaEnv); dir != "" {
		openSQLite = func(ctx context.Context, path string, sealer dissent.Sealer) (*store.DB, error) {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				if err := copySchema(dir, path); err != nil {
					return nil, err
				}
			}
			return store.OpenSQLite(ctx, path, sealer)
		}
	}
	main()
}

// copySchema copies the empty database in dir (dissent.db, and its -wal
// if any) to path.
func copySchema(dir, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, "dissent.db"+suffix))
		if suffix != "" && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy the tests' SQLite schema: %w", err)
		}
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// scriptSchema is the directory of the scripts' empty database, made
// before the tests run.
var scriptSchema string

// scriptSetup gives a script the empty database to copy.
func scriptSetup(env *testscript.Env) error {
	if scriptSchema == "" {
		return errors.New("no SQLite schema for the scripts (made in TestMain)")
	}
	env.Setenv(scriptSchemaEnv, scriptSchema)
	return nil
}

// removeAfter runs the tests, then removes what the package's tests share
// (the played story's template, see sqliteStory; the burst's, see
// sqliteBurst; the scripts' empty database).
type removeAfter struct{ m *testing.M }

func (r removeAfter) Run() int {
	// In the tests' own process (not in the `dissent` a script runs, which
	// makes one database), a new SQLite file is a copy of a schema made once,
	// not every migration run again: 1.5 s under the race detector for each
	// init, restore and demo the tests run in process.
	openSQLite = storetest.OpenSQLite
	dir, err := os.MkdirTemp("", "dissent-script-schema-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := storetest.WriteFreshSQLite(filepath.Join(dir, "dissent.db"), seal.New(seal.Generate("dissent.test/schema"))); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scriptSchema = dir
	code := r.m.Run()
	removeStoryTemplate()
	removeBurstTemplate()
	return code
}

// TestScripts runs the CLI scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata", Setup: scriptSetup})
}

// TestServe runs serve on a fresh data directory: it sets the deployment up,
// prints the administrator's link, answers /healthz and /readyz, warns about
// DISSENT_NOW, and shuts down when its context ends.
func TestServe(t *testing.T) {
	t.Chdir(t.TempDir()) // the documented default, ./dissent-data, is set up on first run
	data := "dissent-data"
	srv := startServe(t, map[string]string{"DISSENT_NOW": "2023-11-03T10:00:00-04:00"})
	if code, h, _ := srv.get("/readyz"); code != 200 || h.Get("X-Dissent-Clock") == "" {
		t.Errorf("/readyz: %d, clock warning %q", code, h.Get("X-Dissent-Clock"))
	}
	srv.stop(t)
	out := srv.stdout.String()
	if !strings.Contains(out, "/signin/link/dsl_") || !strings.Contains(out, "Dissent is serving on") {
		t.Errorf("serve's first run printed %q; want the administrator's one-time link and the address", out)
	}
	if !strings.Contains(srv.stderr.String(), "DISSENT_NOW") {
		t.Errorf("no warning about DISSENT_NOW in the log: %s", srv.stderr.String())
	}
	if fi, err := os.Stat(filepath.Join(data, "dissent.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
