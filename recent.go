package dissent

import (
	"slices"
	"sync"
)

// recent keeps the few entries of a cache used most recently, by key: the
// Service's kept statistics (statsCache) and inbox orders (orderCache).
type recent[K comparable, E any] struct {
	mu      sync.Mutex
	entries []keyed[K, E] // the most recently used first
}

type keyed[K comparable, E any] struct {
	key K
	e   E
}

func (c *recent[K, E]) get(k K) (E, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.entries {
		if x.key == k {
			return x.e, true
		}
	}
	var zero E
	return zero, false
}

// put keeps e under k, first among at most limit entries, unless the entry
// already kept under k is newer (newer(kept) is true): a slower request must
// not put back what an older snapshot computed.
func (c *recent[K, E]) put(k K, e E, limit int, newer func(kept E) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.IndexFunc(c.entries, func(x keyed[K, E]) bool { return x.key == k }); i >= 0 {
		if newer(c.entries[i].e) {
			return
		}
		c.entries = slices.Delete(c.entries, i, i+1)
	}
	c.entries = slices.Insert(c.entries, 0, keyed[K, E]{k, e})
	if len(c.entries) > limit {
		c.entries = c.entries[:limit]
	}
}
