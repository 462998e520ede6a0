package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dissent-channel/dissent/internal/store/storetest"
)

func TestMain(m *testing.M) {
	testscript.Main(removeAfter{m}, map[string]func(){"dissent": main})
}

// removeAfter runs the tests, then removes what the package's tests share
// (the played story's template, see sqliteStory).
type removeAfter struct{ m *testing.M }

func (r removeAfter) Run() int {
	// In the tests' own process (not in the `dissent` a script runs, which
	// makes one database), a new SQLite file is a copy of a schema made once,
	// not every migration run again: 1.5 s under the race detector for each
	// init, restore and demo the tests run in process.
	openSQLite = storetest.OpenSQLite
	code := r.m.Run()
	removeStoryTemplate()
	return code
}

// TestScripts runs the CLI scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
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
