// Command sealcost measures what encryption at rest costs on the co-signing
// path: it runs the same signing workload through a real dissent.Service on
// SQLite twice per round, once with the product's sealer (internal/seal:
// XChaCha20-Poly1305 under per-message data keys wrapped with AES-256-GCM,
// HMAC-SHA256 person tags) and once with plainSealer, a pass-through that
// implements dissent.Sealer without encrypting.
//
// plainSealer is a MEASUREMENT BASELINE ONLY. It lives in this benchmark's
// package main, is never linked into the product, and would defeat the
// product's security properties if it were.
//
// Each run builds a fresh store in its own temporary directory (store.OpenSQLite,
// auditlog.New, dissent.NewService, as cmd/dissent wires them, without
// HTTP), adds a drafter and -n co-signers, drafts -messages messages, invites
// the co-signers, and then times -n calls of Service.Sign made by
// -concurrency goroutines at once. Rounds alternate the two sealers (the
// order flips every round) so that a change in the machine's load affects
// both alike. At the end of each run it checks that each message's
// signature count is its drafter plus every successful signature.
//
// Run it from the module's root:
//
//	go run ./bench/sealcost -n 5000 -rounds 3
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the driver cmd/dissent links

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/bench/internal/harness"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

func main() { harness.Main("sealcost", run) }

type options struct {
	n           int
	messages    int
	concurrency int
	rounds      int
	dir         string
	cpuprofile  string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("sealcost", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 5000, "co-signatures per run")
	fs.IntVar(&o.messages, "messages", 1, "messages the co-signatures are spread over")
	fs.IntVar(&o.concurrency, "concurrency", 64, "goroutines calling Service.Sign at once")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs both sealers")
	fs.StringVar(&o.dir, "dir", "", "parent of the temporary directories (default: the system's); the disk under test")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the timed signing (all runs) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.n < 1 || o.messages < 1 || o.concurrency < 1 || o.rounds < 1 {
		return errors.New("-n, -messages, -concurrency and -rounds must be positive")
	}
	if (o.n+o.messages-1)/o.messages >= dissent.MaxSigners {
		return fmt.Errorf("-n %d over -messages %d exceeds %d co-signers a message", o.n, o.messages, dissent.MaxSigners-1)
	}
	fmt.Fprintf(stdout, "machine: %d CPUs (GOMAXPROCS %d), %s %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "load average at start: %s\n", loadAverage())
	fmt.Fprintf(stdout, "workload: %d Service.Sign calls on %d message(s), %d at once, %d round(s)\n\n", o.n, o.messages, o.concurrency, o.rounds)

	if o.cpuprofile != "" {
		profile = true
		defer func() {
			if profiling {
				pprof.StopCPUProfile()
			}
		}()
	}
	kinds := []string{"seal (XChaCha20-Poly1305)", "plain (pass-through baseline)"}
	results := map[string][]result{}
	fmt.Fprintln(stdout, "| round | sealer | ok | seconds | signatures/s | p50 ms | p90 ms | p99 ms | max ms |")
	fmt.Fprintln(stdout, "|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for r := 1; r <= o.rounds; r++ {
		order := []int{0, 1}
		if r%2 == 0 {
			order = []int{1, 0}
		}
		for _, k := range order {
			var s dissent.Sealer = seal.New(seal.Generate("bench.sealcost/log"))
			if k == 1 {
				s = plainSealer{}
			}
			res, err := runOnce(ctx, o, s)
			if err != nil {
				return fmt.Errorf("%s: %w", kinds[k], err)
			}
			results[kinds[k]] = append(results[kinds[k]], res)
			fmt.Fprintf(stdout, "| %d | %s | %d | %.2f | %.0f | %s | %s | %s | %s |\n", r, kinds[k], res.ok, res.elapsed.Seconds(), res.rate(),
				ms(res.p(0.50)), ms(res.p(0.90)), ms(res.p(0.99)), ms(res.p(1)))
		}
	}
	med := func(rs []result) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = r.rate()
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	sealed, plain := med(results[kinds[0]]), med(results[kinds[1]])
	fmt.Fprintf(stdout, "\nmedian signatures/s: sealed %.0f, plain %.0f; sealed/plain = %.2f (encryption costs %.0f %% of the plain rate)\n",
		sealed, plain, sealed/plain, 100*(1-sealed/plain))
	fmt.Fprintf(stdout, "load average at end: %s\n", loadAverage())
	return nil
}

// The CPU profile, if asked for, covers only the timed signing; each run
// appends to its own file (FILE, FILE.2, …).
var (
	profile, profiling bool
	profileRuns        int
)

func profileFile(name string) (*os.File, error) {
	profileRuns++
	if profileRuns > 1 {
		name += "." + fmt.Sprint(profileRuns)
	}
	return os.Create(name)
}

type result struct {
	ok      int
	elapsed time.Duration
	lat     []time.Duration // sorted
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(q*float64(len(r.lat))+0.5) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// runOnce builds a fresh deployment on sealer s and times the signatures.
func runOnce(ctx context.Context, o options, s dissent.Sealer) (result, error) {
	dir, err := os.MkdirTemp(o.dir, "dissent-sealcost-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(ctx, filepath.Join(dir, "dissent.db"), s)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	ring := seal.Generate("bench.sealcost/log") // only for the log's signing key
	name, key := ring.LogKey()
	alog, err := auditlog.New(db, name, key, filepath.Join(dir, "log"), time.Now)
	if err != nil {
		return result{}, err
	}
	svc := dissent.NewService(dissent.ServiceConfig{
		Store: db, AuditLog: alog,
		Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
			return deadline.New(loc, closures)
		},
	})
	if _, err := svc.AddOrg(ctx, dissent.System, dissent.OrgInput{ID: "state", Name: "Department of State"}); err != nil {
		return result{}, fmt.Errorf("add org: %w", err)
	}
	in := make([]dissent.PersonInput, 0, o.n+1)
	in = append(in, dissent.PersonInput{Email: "drafter@state.example", Name: "Drafter", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}})
	for i := range o.n {
		in = append(in, dissent.PersonInput{Email: fmt.Sprintf("signer%05d@state.example", i), Name: fmt.Sprintf("Signer %d", i), OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}})
	}
	people, err := svc.AddPeople(ctx, dissent.System, in)
	if err != nil {
		return result{}, fmt.Errorf("add people: %w", err)
	}
	drafter := dissent.Actor{Person: people[0].Person}
	signers := people[1:]

	// Message j is signed by signers j, j+messages, j+2*messages, …
	msgs := make([]dissent.Message, o.messages)
	for j := range msgs {
		m, err := svc.CreateMessage(ctx, drafter, dissent.Draft{Title: fmt.Sprintf("Benchmark message %d", j),
			Summary: "What encryption at rest costs co-signing.", Body: "A body of a few sentences, sealed like any other. " +
				"It is read (and so opened) by every signature's transaction."})
		if err != nil {
			return result{}, fmt.Errorf("create message: %w", err)
		}
		var emails []string
		for i := j; i < len(signers); i += o.messages {
			emails = append(emails, signers[i].Email)
		}
		if _, err := svc.Invite(ctx, drafter, m.ID, emails); err != nil {
			return result{}, fmt.Errorf("invite: %w", err)
		}
		msgs[j] = m
	}

	lat := make([]time.Duration, o.n)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	if profile {
		f, err := profileFile(o.cpuprofile)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		profiling = true
	}
	start := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.n || ctx.Err() != nil {
					return
				}
				m := msgs[i%o.messages]
				t0 := time.Now()
				_, err := svc.Sign(ctx, dissent.Actor{Person: signers[i].Person}, m.ID, m.ContentHash, 0)
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if profiling {
		pprof.StopCPUProfile()
		profiling = false
	}
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	if f := failed.Load(); f > 0 {
		return result{}, fmt.Errorf("%d of %d signatures failed; the first: %v", f, o.n, firstErr.Load())
	}
	// Check: every message counts its drafter and each of its co-signers.
	for j, m := range msgs {
		got, err := svc.GetMessage(ctx, drafter, m.ID)
		if err != nil {
			return result{}, fmt.Errorf("check: %w", err)
		}
		want := 1 + (o.n-j+o.messages-1)/o.messages
		if got.SignatureCount != want {
			return result{}, fmt.Errorf("check: message %d counts %d signatures, want %d", j, got.SignatureCount, want)
		}
	}
	slices.Sort(lat)
	return result{ok: o.n, elapsed: elapsed, lat: lat}, nil
}

