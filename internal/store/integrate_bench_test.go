package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// BenchmarkIntegratePostgres times issue 17's critical section on
// PostgreSQL: the transaction that integrates a batch of pending entries
// into the tree under the log's advisory lock (auditlog.Log.Integrate's),
// from its begin to its commit, the lock held throughout. Appending the
// entries (in the requests' own transactions) is not timed. It reports the
// hold per entry and the entries per second one deployment can integrate
// at that hold (the ceiling of goal 2; a co-signature appends 1.0 to 2.0
// entries). Skipped without DISSENT_TEST_POSTGRES.
func BenchmarkIntegratePostgres(b *testing.B) {
	server := os.Getenv("DISSENT_TEST_POSTGRES")
	if server == "" {
		b.Skip("DISSENT_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	for _, batch := range []int{16, 64, 256, 1024} {
		b.Run("batch-"+strconv.Itoa(batch), func(b *testing.B) {
			db, err := store.OpenPostgres(ctx, storetest.NewPostgresDatabase(b, server), seal.New(seal.Generate("test")))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			var held time.Duration
			entries := 0
			for b.Loop() {
				b.StopTimer()
				err := db.Update(ctx, func(tx dissent.Tx) error {
					for i := range batch {
						if err := tx.AppendEvent(ctx, dissent.Event{At: t0, Kind: "bench.entry", Detail: strconv.Itoa(i)}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				var grew int64
				err = db.Update(ctx, func(tx dissent.Tx) error {
					lk := tx.(interface {
						LockLogIntegration(context.Context) (bool, error)
					})
					if got, err := lk.LockLogIntegration(ctx); err != nil || !got {
						return err
					}
					before, err := tx.LogSize(ctx)
					if err != nil {
						return err
					}
					after, err := tx.IntegrateLog(ctx, 4096)
					grew = after - before
					return err
				})
				held += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if grew != int64(batch) {
					b.Fatalf("integrated %d entries; want %d", grew, batch)
				}
				entries += batch
			}
			perEntry := float64(held.Microseconds()) / float64(entries)
			b.ReportMetric(perEntry, "µs-held/entry")
			b.ReportMetric(1e6/perEntry, "entries/s-ceiling")
		})
	}
}
