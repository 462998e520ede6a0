package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// TestPostgresCommands: --db postgres://… on init, org add and user add, with
// the keys in the data directory; init detects a database that already holds
// a deployment, and the other commands one that holds none.
func TestPostgresCommands(t *testing.T) {
	db := storetest.Postgres(t)
	data := filepath.Join(t.TempDir(), "data")
	dissent := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--data", data, "--db", db), strings.NewReader(""), &out, &out, func(string) string { return "" })
		if err != nil {
			out.WriteString(err.Error())
		}
		return out.String(), err
	}
	if out, err := dissent("org", "add", "--id", "state", "--name", "State"); err == nil || !strings.Contains(out, "no deployment") {
		t.Errorf("org add before init: %v, %q; want no deployment", err, out)
	}
	if out, err := dissent("serve", "--addr", "127.0.0.1:0"); !errors.Is(err, errNotInitialized) {
		t.Errorf("serve --db on a database never set up: %v, %q; want it refused, naming init", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, lockFile)); err == nil {
		t.Error("serve on PostgreSQL took the SQLite data directory's lock")
	}
	out, err := dissent("init")
	if err != nil || !strings.Contains(out, "/signin/link/dsl_") {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, "dissent.db")); err == nil {
		t.Error("init with --db postgres:// made a SQLite file in the data directory")
	}
	if out, err := dissent("init"); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("second init: %v, %q; want a deployment already exists", err, out)
	}
	if out, err := dissent("org", "add", "--id", "state", "--name", "State"); err != nil {
		t.Errorf("org add: %v\n%s", err, out)
	}
	out, err = dissent("user", "add", "--email", "a@state.example", "--name", "A", "--org", "state", "--role", "employee", "--token")
	if err != nil || !strings.Contains(out, "dsn_") {
		t.Errorf("user add --token: %v\n%s", err, out)
	}
}
