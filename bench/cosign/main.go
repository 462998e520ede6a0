// Command cosign measures co-signing throughput over HTTP against the raw
// speed of durable SQLite inserts on the same disk, and on PostgreSQL with
// one and with two instances.
//
// It builds ./cmd/dissent, makes a fresh deployment in a temporary directory
// (`dissent init`, `org add`, `user import --tokens-out`), starts `dissent
// serve` on a loopback port, drafts the messages and invites the co-signers
// through the API, and then times -n calls of POST
// /api/v1/messages/{id}/signatures made by -concurrency clients at once. In
// the same run, on the same file system, it times single-row durable INSERT
// transactions (WAL, synchronous=FULL, as internal/store opens SQLite) with
// database/sql and modernc.org/sqlite: one writer in sequence, and
// -concurrency goroutines each committing its own transaction. At the end it
// checks that each message's signature_count is its drafter plus every
// signature that was answered with success.
//
// With -postgres URL (a server whose user may create databases) it then
// runs the same load again for each count of -pg-instances (default 1 and
// 2), each on a fresh database it creates on that server, with that many
// `dissent serve` instances on one database, the requests alternating
// between them; it prints all the rows and their ratios (issue 6). For each
// PostgreSQL run it also reads the instances' /metrics before and after the
// signing and reports the audit log's integration, the one section the
// instances run one at a time (under an advisory lock held to the commit):
// how long the lock was held per batch and per entry integrated, and the
// rate that bounds (issue 17).
//
// Run it from the module's root:
//
//	go run ./bench/cosign -n 5000
//	go run ./bench/cosign -n 3000 -concurrency 32 -postgres postgres://postgres@127.0.0.1:5432/postgres
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the raw baseline's driver, the one cmd/dissent links

	"github.com/dissent-channel/dissent/bench/internal/harness"
)

// A message carries at most 10,000 signatures, its drafter's included.
const maxCosigners = 9_999

func main() { harness.Main("cosign", run) }

type options struct {
	n           int
	concurrency int
	signers     int
	messages    int
	rawDuration time.Duration
	bin         string
	dir         string
	keep        bool
	warmTokens  bool
	profile     string // server CPU profile of the signing alone
	postgres    string
	pgInstances []int
}

