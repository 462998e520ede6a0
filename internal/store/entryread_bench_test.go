package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/store"
)

// BenchmarkLogEntriesRead reads a kept log's entries (the tree directory
// `bench/auditlog -keep` leaves, named by DISSENT_BENCH_LOG) with
// LogEntries, in Verify's chunks of 10,000 on one goroutine, and reports
// the process's CPU time per entry (user + system, GC included), which on
// a shared machine moves less than the wall time. It isolates the entry
// readers' work (reading the rows and opening the entries, 70 % of Verify)
// from the rest of Verify.
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
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "dissent.db"), seal.New(ring))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const chunk = 10_000
	err = db.View(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil || size <= chunk {
			b.Fatalf("log of %d entries: %v", size, err)
		}
		cpu0 := servicetest.CPUTime(b)
		n := 0
		for i := int64(0); b.Loop(); i++ {
			start := i * chunk % (size - chunk)
			es, err := tx.LogEntries(ctx, start, start+chunk)
			if err != nil {
				return err
			}
			n += len(es)
		}
		b.ReportMetric(float64(servicetest.CPUTime(b)-cpu0)/float64(n), "cpu-ns/entry")
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
