// Command auditlog measures the Merkle audit log, version 2 (internal/auditlog
// over internal/store on SQLite):
//
//   - appends per second through the store's real path (Tx.AppendEvent in
//     store.Update: a sealed, salted entry sequenced in the transaction, then
//     integrated by the writer at the end of its batch: leaf index and RFC 6962
//     stored hashes), three ways:
//     one event per Update from one goroutine (one commit each), one event per
//     Update from -concurrency goroutines (group commit), and -batch events
//     per Update;
//   - for each size in -sizes: the time to publish a checkpoint
//     (Log.Publish), the time of Log.Prove (an entry's inclusion proof, read
//     from the database, as GET /api/v1/log/proof and receipts do) at random
//     sequence numbers, and the time of a full Log.Verify (every entry opened
//     under the log's key and checked against its commitment, every leaf and
//     tree hash recomputed and compared, every checkpoint checked, the log
//     replayed, every row of every recorded table compared with its digest).
//
// Large logs are set up through the store itself: -bulk-batch events per
// store.Update (default 10,000), so the entries are sealed under the log's
// data key and integrated exactly as the product does it, and Log.Verify
// must accept them. That set-up is timed and printed but is not one of the
// measurements below. A few events are then appended on top through a
// reopened store. The bulk entries are system events shaped like the log's
// usual records (about 200 bytes of payload: kind, role, actor, a version
// and content hash), without a message, so that the replay has no message
// to compare and they write no recorded rows.
//
// Run it from the module's root:
//
//	go run ./bench/auditlog                           # appends, and 1e6 leaves
//	go run ./bench/auditlog -sizes 1000000,10000000   # also 1e7 (several minutes, ~3 GB of disk)
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // the driver cmd/dissent links

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/bench/internal/harness"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "auditlog: error: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	seqN, concN, batchN int
	concurrency, batch  int
	sizes               []int64
	proofs              int
	verify              bool
	dir                 string
	keep                bool
	cpuprofile          string
	memprofile          string
	verifyMax           int64
	verifyRange         bool
	bulkBatch           int
	reuse               string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	var sizes string
	fs := flag.NewFlagSet("auditlog", flag.ContinueOnError)
	fs.IntVar(&o.seqN, "seq-n", 2000, "events appended one per Update by one goroutine (0 skips)")
	fs.IntVar(&o.concN, "conc-n", 20000, "events appended one per Update by -concurrency goroutines (0 skips)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "goroutines for the concurrent appends")
	fs.IntVar(&o.batchN, "batch-n", 100000, "events appended -batch per Update (0 skips)")
	fs.IntVar(&o.batch, "batch", 1000, "events per Update in the batched appends")
	fs.StringVar(&sizes, "sizes", "1000000", "comma-separated tree sizes for the proof and verify measurements (empty skips)")
	fs.IntVar(&o.proofs, "proofs", 2000, "inclusion proofs timed at each size")
	fs.BoolVar(&o.verify, "verify", true, "time a full Log.Verify at each size up to -verify-max")
	fs.Int64Var(&o.verifyMax, "verify-max", 1_000_000, "largest size at which Log.Verify is timed")
	fs.BoolVar(&o.verifyRange, "verify-range", true, "also time a bench-only re-implementation of Verify's hash check that reads stored hashes by index range instead")
	fs.IntVar(&o.bulkBatch, "bulk-batch", 10_000, "events per store.Update when setting up the large logs")
	fs.StringVar(&o.dir, "dir", "", "parent of the temporary directory (default: the system's); the disk under test")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&o.reuse, "reuse", "", "time only Log.Verify on a tree directory kept by an earlier run (-keep): tree-N under the kept directory")
	fs.StringVar(&o.cpuprofile, "verify-cpuprofile", "", "write a CPU profile of Log.Verify (the last size) to this file")
	fs.StringVar(&o.memprofile, "verify-memprofile", "", "write a profile of what Log.Verify (the last size) allocated to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(sizes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		f, err := strconv.ParseFloat(s, 64) // accepts 1e6
		if err != nil || f < 1 {
			return fmt.Errorf("-sizes: bad size %q", s)
		}
		o.sizes = append(o.sizes, int64(f))
	}
	if o.seqN < 0 || o.concN < 0 || o.batchN < 0 || o.concurrency < 1 || o.batch < 1 || o.proofs < 1 || o.bulkBatch < 1 {
		return errors.New("counts must not be negative; -concurrency, -batch, -bulk-batch and -proofs must be positive")
	}
	if o.reuse != "" {
		fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s %s/%s, reusing %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, o.reuse)
		fmt.Fprintf(stdout, "load average at start: %s\n\n", loadAverage())
		db, l, err := openLog(ctx, o.reuse)
		if err != nil {
			return err
		}
		defer db.Close()
		var size int64
		if err := db.View(ctx, func(tx dissent.Tx) (err error) { size, err = tx.LogSize(ctx); return err }); err != nil {
			return err
		}
		return timeVerify(ctx, o, l, size, stdout)
	}
	dir, err := os.MkdirTemp(o.dir, "dissent-auditlog-")
	if err != nil {
		return err
	}
	if o.keep {
		defer fmt.Fprintf(stdout, "\nkept %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s %s/%s, temp dir %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, dir)
	fmt.Fprintf(stdout, "load average at start: %s\n\n", loadAverage())

	if o.seqN+o.concN+o.batchN > 0 {
		fmt.Fprintln(stdout, "| appends | events | Updates | seconds | events/s | Update p50 ms | p99 ms | max ms |")
		fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, m := range []struct {
			name            string
			n, workers, per int
		}{
			{"one per Update, 1 goroutine", o.seqN, 1, 1},
			{fmt.Sprintf("one per Update, %d goroutines (group commit)", o.concurrency), o.concN, o.concurrency, 1},
			{fmt.Sprintf("%d per Update, 1 goroutine", o.batch), o.batchN, 1, o.batch},
		} {
			if m.n == 0 {
				continue
			}
			r, err := appends(ctx, filepath.Join(dir, "appends-"+strconv.Itoa(m.workers)+"-"+strconv.Itoa(m.per)), m.n, m.workers, m.per)
			if err != nil {
				return fmt.Errorf("appends (%s): %w", m.name, err)
			}
			fmt.Fprintf(stdout, "| %s | %d | %d | %.2f | %.0f | %s | %s | %s |\n", m.name, r.events, len(r.lat), r.elapsed.Seconds(),
				float64(r.events)/r.elapsed.Seconds(), ms(pct(r.lat, 0.5)), ms(pct(r.lat, 0.99)), ms(pct(r.lat, 1)))
		}
		fmt.Fprintln(stdout)
	}

	for _, size := range o.sizes {
		if err := atSize(ctx, o, filepath.Join(dir, "tree-"+strconv.FormatInt(size, 10)), size, stdout); err != nil {
			return fmt.Errorf("size %d: %w", size, err)
		}
	}
	fmt.Fprintf(stdout, "load average at end: %s\n", loadAverage())
	return nil
}

type appendResult struct {
	events  int
	elapsed time.Duration
	lat     []time.Duration // per Update, sorted
}

// openLog opens the store and the log in dir as cmd/dissent does. The
// keyring is kept in dir/keys (made on first use), so that a kept tree can be
// verified again with -reuse.
func openLog(ctx context.Context, dir string) (*store.DB, *auditlog.Log, error) {
	keys := filepath.Join(dir, "keys")
	ring, err := seal.Load(keys, "")
	if errors.Is(err, os.ErrNotExist) {
		ring, err = seal.Create(keys, "", "bench.auditlog/log")
	}
	if err != nil {
		return nil, nil, err
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "dissent.db"), seal.New(ring))
	if err != nil {
		return nil, nil, err
	}
	name, key := ring.LogKey()
	l, err := auditlog.New(db, name, key, dir, time.Now)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, l, nil
}

