package harness

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// NewPostgresDatabase creates a new, empty database on the PostgreSQL
// server at server (a postgres:// URL whose user may create databases) and
// returns its URL and a function that drops it.
func NewPostgresDatabase(ctx context.Context, server string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-postgres must be a postgres:// URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "dissent_bench_" + hex.EncodeToString(b[:])
	admin := func(stmt string) error {
		db, err := sql.Open("pgx", server)
		if err != nil {
			return err
		}
		defer db.Close()
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_, err = db.ExecContext(c, stmt)
		return err
	}
	if err := admin(`CREATE DATABASE "` + name + `"`); err != nil {
		return "", nil, fmt.Errorf("create database %s on %s: %w", name, u.Redacted(), err)
	}
	u.Path = "/" + name
	return u.String(), func() { _ = admin(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`) }, nil
}
