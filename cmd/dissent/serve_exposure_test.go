package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeArticlesDir: serve picks up the files of --articles-dir, once.
func TestServeArticlesDir(t *testing.T) {
	tmp := t.TempDir()
	data, articles := filepath.Join(tmp, "data"), filepath.Join(tmp, "articles")
	if err := os.Mkdir(articles, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"a.txt": "WASHINGTON — Officials said on Tuesday that the pause would continue.",
		"b.txt": "WASHINGTON —  Officials said on Tuesday\nthat the pause would continue.", // the same text
		"c.txt": "KABUL — Interpreters waited outside the embassy for a third day.",
	} {
		if err := os.WriteFile(filepath.Join(articles, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	initData(t, data)
	srv := startServe(t, nil, "--data", data, "--articles-dir", articles, "--exposure-interval", "1s")
	count := func() int {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "dissent.db")+"?mode=ro")
		if err != nil {
			return -1
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM articles WHERE source = 'directory'`).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	n := -1
	for range 100 {
		if n = count(); n == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 2 {
		t.Errorf("%d articles from the directory; want 2 (two texts, three files); stderr: %s", n, srv.stderr.String())
	}
	srv.stop(t)
}