// event is an unprotected system event of the log's usual size, shaped like
// a signature's (a version and a content hash) but without a message.
func event(i int) dissent.Event {
	h := sha256.Sum256([]byte(strconv.Itoa(i)))
	return dissent.Event{At: time.Now(), ActorID: dissent.PersonID(1 + i%5000), ActorRole: dissent.RoleEmployee, Kind: "bench.event",
		Detail: "version 1 " + hex.EncodeToString(h[:])}
}

func appends(ctx context.Context, dir string, n, workers, per int) (appendResult, error) {
	db, _, err := openLog(ctx, dir)
	if err != nil {
		return appendResult{}, err
	}
	defer db.Close()
	updates := (n + per - 1) / per
	lat := make([]time.Duration, updates)
	var mu sync.Mutex
	var firstErr error
	next := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				u := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if u >= updates || stop || ctx.Err() != nil {
					return
				}
				lo, hi := u*per, min((u+1)*per, n)
				t0 := time.Now()
				err := db.Update(ctx, func(tx dissent.Tx) error {
					for i := lo; i < hi; i++ {
						if err := tx.AppendEvent(ctx, event(i)); err != nil {
							return err
						}
					}
					return nil
				})
				lat[u] = time.Since(t0)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return appendResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return appendResult{}, err
	}
	var size int64
	if err := db.View(ctx, func(tx dissent.Tx) error {
		var err error
		size, err = tx.LogSize(ctx)
		return err
	}); err != nil {
		return appendResult{}, err
	}
	if size != int64(n) {
		return appendResult{}, fmt.Errorf("log holds %d leaves after %d appends", size, n)
	}
	slices.Sort(lat)
	return appendResult{events: n, elapsed: elapsed, lat: lat}, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// extra is how many events are appended through the store on top of a