// target is one configuration the signing load runs against.
type target struct {
	name      string
	postgres  bool   // a fresh database on -postgres, else SQLite in the data directory
	db        string // its URL, once made
	instances int    // `dissent serve` processes sharing the database; requests alternate between them
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("cosign", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 5000, "total number of co-signatures to make")
	fs.IntVar(&o.concurrency, "concurrency", 64, "co-signers (HTTP clients, and raw SQLite goroutines) at work at once")
	fs.IntVar(&o.signers, "signers", 0, "distinct people who co-sign (default -n: everyone signs once)")
	fs.IntVar(&o.messages, "messages", 0, "messages to sign (default: as few as the 9,999 co-signers a message allows and -signers permit)")
	fs.DurationVar(&o.rawDuration, "raw-duration", 5*time.Second, "how long to run each raw SQLite baseline (0 skips them)")
	fs.StringVar(&o.bin, "bin", "", "dissent binary to use (default: build ./cmd/dissent)")
	fs.StringVar(&o.dir, "dir", "", "parent of the temporary directory (default: the system's); the disk under test")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data, logs) for inspection")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL server URL (postgres://USER@HOST:PORT/DB, a user who may create databases): also run\nthe load on PostgreSQL with one and with two `dissent serve` instances, each on a fresh database,\nright after SQLite in the same run")
	pgInst := fs.String("pg-instances", "1,2", "with -postgres: the numbers of `dissent serve` instances to run on PostgreSQL, one fresh database each")
	fs.BoolVar(&o.warmTokens, "warm-tokens", false, "use every co-signer's token once (GET /api/v1/me) before the clock starts, so that the\nserver's once-an-hour record of a token's use (a write with an audit-log leaf) falls outside the measurement")
	fs.StringVar(&o.profile, "server-profile", "", "after the set-up, restart the server with DISSENT_CPUPROFILE=`FILE`, so that FILE holds a CPU profile\nof the signing alone on SQLite (and FILE.postgres of PostgreSQL's one-instance run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, f := range strings.Split(*pgInst, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 || k > 16 {
			return fmt.Errorf("-pg-instances %q: want a comma-separated list of instance counts from 1 to 16", *pgInst)
		}
		o.pgInstances = append(o.pgInstances, k)
	}
	if o.n < 1 || o.concurrency < 1 || o.signers < 0 || o.messages < 0 {
		return errors.New("-n and -concurrency must be positive; -signers and -messages not negative")
	}
	if o.signers == 0 {
		o.signers = o.n
	}
	need := max(ceilDiv(o.n, o.signers), ceilDiv(o.n, maxCosigners))
	if o.messages == 0 {
		o.messages = need
	}
	if o.messages < need {
		return fmt.Errorf("-n %d signatures need at least %d messages with %d signers (a message takes at most %d co-signers; a person signs a message once)",
			o.n, need, o.signers, maxCosigners)
	}
	if ceilDiv(o.n, o.messages) > maxCosigners {
		return fmt.Errorf("-n %d over -messages %d exceeds %d co-signers a message", o.n, o.messages, maxCosigners)
	}

	dir, err := os.MkdirTemp(o.dir, "dissent-cosign-")
	if err != nil {
		return fmt.Errorf("make temporary directory: %w", err)
	}
	if o.keep {
		defer fmt.Fprintf(stdout, "\nkept %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	fmt.Fprintf(stdout, "machine: %s\n", harness.Machine(dir))
	fmt.Fprintf(stdout, "load average at start: %s\n", harness.LoadAverage())
	fmt.Fprintf(stdout, "workload: %d co-signatures on %d message(s) by %d people, %d at once\n\n", o.n, o.messages, o.signers, o.concurrency)

	var rows []row
	if o.rawDuration > 0 {
		for _, v := range []struct {
			name         string
			writers, cns int
		}{
			{"raw SQLite, 1 writer, sequential", 1, 1},
			{fmt.Sprintf("raw SQLite, %d goroutines, 1 connection", o.concurrency), o.concurrency, 1},
			{fmt.Sprintf("raw SQLite, %d goroutines, %d connections", o.concurrency, o.concurrency), o.concurrency, o.concurrency},
		} {
			fmt.Fprintf(stdout, "running %s for %s...\n", v.name, o.rawDuration)
			r, err := rawInserts(ctx, dir, v.writers, v.cns, o.rawDuration)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			r.name = v.name
			rows = append(rows, r)
		}
	}

	raws := len(rows)
	if o.bin == "" {
		fmt.Fprintln(stdout, "building ./cmd/dissent...")
		if o.bin, err = harness.BuildDissent(ctx, dir); err != nil {
			return err
		}
	}
	targets := []target{{name: "SQLite", instances: 1}}
	if o.postgres != "" {
		for _, k := range o.pgInstances {
			name := fmt.Sprintf("PostgreSQL, %d instances", k)
			if k == 1 {
				name = "PostgreSQL, 1 instance"
			}
			targets = append(targets, target{name: name, postgres: true, instances: k})
		}
		// The instances serve /metrics to this token (they inherit the
		// environment), for the integration figures.
		if err := os.Setenv("DISSENT_METRICS_TOKEN", metricsToken); err != nil {
			return err
		}
	}
	var checks []string
	for i, tg := range targets {
		if tg.postgres {
			url, drop, err := harness.NewPostgresDatabase(ctx, o.postgres)
			if err != nil {
				return err
			}
			if !o.keep {
				defer drop()
			}
			tg.db = url
		}
		fmt.Fprintf(stdout, "\n== %s ==\n", tg.name)
		r, check, err := httpSignatures(ctx, o, dir, stdout, tg, i)
		if err != nil {
			return fmt.Errorf("%s: %w", tg.name, err)
		}
		rows = append(rows, r)
		checks = append(checks, tg.name+": "+check)
	}

	fmt.Fprintln(stdout)
	printTable(stdout, rows)
	fmt.Fprintln(stdout)
	ours := rows[raws:]
	sqlite := ours[0]
	for _, raw := range rows[:raws] {
		fmt.Fprintf(stdout, "ours/raw (%s): %.2f\n", raw.name, sqlite.rate()/raw.rate())
	}
	for _, r := range ours[1:] {
		fmt.Fprintf(stdout, "%s vs SQLite: throughput %.2f×, p99 %.2f×\n", r.name, r.rate()/sqlite.rate(), float64(r.p(0.99))/float64(sqlite.p(0.99)))
	}
	for _, r := range ours[min(2, len(ours)):] {
		fmt.Fprintf(stdout, "%s vs %s: throughput %.2f×, p99 %.2f×\n", r.name, ours[1].name, r.rate()/ours[1].rate(), float64(r.p(0.99))/float64(ours[1].p(0.99)))
	}
	for _, r := range ours[1:] {
		fmt.Fprintf(stdout, "%s: %s\n", r.name, r.integration.String(r.ok, r.elapsed))
	}
	for _, r := range ours {
		fmt.Fprintf(stdout, "%s: server CPU %.1f s, harness CPU %.1f s during the %.1f s of signing\n", r.name, r.serverCPU, r.clientCPU, r.elapsed.Seconds())
	}
	fmt.Fprintf(stdout, "goal (SQLite >= raw sequential rate, p99 < 50 ms): ")
	switch {
	case raws == 0:
		fmt.Fprintln(stdout, "no baseline measured")
	case sqlite.rate() >= rows[0].rate() && sqlite.p(0.99) < 50*time.Millisecond:
		fmt.Fprintln(stdout, "met")
	default:
		fmt.Fprintln(stdout, "NOT met")
	}
	fmt.Fprintf(stdout, "load average at end: %s\n", harness.LoadAverage())
	failed := false
	for i, check := range checks {
		fmt.Fprintln(stdout, check)
		if len(ours[i].errors) > 0 || strings.Contains(check, "FAIL") {
			failed = true
		}
	}
	if failed {
		return errors.New("co-signing produced errors or wrong counts")
	}
	return nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// row is one line of the results table.
type row struct {
	name      string
	ok        int
	errors    map[string]int
	elapsed   time.Duration
	lat       []time.Duration // sorted
	serverCPU float64
	clientCPU float64

	integration integration // PostgreSQL runs: the log's integration during the signing
}

func (r row) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r row) p(q float64) time.Duration { return percentile(r.lat, q) }

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| run | ok | errors | seconds | ops/s | p50 ms | p90 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		nerr := 0
		for _, n := range r.errors {
			nerr += n
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.2f | %.0f | %s | %s | %s | %s |\n", r.name, r.ok, nerr, r.elapsed.Seconds(), r.rate(),
			ms(r.p(0.50)), ms(r.p(0.90)), ms(r.p(0.99)), ms(r.p(1)))
	}
	for _, r := range rows {
		if len(r.errors) == 0 {
			continue
		}
		keys := make([]string, 0, len(r.errors))
		for k := range r.errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "errors in %s: %d × %s\n", r.name, r.errors[k], k)
		}
	}
}

