package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newStmtCache()
	defer c.close()
	q := "SELECT 1 WHERE 1 = $1"
	if c.get(q) != nil {
		t.Fatal("a statement is prepared before it ran")
	}
	c.prepare(ctx, db)
	if c.get(q) != nil {
		t.Fatal("a statement run once was prepared")
	}
	c.prepare(ctx, db)
	s := c.get(q)
	if s == nil {
		t.Fatal("a statement run twice is not prepared")
	}
	var one int
	if err := s.QueryRowContext(ctx, 1).Scan(&one); err != nil || one != 1 {
		t.Fatalf("the prepared statement: %d, %v", one, err)
	}
	in := "SELECT 1 WHERE 1 IN ($1, $2)"
	for range 3 {
		c.get(in)
		c.prepare(ctx, db)
	}
	if c.get(in) != nil {
		t.Fatal("a statement with a list of values was prepared")
	}
	// Full: the least recently used statement makes room, the one in use stays.
	for i := range maxStmts + 10 {
		c.get(q)
		other := fmt.Sprintf("SELECT %d", i)
		c.get(other)
		c.get(other)
		c.prepare(ctx, db)
	}
	if len(c.ready) > maxStmts {
		t.Fatalf("%d statements kept, more than %d", len(c.ready), maxStmts)
	}
	if c.get(q) == nil {
		t.Fatal("the statement used all along was evicted")
	}
	if c.get("SELECT 0") != nil {
		t.Fatal("the least recently used statement was kept")
	}
	if len(c.seen) > maxStmts {
		t.Fatalf("%d unprepared statements remembered, more than %d", len(c.seen), maxStmts)
	}
}
