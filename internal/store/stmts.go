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
// writer holds one connection (writerConn), on which a batch notes the
// statements it ran unprepared, and the writer prepares them on it between
// batches; later batches run them prepared (connStmts).
//
// The readers' connections keep statements prepared the same way: a read
// transaction notes what it ran unprepared, and a goroutine of the store's
// (prepareReads) prepares it on the pool, holding no connection while it
// waits for one; database/sql then prepares it once on each reader's
// connection that runs it, and reuses it there.
//
// Statements whose text varies with their arguments (a multi-row insert, a
// list of values) would fill the cache with statements run once: a
// statement is prepared only when it runs a second time, and when the cache
// is full the one used least recently makes room.
type stmtCache struct {
	mu     sync.Mutex
	ready  map[string]*cachedStmt
	seen   map[string]int  // statements run unprepared, and how often
	wanted map[string]bool // of those, the ones to prepare
	tick   uint64          // counts uses, to find the least recently used
	// kick, when not nil, is told that wanted has grown (the readers').
	kick chan struct{}
}

type cachedStmt struct {
	stmt *sql.Stmt
	used uint64
}

// maxStmts bounds the statements kept prepared and the unprepared ones
// remembered; queries with a list of values are never kept.
const maxStmts = 512

func newStmtCache() *stmtCache {
	return &stmtCache{ready: map[string]*cachedStmt{}, seen: map[string]int{}, wanted: map[string]bool{}}
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if s, ok := c.ready[query]; ok {
		s.used = c.tick
		return s.stmt
	}
	if c.wanted[query] || strings.Contains(query, " IN (") {
		return nil
	}
	if len(c.seen) >= maxStmts {
		c.seen = map[string]int{} // forget the statements run once
	}
	c.seen[query]++
	if c.seen[query] < 2 {
		return nil
	}
	delete(c.seen, query)
	c.wanted[query] = true
	if c.kick != nil {
		select {
		case c.kick <- struct{}{}:
		default: // already told
		}
	}
	return nil
}

// preparer prepares statements: the readers' pool (*sql.DB), or the
// writer's connection (*sql.Conn).
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// prepare prepares the statements batches asked for; the writer calls it
// between batches.
func (c *stmtCache) prepare(ctx context.Context, db preparer) {
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
			c.evictLocked()
			c.ready[q] = &cachedStmt{stmt: s, used: c.tick}
		}
		c.mu.Unlock()
	}
}

// evictLocked closes the least recently used statement if the cache is
// full. A transaction running it keeps its own reference (database/sql
// closes the statement when the last user is done).
func (c *stmtCache) evictLocked() {
	if len(c.ready) < maxStmts {
		return
	}
	var oldest string
	var at uint64
	for q, s := range c.ready {
		if oldest == "" || s.used < at {
			oldest, at = q, s.used
		}
	}
	c.ready[oldest].stmt.Close()
	delete(c.ready, oldest)
}

// prepareReads prepares the statements read transactions asked for, until
// quit is closed. It is the only goroutine that prepares on db.
func (c *stmtCache) prepareReads(db *sql.DB, quit <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-quit
		cancel()
	}()
	for {
		select {
		case <-quit:
			return
		case <-c.kick:
			c.prepare(ctx, db)
		}
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.ready {
		s.stmt.Close()
	}
	c.ready = map[string]*cachedStmt{}
}

// cached runs statements through a stmtCache: a statement the cache holds
// prepared runs prepared (as stmt hands it over), any other on q, unprepared.
type cached struct {
	q    querier
	stmt func(ctx context.Context, query string) *sql.Stmt
}

func (p cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.q.ExecContext(ctx, query, args...)
}

func (p cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.q.QueryContext(ctx, query, args...)
}

func (p cached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.q.QueryRowContext(ctx, query, args...)
}

// newPrepared runs a read transaction's statements through the readers'
// cache. Each cached statement is bound to the transaction once
// (Tx.StmtContext allocates and registers a statement of the transaction on
// every call).
func newPrepared(tx *sql.Tx, c *stmtCache) cached {
	var mu sync.Mutex
	bound := map[*sql.Stmt]*sql.Stmt{}
	return cached{q: tx, stmt: func(ctx context.Context, query string) *sql.Stmt {
		s := c.get(query)
		if s == nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		b, ok := bound[s]
		if !ok {
			b = tx.StmtContext(ctx, s)
			bound[s] = b
		}
		return b
	}}
}

// connStmts runs the SQLite writer's statements on its connection, through
// the writer's cache, whose statements are prepared on that connection.
// Unlike a statement in a *sql.Tx, whose rows database/sql watches with a
// goroutine of their own for the transaction's context
// (Rows.initContextClose: a goroutine started and woken for every query, 8 %
// of the server's CPU in the co-signing benchmark), a query on a *sql.Conn
// with a context that cannot be cancelled starts none.
func connStmts(conn *sql.Conn, c *stmtCache) cached {
	return cached{q: conn, stmt: func(_ context.Context, query string) *sql.Stmt { return c.get(query) }}
}