// plainSealer implements dissent.Sealer WITHOUT ENCRYPTING: Seal and Open
// copy their input, data keys are constant, and a person's tag is their id.
// It is a measurement baseline for this benchmark only, to isolate what the
// cryptography costs; it is never used by the product. Its values and tags
// have the widths that matter to the database (a 32-byte tag, like
// HMAC-SHA256's), but its "ciphertexts" are 41 bytes shorter than the real
// envelope (version byte, 24-byte nonce, 16-byte tag).
type plainSealer struct{}

var _ dissent.Sealer = plainSealer{}

func (plainSealer) NewDataKey() (dissent.WrappedKey, error) {
	return dissent.WrappedKey{KEKID: "plain", Wrapped: make([]byte, 60)}, nil
}

func (plainSealer) Seal(_ dissent.WrappedKey, _ dissent.AD, plaintext []byte) ([]byte, error) {
	return append([]byte{}, plaintext...), nil
}

func (plainSealer) Open(_ dissent.WrappedKey, _ dissent.AD, ciphertext []byte) ([]byte, error) {
	return append([]byte{}, ciphertext...), nil
}

func (plainSealer) Rewrap(k dissent.WrappedKey) (dissent.WrappedKey, error) { return k, nil }

func (plainSealer) ActiveKEK() string { return "plain" }

func (plainSealer) Tag(id dissent.MessageID, p dissent.PersonID) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(id+"\x00"), uint64(p)))
	return h[:]
}

func (plainSealer) Locator(p dissent.PersonID, i int) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte("locator"), uint64(p)), uint64(i)))
	return h[:]
}

func (plainSealer) Pseudonym(salt []byte, p dissent.PersonID) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(append([]byte("pseudonym"), salt...), uint64(p)))
	return h[:]
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) < 14 {
		return "unknown"
	}
	f := string(b)
	n := 0
	for i, c := range f {
		if c == ' ' {
			n++
			if n == 3 {
				return f[:i]
			}
		}
	}
	return f
}
