package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps the SQLite writer's statements prepared across
// transactions: the driver parses a statement each time it is run unless it
// is prepared, and parsing was a third of the CPU of a co-signature. The
// writer has one connection, held by the batch's transaction, so a statement
// cannot be prepared while a batch runs: a batch notes the statements it ran
// unprepared, and the writer prepares them between batches, when the
// connection is free; later batches run them through Tx.StmtContext, which
// reuses the statement prepared on that connection.
type stmtCache struct {
	mu     sync.Mutex
	ready  map[string]*sql.Stmt
	wanted map[string]bool
}

// maxStmts bounds the statements kept prepared; queries whose text varies
// (lists of parameters) are not kept.
const maxStmts = 512

func newStmtCache() *stmtCache {
	return &stmtCache{ready: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.ready[query]; ok {
		return s
	}
	if len(c.ready)+len(c.wanted) < maxStmts && !strings.Contains(query, " IN (") {
		c.wanted[query] = true
	}
	return nil
}

// prepare prepares the statements batches asked for; the writer calls it
// between batches.
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = map[string]bool{}
	c.mu.Unlock()
	for q := range wanted {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue // run unprepared, as before
		}
		c.mu.Lock()
		if _, ok := c.ready[q]; ok {
			s.Close()
		} else {
			c.ready[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.ready {
		s.Close()
	}
	c.ready = map[string]*sql.Stmt{}
}

// prepared runs a transaction's statements through the cache.
type prepared struct {
	tx *sql.Tx
	c  *stmtCache
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.c.get(query); s != nil {
		return p.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.c.get(query); s != nil {
		return p.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.c.get(query); s != nil {
		return p.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}
