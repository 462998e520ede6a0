package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver that store.OpenPostgres opens
)

// PostgresEnv names the variable that holds the connection URL of the
// PostgreSQL server the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Its user
// must be allowed to create databases.
const PostgresEnv = "DISSENT_TEST_POSTGRES"

// PostgresServer returns the URL in DISSENT_TEST_POSTGRES. Without it the
// test is skipped, or fails when DISSENT_REQUIRE_E2E=1.
func PostgresServer(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		msg := "no PostgreSQL server: set " + PostgresEnv + " to a connection URL (postgres://USER@HOST:PORT/DB) to run this test on PostgreSQL"
		if os.Getenv("DISSENT_REQUIRE_E2E") == "1" {
			t.Fatal(msg + " (DISSENT_REQUIRE_E2E=1 makes its absence a failure)")
		}
		t.Skip(msg)
	}
	return u
}

// NewPostgresDatabase creates a new, empty database with a unique name on
// the server and returns its URL; the database is dropped when the test
// ends, after the cleanups registered later (such as closing the store).
func NewPostgresDatabase(t testing.TB, server string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	name := fmt.Sprintf("dissent_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	if err := adminExec(server, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	u.Path = "/" + name
	return u.String()
}

// dropDatabase drops a test database, its sessions ended (FORCE). A
// session the tests' role may not end (SQLSTATE 42501; most likely an
// autovacuum worker, which belongs to the superuser) failed the drop in a
// run of TestScaleOutRemindersOnce/postgres on the shared server: the drop
// is tried again while that is the error,
// for up to five seconds.
func dropDatabase(t testing.TB, server, name string) {
	t.Helper()
	var err error
	for range 50 {
		if err = adminExec(server, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err == nil || !strings.Contains(err.Error(), "42501") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// CopyPostgresDatabase returns the URL of a new database on server made as a
// copy of the database at from (CREATE DATABASE … TEMPLATE: nobody may be
// connected to it), dropped when the test ends.
func CopyPostgresDatabase(t testing.TB, server, from string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s must be a postgres:// URL", PostgresEnv)
	}
	f, err := url.Parse(from)
	if err != nil {
		t.Fatalf("database URL %s: %v", redacted(from), err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := fmt.Sprintf("dissent_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	src := strings.TrimPrefix(f.Path, "/")
	if err := adminExec(server, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE `+pgx.Identifier{src}.Sanitize()); err != nil {
		t.Fatalf("copy test database %s: %v", src, err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	u.Path = "/" + name
	return u.String()
}

// Postgres returns the URL of a new, empty database on the server named by
// DISSENT_TEST_POSTGRES (see PostgresServer and NewPostgresDatabase).
func Postgres(t testing.TB) string {
	t.Helper()
	return NewPostgresDatabase(t, PostgresServer(t))
}

func adminExec(server, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redacted(server), err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[" + PostgresEnv + "]"
	}
	return u.Redacted()
}
