package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
)

// BenchmarkLogEntriesRead reads a kept log's entries (the tree directory
// bench/auditlog -keep leaves, named by DISSENT_BENCH_LOG) in Verify's
// chunks of 10,000, row by row and in one row per chunk, and reports the
// process's CPU time per entry (user + system, GC included): on a shared
// machine it moves less than the wall time. Run with -count to alternate.
func BenchmarkLogEntriesRead(b *testing.B) {
	dir := os.Getenv("DISSENT_BENCH_LOG")
	if dir == "" {
		b.Skip("DISSENT_BENCH_LOG not set")
	}
	ctx := context.Background()
	ring, err := seal.Load(filepath.Join(dir, "keys"), "")
	if err != nil {
		b.Fatal(err)
	}
	db, err := OpenSQLite(ctx, filepath.Join(dir, "dissent.db"), seal.New(ring))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const chunk = 10_000
	for _, way := range []struct {
		name string
		read func(t *txn, start, end int64) ([]dissent.LogEntry, error)
	}{
		{"rows", func(t *txn, start, end int64) ([]dissent.LogEntry, error) { return t.logEntriesRows(ctx, start, end) }},
		{"seq", func(t *txn, start, end int64) ([]dissent.LogEntry, error) {
			out, ok := t.logEntriesBySeq(ctx, start, end)
			if !ok {
				b.Fatal("declined")
			}
			return out, nil
		}},
	} {
		b.Run(way.name, func(b *testing.B) {
			err := db.View(ctx, func(tx dissent.Tx) error {
				size, err := tx.LogSize(ctx)
				if err != nil {
					return err
				}
				cpu0 := cpuTime(b)
				n := 0
				for i := 0; b.Loop(); i++ {
					start := int64(i*chunk) % (size - chunk)
					es, err := way.read(tx.(*txn), start, start+chunk)
					if err != nil {
						return err
					}
					n += len(es)
				}
				b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/entry")
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
