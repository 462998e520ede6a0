// Command durability checks SPEC §9's promise that a request that returned
// success is never lost, by killing the server with SIGKILL in the middle of
// a burst of co-signatures.
//
// It builds ./cmd/dissent, makes a fresh deployment in a temporary directory
// and starts `dissent serve`. Each round drafts a message, invites -people
// co-signers, and sets -workers clients signing it at once; after a delay
// drawn from [-min-delay, -max-delay] (seeded by -seed) it sends the server
// SIGKILL, restarts it on the same data directory, and reads the message
// (as its drafter) and its signature list back. Every signature that was
// answered 2xx must be there; a signature whose request got no answer may or
// may not be there, but never in part: the signature count, the list and
// (with -db-check) the rows must agree and `dissent verify` must pass. It exits non-zero
// on any loss or disagreement.
//
// Run it from the module's root:
//
//	go run ./bench/durability -rounds 5
//
// SIGKILL ends the process, not the machine: what the process handed to the
// kernel survives it. The harness therefore shows that success is answered
// only after the commit and that recovery keeps every commit; it does not
// show that the commit was flushed to the disk (power loss).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // to inspect the database after a restart (-db-check)

	"github.com/dissent-channel/dissent/bench/internal/harness"
)

func main() { harness.Main("durability", run) }

type options struct {
	rounds   int
	workers  int
	people   int
	seed     uint64
	minDelay time.Duration
	maxDelay time.Duration
	dbCheck  bool
	bin      string
	dir      string
	keep     bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("durability", flag.ContinueOnError)
	fs.IntVar(&o.rounds, "rounds", 5, "kill -9 rounds")
	fs.IntVar(&o.workers, "workers", 32, "concurrent co-signers in each burst")
	fs.IntVar(&o.people, "people", 5000, "co-signers invited to each round's message (at most 9,999)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for the kill delays and the signing order")
	fs.DurationVar(&o.minDelay, "min-delay", 100*time.Millisecond, "earliest kill after the burst starts")
	fs.DurationVar(&o.maxDelay, "max-delay", time.Second, "latest kill after the burst starts")
	fs.BoolVar(&o.dbCheck, "db-check", true, "also read the restarted database directly (rows, integrity_check) and run `dissent verify` on it (the audit log against every table)")
	fs.StringVar(&o.bin, "bin", "", "dissent binary to use (default: build ./cmd/dissent)")
	fs.StringVar(&o.dir, "dir", "", "parent of the temporary directory (default: the system's)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data, logs) for inspection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rounds < 1 || o.workers < 1 || o.people < 1 || o.people > 9_999 || o.minDelay < 0 || o.maxDelay < o.minDelay {
		return errors.New("want -rounds, -workers >= 1, 1 <= -people <= 9999, 0 <= -min-delay <= -max-delay")
	}

	dir, err := os.MkdirTemp(o.dir, "dissent-durability-")
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
	fmt.Fprintf(stdout, "workload: %d rounds; each %d co-signers invited, %d signing at once, SIGKILL after %s..%s (seed %d)\n\n",
		o.rounds, o.people, o.workers, o.minDelay, o.maxDelay, o.seed)

	bin := o.bin
	if bin == "" {
		fmt.Fprintln(stdout, "building ./cmd/dissent...")
		if bin, err = harness.BuildDissent(ctx, dir); err != nil {
			return err
		}
	}
	const drafter = "drafter@bench.example"
	people := []harness.Person{{Email: drafter, Name: "Drafter", Roles: "employee"}}
	emails := make([]string, o.people)
	for i := range emails {
		emails[i] = fmt.Sprintf("signer%05d@bench.example", i)
		people = append(people, harness.Person{Email: emails[i], Name: "Signer " + strconv.Itoa(i), Roles: "employee"})
	}
	fmt.Fprintf(stdout, "importing %d people...\n", len(people))
	data := filepath.Join(dir, "data")
	tokens, err := harness.SetUp(ctx, bin, dir, data, people)
	if err != nil {
		return err
	}
	srv, err := harness.StartServer(ctx, bin, data, dir, 0)
	if err != nil {
		return err
	}
	defer func() { srv.Stop() }()

	rng := rand.New(rand.NewPCG(o.seed, 0x6b696c6c))
	var results []result
	for r := 1; r <= o.rounds; r++ {
		res, next, err := round(ctx, o, rng, r, bin, data, dir, srv, drafter, emails, tokens)
		if next != nil {
			srv = next
		}
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		results = append(results, res)
		fmt.Fprintf(stdout, "round %d: killed after %d ms; %d acked, %d unanswered, signature_count %d, lost %d\n",
			r, res.delay.Milliseconds(), res.acked, res.unanswered, res.count, res.lost)
	}

	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "| round | kill after ms | sent | acked (2xx) | rejected | unanswered at kill | of those counted | signature_count after restart | lost | phantom | consistent |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var lost, bad int
	var total result
	for i, x := range results {
		fmt.Fprintf(stdout, "| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n", i+1, x.delay.Milliseconds(), x.sent, x.acked, x.rejected,
			x.unanswered, x.unansweredCounted, x.count, x.lost, x.phantom, x.consistency())
		lost += x.lost
		if x.lost > 0 || x.phantom > 0 || len(x.problems) > 0 {
			bad++
		}
		total.sent += x.sent
		total.acked += x.acked
		total.unanswered += x.unanswered
		total.unansweredCounted += x.unansweredCounted
	}
	fmt.Fprintf(stdout, "\ntotal: %d sent, %d acked, %d unanswered at kill (%d of them counted after restart), %d lost\n",
		total.sent, total.acked, total.unanswered, total.unansweredCounted, lost)
	for i, x := range results {
		if x.burstOver {
			fmt.Fprintf(stdout, "note: in round %d the burst was over before the kill; raise -people or lower -max-delay\n", i+1)
		}
		for _, p := range x.problems {
			fmt.Fprintf(stdout, "round %d: %s\n", i+1, p)
		}
	}
	fmt.Fprintf(stdout, "load average at end: %s\n", harness.LoadAverage())
	if bad > 0 {
		return fmt.Errorf("%d of %d rounds lost or garbled acknowledged signatures", bad, len(results))
	}
	fmt.Fprintln(stdout, "PASS: every acknowledged signature survived kill -9")
	return nil
}