// bulk-built tree.
const extra = 100

func atSize(ctx context.Context, o options, dir string, size int64, stdout io.Writer) error {
	fmt.Fprintf(stdout, "## %d leaves\n\n", size)
	bulk := size - extra
	if bulk < 0 {
		bulk = 0
	}
	db, _, err := openLog(ctx, dir)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := bulkBuild(ctx, db, bulk, o.bulkBatch); err != nil {
		db.Close()
		return fmt.Errorf("bulk build: %w", err)
	}
	d := time.Since(t0)
	fmt.Fprintf(stdout, "set-up: %d entries appended through the store, %d per Update, in %.1f s = %.0f entries/s (not measured below)\n",
		bulk, o.bulkBatch, d.Seconds(), float64(bulk)/d.Seconds())
	if err := db.Close(); err != nil {
		return err
	}

	db, l, err := openLog(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	t0 = time.Now()
	err = db.Update(ctx, func(tx dissent.Tx) error {
		for i := bulk; i < size; i++ {
			if err := tx.AppendEvent(ctx, event(int(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append through the store: %w", err)
	}
	fmt.Fprintf(stdout, "appended %d events through the store on top, in one Update: %.1f ms\n", size-bulk, ms64(time.Since(t0)))
	if fi, err := os.Stat(filepath.Join(dir, "dissent.db")); err == nil {
		fmt.Fprintf(stdout, "database file: %.0f MB\n", float64(fi.Size())/1e6)
	}

	t0 = time.Now()
	signed, err := l.Publish(ctx)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	fmt.Fprintf(stdout, "Log.Publish (integrate, tree hash, sign, store, write file): %.1f ms\n", ms64(time.Since(t0)))
	root, err := rootOf(signed)
	if err != nil {
		return err
	}

	// Inclusion proofs of entries at random sequence numbers (on SQLite
	// 1..size, one writer), each checked afterwards against the published
	// checkpoint's root.
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	lat := make([]time.Duration, o.proofs)
	proofs := make([]dissent.Proof, o.proofs)
	seqs := make([]int64, o.proofs)
	t0 = time.Now()
	for i := range o.proofs {
		seqs[i] = 1 + rng.Int64N(size)
		s := time.Now()
		p, err := l.Prove(ctx, seqs[i])
		lat[i] = time.Since(s)
		if err != nil {
			return fmt.Errorf("prove entry %d: %w", seqs[i], err)
		}
		proofs[i] = p
	}
	total := time.Since(t0)
	for i, p := range proofs {
		if len(p.Entries) != 1 || !bytes.Equal(p.Checkpoint, signed) {
			return fmt.Errorf("proof of entry %d: %d entries, or not against the published checkpoint", seqs[i], len(p.Entries))
		}
		e := p.Entries[0]
		rp := make(tlog.RecordProof, len(e.Proof))
		for j, h := range e.Proof {
			copy(rp[j][:], h)
		}
		if err := tlog.CheckRecord(rp, size, root, e.LeafIndex, tlog.RecordHash(dissent.EntryCommitment(e.EntrySalt, e.Entry))); err != nil {
			return fmt.Errorf("proof of entry %d (leaf %d) does not verify: %w", seqs[i], e.LeafIndex, err)
		}
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "Log.Prove, %d random entries (each proof of %d hashes checked afterwards): %.0f proofs/s; p50 %s ms, p99 %s ms, max %s ms\n",
		o.proofs, len(proofs[0].Entries[0].Proof), float64(o.proofs)/total.Seconds(), ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), ms(pct(lat, 1)))

	if o.verifyRange {
		t0 = time.Now()
		if err := verifyByRange(ctx, filepath.Join(dir, "dissent.db"), size, root); err != nil {
			return fmt.Errorf("verify by range: %w", err)
		}
		d := time.Since(t0)
		fmt.Fprintf(stdout, "bench-only hash check reading stored hashes by range (not the product's Verify): %.1f s for %d leaves = %.1f s per million\n",
			d.Seconds(), size, d.Seconds()/float64(size)*1e6)
	}
	if o.verify && size <= o.verifyMax {
		if err := timeVerify(ctx, o, l, size, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout)
	return nil
}

// timeVerify times a full Log.Verify of a log of size entries.
func timeVerify(ctx context.Context, o options, l *auditlog.Log, size int64, stdout io.Writer) error {
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	if o.memprofile != "" {
		runtime.MemProfileRate = 64 << 10
	}
	t0 := time.Now()
	cpu0 := harness.SelfCPU()
	rep, err := l.Verify(ctx, nil)
	d := time.Since(t0)
	cpu := harness.SelfCPU() - cpu0
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if o.memprofile != "" {
		f, err := os.Create(o.memprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	if rep.Leaves != size {
		return fmt.Errorf("verify saw %d leaves, want %d", rep.Leaves, size)
	}
	fmt.Fprintf(stdout, "Log.Verify: %.1f s for %d entries = %.1f s per million (%.0f entries/s); %.0f MB allocated; %d rows compared\n",
		d.Seconds(), size, d.Seconds()/float64(size)*1e6, float64(size)/d.Seconds(), float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e6, rep.Rows)
	fmt.Fprintf(stdout, "Log.Verify CPU (process user+system, GC included): %.1f s = %.1f µs per entry (%.0f entries per CPU-second); load average now %s\n",
		cpu.Seconds(), float64(cpu.Microseconds())/float64(size), float64(size)/cpu.Seconds(), loadAverage())
	return nil
}

// verifyByRange does what Log.Verify does to the commitments and the stored
// hashes (recompute every stored hash from the commitments, compare with the
// stored ones, compare the root), but reads the stored hashes of each chunk
// with one range query rather than IN lists of their indexes. It is a
// measurement of the tree check alone, not the product's verification: it
// neither opens nor decodes the sealed entries, and skips the checkpoints'
// signatures, the checkpoint file, the replay and the row digests.
func verifyByRange(ctx context.Context, path string, size int64, root tlog.Hash) error {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "query_only(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	mem := make([]tlog.Hash, 0, tlog.StoredHashCount(size))
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = mem[x]
		}
		return out, nil
	})
	const chunk = 10_000
	for start := int64(0); start < size; start += chunk {
		end := min(start+chunk, size)
		rows, err := tx.QueryContext(ctx, `SELECT leaf, commitment FROM log_entries WHERE leaf >= $1 AND leaf < $2 ORDER BY leaf`, start, end)
		if err != nil {
			return err
		}
		n := start
		for rows.Next() {
			var idx int64
			var data []byte
			if err := rows.Scan(&idx, &data); err != nil {
				rows.Close()
				return err
			}
			if idx != n {
				rows.Close()
				return fmt.Errorf("leaf %d missing", n)
			}
			hs, err := tlog.StoredHashes(n, data, r)
			if err != nil {
				rows.Close()
				return err
			}
			mem = append(mem, hs...)
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n != end {
			return fmt.Errorf("leaf %d missing", n)
		}
		lo, hi := tlog.StoredHashIndex(0, start), int64(len(mem))
		hrows, err := tx.QueryContext(ctx, `SELECT idx, hash FROM log_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx`, lo, hi)
		if err != nil {
			return err
		}
		x := lo
		for hrows.Next() {
			var idx int64
			var h []byte
			if err := hrows.Scan(&idx, &h); err != nil {
				hrows.Close()
				return err
			}
			if idx != x || !bytes.Equal(h, mem[x][:]) {
				hrows.Close()
				return fmt.Errorf("stored hash %d differs", x)
			}
			x++
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			return err
		}
		if x != hi {
			return fmt.Errorf("stored hash %d missing", x)
		}
	}
	got, err := tlog.TreeHash(size, r)
	if err != nil {
		return err
	}
	if got != root {
		return errors.New("root differs from the checkpoint")
	}
	return nil
}

func rootOf(signed []byte) (tlog.Hash, error) {
	// The checkpoint's body: origin, size, base64 root hash, blank line, signatures.
	lines := strings.Split(string(signed), "\n")
	if len(lines) < 3 {
		return tlog.Hash{}, errors.New("short checkpoint")
	}
	return tlog.ParseHash(lines[2])
}

// bulkBuild appends n events through the store, per events per Update: the
// product's path (sealed entries, integrated by the writer at the end of
// each batch).
func bulkBuild(ctx context.Context, db *store.DB, n int64, per int) error {
	for start := int64(0); start < n; start += int64(per) {
		end := min(start+int64(per), n)
		err := db.Update(ctx, func(tx dissent.Tx) error {
			for i := start; i < end; i++ {
				if err := tx.AppendEvent(ctx, event(int(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", ms64(d)) }

func ms64(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