// rawInserts commits one signature-like row per transaction, from writers
// goroutines sharing a pool of conns connections, for d, in a database of
// its own under dir, opened with the pragmas internal/store uses.
func rawInserts(ctx context.Context, dir string, writers, conns int, d time.Duration) (row, error) {
	path := filepath.Join(dir, fmt.Sprintf("raw-%d-%d.db", writers, conns))
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return row{}, fmt.Errorf("open raw database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// The same shape as the signatures table, with its partial unique index.
	if _, err := db.ExecContext(ctx, `CREATE TABLE signatures (
		id            INTEGER PRIMARY KEY,
		message_id    TEXT NOT NULL,
		version       INTEGER NOT NULL,
		person_id     INTEGER NOT NULL,
		content_hash  TEXT NOT NULL,
		min_cosigners INTEGER NOT NULL DEFAULT 0,
		signed        BIGINT NOT NULL,
		withdrawn     BIGINT);
		CREATE UNIQUE INDEX signatures_active ON signatures(message_id, version, person_id) WHERE withdrawn IS NULL`); err != nil {
		return row{}, fmt.Errorf("create raw table: %w", err)
	}
	// Open every connection before the clock starts.
	held := make([]*sql.Conn, conns)
	for i := range held {
		if held[i], err = db.Conn(ctx); err != nil {
			return row{}, fmt.Errorf("open raw connection: %w", err)
		}
	}
	for _, c := range held {
		c.Close()
	}

	const msgID = "5f0c3a9e2b7d4e61a8c9f0b1d2e3f4a5"
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	var next atomic.Int64
	var mu sync.Mutex
	r := row{errors: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for range writers {
		wg.Go(func() {
			var lat []time.Duration
			errs := map[string]int{}
			for time.Now().Before(stop) && ctx.Err() == nil {
				t := time.Now()
				err := func() error {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO signatures (message_id, version, person_id, content_hash, min_cosigners, signed)
						VALUES ($1, 1, $2, $3, 0, $4)`, msgID, next.Add(1), hash, t.UnixNano()); err != nil {
						tx.Rollback()
						return err
					}
					return tx.Commit()
				}()
				if err != nil {
					errs[err.Error()]++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			for k, v := range errs {
				r.errors[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.ok = len(r.lat)
	sortDurations(r.lat)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM signatures`).Scan(&n); err != nil {
		return r, fmt.Errorf("count raw rows: %w", err)
	}
	if n != r.ok {
		return r, fmt.Errorf("raw table holds %d rows, %d inserts succeeded", n, r.ok)
	}
	return r, nil
}

// job is one co-signature: person signs message msg.
type job struct{ msg, person int }

// httpSignatures sets up the deployment, runs the signing load and checks
// the counts. It returns the results row and a line stating the check.
func httpSignatures(ctx context.Context, o options, dir string, stdout io.Writer, tg target, n int) (row, string, error) {
	bin := o.bin

	// Signature i is made by person i mod S on message (i/S + person) mod M:
	// a person never signs a message twice, and the messages interleave.
	jobs := make([]job, o.n)
	per := make([][]int, o.messages) // co-signers of each message
	for i := range jobs {
		p := i % o.signers
		m := (i/o.signers + p) % o.messages
		jobs[i] = job{m, p}
		per[m] = append(per[m], p)
	}
	people := make([]harness.Person, 0, o.messages+o.signers)
	drafter := func(m int) string { return fmt.Sprintf("drafter%03d@bench.example", m) }
	signer := func(p int) string { return fmt.Sprintf("signer%05d@bench.example", p) }
	for m := range o.messages {
		people = append(people, harness.Person{Email: drafter(m), Name: "Drafter " + strconv.Itoa(m), Roles: "employee"})
	}
	for p := range o.signers {
		people = append(people, harness.Person{Email: signer(p), Name: "Signer " + strconv.Itoa(p), Roles: "employee"})
	}
	fmt.Fprintf(stdout, "importing %d people...\n", len(people))
	data := filepath.Join(dir, fmt.Sprintf("data-%d", n))
	tokens, err := harness.SetUpOn(ctx, bin, dir, data, tg.db, people)
	if err != nil {
		return row{}, "", err
	}
	var servers []*harness.Server
	defer func() {
		for _, s := range servers {
			s.Stop()
		}
	}()
	for i := range tg.instances {
		s, err := harness.StartServerOn(ctx, bin, data, tg.db, dir, n*10+i)
		if err != nil {
			return row{}, "", err
		}
		servers = append(servers, s)
	}
	srv := servers[0]
	cpu := func() float64 {
		var sum float64
		for _, s := range servers {
			sum += s.CPUSeconds()
		}
		return sum
	}
	var turn atomic.Int64 // requests alternate between the instances

	client := harness.NewClient(o.concurrency * 2)
	msgs := make([]harness.Message, o.messages)
	for m := range msgs {
		emails := make([]string, len(per[m]))
		for i, p := range per[m] {
			emails[i] = signer(p)
		}
		if msgs[m], err = harness.CreateMessage(ctx, client, srv.URL, tokens[drafter(m)], "Load test "+strconv.Itoa(m), emails); err != nil {
			return row{}, "", err
		}
	}
	bodies := make([][]byte, o.messages)
	for m, msg := range msgs {
		bodies[m] = harness.MustJSON(map[string]string{"content_hash": msg.ContentHash})
	}
	if o.profile != "" && len(servers) == 1 {
		// The set-up's invitations would dominate a profile of the whole run.
		servers[0].Stop()
		path := o.profile
		if tg.postgres {
			path += ".postgres"
		}
		os.Setenv("DISSENT_CPUPROFILE", path)
		s, err := harness.StartServerOn(ctx, bin, data, tg.db, dir, n*10+9)
		os.Unsetenv("DISSENT_CPUPROFILE")
		if err != nil {
			return row{}, "", err
		}
		servers[0], srv = s, s
	}
	// Open the clients' connections before the clock starts.
	var warm sync.WaitGroup
	for range o.concurrency {
		warm.Go(func() { _, _ = harness.Call(ctx, client, "GET", srv.URL+"/healthz", "", nil, nil) })
	}
	warm.Wait()
	if o.warmTokens {
		fmt.Fprintf(stdout, "using each of %d co-signers' tokens once before the clock...\n", o.signers)
		ids := make(chan int, o.signers)
		for p := range o.signers {
			ids <- p
		}
		close(ids)
		var failed atomic.Int64
		for range o.concurrency {
			warm.Go(func() {
				for p := range ids {
					if _, err := harness.Call(ctx, client, "GET", srv.URL+"/api/v1/me", tokens[signer(p)], nil, nil); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		warm.Wait()
		if f := failed.Load(); f > 0 {
			return row{}, "", fmt.Errorf("%d of %d GET /api/v1/me calls failed", f, o.signers)
		}
	}

	fmt.Fprintf(stdout, "signing: %d requests from %d clients...\n", o.n, o.concurrency)
	queue := make(chan job, len(jobs))
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	signed := make([]atomic.Int64, o.messages)
	var mu sync.Mutex
	r := row{name: fmt.Sprintf("dissent POST /signatures, %d clients, %s", o.concurrency, tg.name), errors: map[string]int{}}
	var integ0 integration
	if tg.postgres {
		// Let the instances integrate what the set-up appended.
		time.Sleep(integrationSettle)
		if integ0, err = scrapeIntegration(ctx, servers); err != nil {
			return row{}, "", err
		}
	}
	cpu0, self0 := cpu(), harness.SelfCPUSeconds()
	var wg sync.WaitGroup
	start := time.Now()
	for range o.concurrency {
		wg.Go(func() {
			lat := make([]time.Duration, 0, o.n/o.concurrency+1)
			errs := map[string]int{}
			for j := range queue {
				if ctx.Err() != nil {
					break
				}
				t := time.Now()
				to := servers[int(turn.Add(1))%len(servers)]
				status, err := harness.Call(ctx, client, "POST", to.URL+"/api/v1/messages/"+msgs[j.msg].ID+"/signatures", tokens[signer(j.person)], bodies[j.msg], nil)
				d := time.Since(t)
				if err != nil {
					key := "transport error"
					if status != 0 {
						key = "HTTP " + strconv.Itoa(status)
					}
					errs[key]++
					continue
				}
				lat = append(lat, d)
				signed[j.msg].Add(1)
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			for k, v := range errs {
				r.errors[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.serverCPU, r.clientCPU = cpu()-cpu0, harness.SelfCPUSeconds()-self0
	r.ok = len(r.lat)
	sortDurations(r.lat)
	if err := ctx.Err(); err != nil {
		return r, "", err
	}
	if tg.postgres {
		time.Sleep(integrationSettle) // the last batch
		integ, err := scrapeIntegration(ctx, servers)
		if err != nil {
			return r, "", err
		}
		r.integration = integ.minus(integ0)
	}

	// Every success is counted, and nothing else.
	var bad []string
	for m, msg := range msgs {
		var got harness.Message
		if _, err := harness.Call(ctx, client, "GET", srv.URL+"/api/v1/messages/"+msg.ID, tokens[drafter(m)], nil, &got); err != nil {
			return r, "", fmt.Errorf("read message %d: %w", m, err)
		}
		var list harness.Signatures
		if _, err := harness.Call(ctx, client, "GET", srv.URL+"/api/v1/messages/"+msg.ID+"/signatures", tokens[drafter(m)], nil, &list); err != nil {
			return r, "", fmt.Errorf("list signatures of message %d: %w", m, err)
		}
		want := 1 + int(signed[m].Load())
		if got.SignatureCount != want || len(list.Signatures) != want {
			bad = append(bad, fmt.Sprintf("message %d: signature_count %d, %d signatures listed; want %d (drafter + %d successes)",
				m, got.SignatureCount, len(list.Signatures), want, want-1))
		}
	}
	if len(bad) > 0 {
		return r, "FAIL: " + strings.Join(bad, "; "), nil
	}
	return r, fmt.Sprintf("check: every message's signature_count and signature list = drafter + successful signatures (%d messages, %d signatures)",
		len(msgs), r.ok+len(msgs)), nil
}

// percentile is the nearest-rank q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

func sortDurations(ds []time.Duration) []time.Duration {
	slices.Sort(ds)
	return ds
}

// metricsToken is the bearer token the bench's instances serve /metrics to.
const metricsToken = "bench-cosign-metrics"

// integrationSettle is how long to wait for the instances to integrate
// what was appended (serve integrates every 500 ms).
const integrationSettle = 1200 * time.Millisecond

// integration sums the instances' dissent_log_integration_seconds and
// takes the largest dissent_log_integrated_entries.
type integration struct {
	batches, empty  int     // integrations that held the lock, with and without new entries
	seconds, emptyS float64 // time spent in them, transaction start to commit
	size            float64 // entries in the log's tree

	msgLocks int     // transactions that held a message's row lock
	msgLockS float64 // how long they held it
}

func (a integration) minus(b integration) integration {
	return integration{batches: a.batches - b.batches, empty: a.empty - b.empty,
		seconds: a.seconds - b.seconds, emptyS: a.emptyS - b.emptyS, size: a.size - b.size,
		msgLocks: a.msgLocks - b.msgLocks, msgLockS: a.msgLockS - b.msgLockS}
}

// String reports the critical sections of a run of signatures signatures
// that took elapsed.
func (a integration) String(signatures int, elapsed time.Duration) string {
	lock := "message row lock: not observed"
	if a.msgLocks > 0 {
		lock = fmt.Sprintf("message row lock: held %d times, %.3f s in all (%.0f %% of the run's wall time), %.2f ms per hold",
			a.msgLocks, a.msgLockS, 100*a.msgLockS/elapsed.Seconds(), 1e3*a.msgLockS/float64(a.msgLocks))
	}
	return lock + "; " + a.logString(signatures)
}

func (a integration) logString(signatures int) string {
	entries := a.size
	if a.batches == 0 || entries <= 0 {
		return fmt.Sprintf("log integration: no batch observed (%d empty)", a.empty)
	}
	perEntry := a.seconds / entries
	perSig := perEntry * entries / float64(signatures)
	return fmt.Sprintf("log integration: %.0f entries (%.2f per signature) in %d batches (%.0f entries per batch); "+
		"lock held %.3f s, %.2f ms per batch, %.1f µs per entry, %.1f µs per signature → ceiling %.0f signatures/s "+
		"(plus %d empty integrations, %.3f s)",
		entries, entries/float64(signatures), a.batches, entries/float64(a.batches),
		a.seconds, 1e3*a.seconds/float64(a.batches), 1e6*perEntry, 1e6*perSig, 1/perSig, a.empty, a.emptyS)
}

// scrapeIntegration reads the integration metrics of every instance.
func scrapeIntegration(ctx context.Context, servers []*harness.Server) (integration, error) {
	var out integration
	for _, s := range servers {
		req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/metrics", nil)
		if err != nil {
			return out, err
		}
		req.Header.Set("Authorization", "Bearer "+metricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return out, fmt.Errorf("read /metrics: %w", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return out, fmt.Errorf("read /metrics: %d %v", resp.StatusCode, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			name, val, ok := strings.Cut(line, " ")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			v, err := strconv.ParseFloat(val, 64)
			if err != nil {
				continue
			}
			switch name {
			case `dissent_log_integration_seconds_sum{batch="entries"}`:
				out.seconds += v
			case `dissent_log_integration_seconds_count{batch="entries"}`:
				out.batches += int(v)
			case `dissent_log_integration_seconds_sum{batch="empty"}`:
				out.emptyS += v
			case `dissent_log_integration_seconds_count{batch="empty"}`:
				out.empty += int(v)
			case "dissent_log_integrated_entries":
				out.size = max(out.size, v)
			case "dissent_message_lock_seconds_sum":
				out.msgLockS += v
			case "dissent_message_lock_seconds_count":
				out.msgLocks += int(v)
			}
		}
	}
	return out, nil
}