// result is one round's outcome.
type result struct {
	delay             time.Duration
	sent              int // requests that left the client
	acked             int // answered 2xx
	rejected          int // answered with another status
	unanswered        int // sent, no answer: in flight at the kill
	unansweredCounted int // of those, present after the restart
	count             int // signature_count after the restart (drafter included)
	lost              int // acked but missing after the restart
	phantom           int // present but never sent, or rejected
	burstOver         bool
	problems          []string
}

func (x result) consistency() string {
	if len(x.problems) == 0 {
		return "yes"
	}
	return "NO"
}

// Request states, one per invited co-signer.
const (
	notSent int32 = iota
	inFlight
	acked
	rejected
	unanswered
)

// round runs one burst, kills the server, restarts it and checks. It returns
// the restarted server (nil if it could not be started).
func round(ctx context.Context, o options, rng *rand.Rand, n int, bin, data, dir string, srv *harness.Server,
	drafter string, emails []string, tokens map[string]string) (result, *harness.Server, error) {
	var res result
	client := harness.NewClient(o.workers * 2)
	defer client.CloseIdleConnections()
	m, err := harness.CreateMessage(ctx, client, srv.URL, tokens[drafter], "Durability round "+strconv.Itoa(n), emails)
	if err != nil {
		return res, nil, err
	}
	body := harness.MustJSON(map[string]string{"content_hash": m.ContentHash})
	order := rng.Perm(len(emails))
	res.delay = o.minDelay + time.Duration(rng.Int64N(int64(o.maxDelay-o.minDelay)+1))

	state := make([]atomic.Int32, len(emails))
	var killed atomic.Bool
	var statusMu sync.Mutex
	statuses := map[int]int{}
	queue := make(chan int, len(order))
	for _, i := range order {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() {
			for i := range queue {
				if killed.Load() || ctx.Err() != nil {
					return
				}
				state[i].Store(inFlight)
				status, err := harness.Call(ctx, client, "POST", srv.URL+"/api/v1/messages/"+m.ID+"/signatures", tokens[emails[i]], body, nil)
				switch {
				case err == nil:
					state[i].Store(acked)
				case status != 0:
					state[i].Store(rejected)
					statusMu.Lock()
					statuses[status]++
					statusMu.Unlock()
				case errors.Is(err, syscall.ECONNREFUSED):
					// The server was already gone: the request never left.
					state[i].Store(notSent)
				default:
					state[i].Store(unanswered)
				}
			}
		})
	}
	burst := make(chan struct{})
	go func() { wg.Wait(); close(burst) }()
	select {
	case <-time.After(res.delay):
	case <-burst:
		res.burstOver = true
	case <-ctx.Done():
	}
	killed.Store(true)
	srv.Kill()
	<-burst
	if err := ctx.Err(); err != nil {
		return res, nil, err
	}
	for i := range state {
		switch state[i].Load() {
		case acked:
			res.acked++
		case rejected:
			res.rejected++
		case unanswered:
			res.unanswered++
		}
	}
	res.sent = res.acked + res.rejected + res.unanswered
	for code, k := range statuses {
		res.problems = append(res.problems, fmt.Sprintf("%d requests answered HTTP %d", k, code))
	}

	next, err := harness.StartServer(ctx, bin, data, dir, n)
	if err != nil {
		return res, nil, fmt.Errorf("restart after kill -9: %w", err)
	}
	rc := harness.NewClient(2)
	defer rc.CloseIdleConnections()
	var got harness.Message
	if _, err := harness.Call(ctx, rc, "GET", next.URL+"/api/v1/messages/"+m.ID, tokens[drafter], nil, &got); err != nil {
		return res, next, fmt.Errorf("read message after restart: %w", err)
	}
	var list harness.Signatures
	if _, err := harness.Call(ctx, rc, "GET", next.URL+"/api/v1/messages/"+m.ID+"/signatures", tokens[drafter], nil, &list); err != nil {
		return res, next, fmt.Errorf("list signatures after restart: %w", err)
	}
	res.count = got.SignatureCount
	present := make(map[string]bool, len(list.Signatures))
	for _, s := range list.Signatures {
		if present[s.Email] {
			res.problems = append(res.problems, s.Email+" is listed twice")
		}
		present[s.Email] = true
	}
	if !present[drafter] {
		res.problems = append(res.problems, "the drafter's signature is missing")
	}
	for i, e := range emails {
		switch st := state[i].Load(); {
		case st == acked && !present[e]:
			res.lost++
		case st == unanswered && present[e]:
			res.unansweredCounted++
		case (st == notSent || st == rejected) && present[e]:
			res.phantom++
		}
	}
	if got.SignatureCount != len(list.Signatures) {
		res.problems = append(res.problems, fmt.Sprintf("signature_count %d but %d signatures listed", got.SignatureCount, len(list.Signatures)))
	}
	if got.State != "circulating" {
		res.problems = append(res.problems, "state "+got.State+" after restart; want circulating")
	}
	if o.dbCheck {
		res.problems = append(res.problems, checkDatabase(ctx, filepath.Join(data, "dissent.db"), m.ID, got.SignatureCount)...)
		// The audit log's entries are sealed: `dissent verify` opens them,
		// replays the messages' signature counts from them and compares
		// every signatures row with the digest the log recorded.
		if out, err := harness.CLI(ctx, bin, "verify", "--data", data); err != nil {
			res.problems = append(res.problems, "dissent verify after restart: "+strings.TrimSpace(out))
		}
	}
	return res, next, nil
}

// checkDatabase reads the restarted database directly: the message's stored
// count and its active signature rows must agree with the API's count, and
// SQLite must find the file intact. (That the audit log agrees, entry by
// entry and row by row, is `dissent verify`'s to check: its entries are
// sealed.) It returns the disagreements found.
func checkDatabase(ctx context.Context, path, id string, count int) []string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return []string{"db check: open: " + err.Error()}
	}
	defer db.Close()
	var stored, rows int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT signature_count FROM messages WHERE id = $1),
		(SELECT COUNT(*) FROM signatures WHERE message_id = $1 AND withdrawn IS NULL)`, id).Scan(&stored, &rows)
	if err != nil {
		return []string{"db check unavailable (schema changed?): " + err.Error()}
	}
	var out []string
	if stored != count || rows != count {
		out = append(out, fmt.Sprintf("db check: stored count %d, %d signature rows; API count %d", stored, rows, count))
	}
	var integrity string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity); err != nil {
		out = append(out, "db check: integrity_check: "+err.Error())
	} else if integrity != "ok" {
		out = append(out, "db check: integrity_check: "+strings.TrimSpace(integrity))
	}
	return out
}
