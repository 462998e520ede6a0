// Command backup times `dissent backup` and `dissent restore` of a large
// deployment (issue 17: 10⁶ signatures).
//
// It builds ./cmd/dissent (or takes -bin), makes a deployment in a temporary
// directory with the CLI (`dissent init`, `dissent org add`), then opens it
// in process the way cmd/dissent does (its keyring, store and audit log) and
// seeds it:
//
//   - -people people, added through Service.AddPeople in chunks of 1,000;
//   - -signatures / -per-message messages, each created through
//     Service.CreateMessage by a drafter (its first signature);
//   - the other signatures through the store, -batch of them per
//     store.Update: for each, what Service.Sign writes (Tx.InsertSignature,
//     which also adds the signer to their participation index, and the
//     "signature.added" event of version 1 with the content hash, sealed,
//     salted and integrated into the log by the writer as in production),
//     and each message's signature count updated once per batch. The
//     signers are not invited first (Sign would require it; the rows and the
//     log are what a signature leaves, less the invitation).
//
// Message i's signers are the people i·per … i·per+per−1 (mod -people), the
// first of them its drafter, so with the defaults (10⁶ signatures, 500 per
// message, 20,000 people) each person signs 50 messages.
//
// Then it runs, each as a separate process timed with its rusage: `dissent
// verify` of the seeded deployment (the log opened entry by entry, the
// messages' signatures replayed, every row compared with its digest), which
// proves the seeding produced a deployment the product accepts; `dissent
// backup`; `dissent restore` into a new data directory (which verifies the
// restored deployment in full, as verify does); and, with -postgres, `dissent restore` into a new
// database on that server. It prints wall time, user and system CPU, maximum
// resident set and the archive's size.
//
//	go run ./bench/backup -signatures 1e6
//
// Results are recorded in docs/BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the driver cmd/dissent links

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/bench/internal/harness"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

func main() { harness.Main("backup", run) }

type options struct {
	bin, dir, postgres string
	signatures         int
	perMessage         int
	people             int
	batch              int
	keep               bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	var sigs string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "", "dissent binary to use (default: build ./cmd/dissent)")
	fs.StringVar(&o.dir, "dir", "", "directory to work in (default: a new temporary directory, removed at the end unless -keep)")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL server URL: also time a restore into a new database there (dropped at the end)")
	fs.StringVar(&sigs, "signatures", "1e6", "signatures to seed (drafters' included), e.g. 1e6")
	fs.IntVar(&o.perMessage, "per-message", 500, "signatures per message (drafter included)")
	fs.IntVar(&o.people, "people", 20_000, "people in the directory")
	fs.IntVar(&o.batch, "batch", 10_000, "signatures per store.Update when seeding")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(sigs, 64)
	if err != nil || f < 1 {
		return fmt.Errorf("-signatures %q: want a positive count such as 1e6", sigs)
	}
	o.signatures = int(f)
	if o.perMessage < 1 || o.perMessage > dissent.MaxSigners || o.people < o.perMessage || o.batch < 1 {
		return fmt.Errorf("-per-message must be 1..%d, -people at least -per-message, -batch positive", dissent.MaxSigners)
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "dissent-backup-bench-")
		if err != nil {
			return err
		}
		o.dir = d
		if !o.keep {
			defer os.RemoveAll(d)
		}
	}
	if o.bin == "" {
		if o.bin, err = harness.BuildDissent(ctx, o.dir); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s\nload average at start: %s\n", harness.Machine(o.dir), harness.LoadAverage())
	data := filepath.Join(o.dir, "data")
	if _, err := harness.CLI(ctx, o.bin, "init", "--data", data); err != nil {
		return err
	}
	if _, err := harness.CLI(ctx, o.bin, "org", "add", "--id", "bench", "--name", "Bench Agency", "--data", data); err != nil {
		return err
	}
	t0 := time.Now()
	if err := seed(ctx, o, data, stdout); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded in %.1f s\n", time.Since(t0).Seconds())
	db := filepath.Join(data, "dissent.db")
	if st, err := os.Stat(db); err == nil {
		fmt.Fprintf(stdout, "database file: %.1f MB\n", float64(st.Size())/1e6)
	}
	archive := filepath.Join(o.dir, "deployment.age")
	restored := filepath.Join(o.dir, "restored")
	steps := [][]string{
		{"verify", "--data", data},
		{"backup", "--data", data, "--out", archive},
		{"restore", "--in", archive, "--identity", archive + ".identity", "--data", restored},
	}
	if o.postgres != "" {
		url, drop, err := harness.NewPostgresDatabase(ctx, o.postgres)
		if err != nil {
			return err
		}
		defer drop()
		steps = append(steps,
			[]string{"restore", "--in", archive, "--identity", archive + ".identity", "--data", filepath.Join(o.dir, "restored-pg"), "--db", url},
			[]string{"backup", "--data", filepath.Join(o.dir, "restored-pg"), "--db", url, "--out", filepath.Join(o.dir, "pg.age")})
	}
	fmt.Fprintf(stdout, "\n| command | wall s | user CPU s | system CPU s | max RSS MB |\n|---|---:|---:|---:|---:|\n")
	for _, s := range steps {
		r, out, err := timed(ctx, o.bin, s...)
		if err != nil {
			return fmt.Errorf("dissent %s: %w\n%s", strings.Join(s, " "), err, out)
		}
		fmt.Fprintf(stdout, "| `dissent %s` | %.2f | %.2f | %.2f | %.0f |\n", strings.Join(s, " "), r.wall.Seconds(), r.user.Seconds(), r.sys.Seconds(), float64(r.maxRSS)/1024)
		if s[0] == "backup" && len(s) > 0 {
			if st, err := os.Stat(s[len(s)-1]); err == nil {
				fmt.Fprintf(stdout, "|   archive %s | %.1f MB | | | |\n", filepath.Base(s[len(s)-1]), float64(st.Size())/1e6)
			}
		}
		if last := lastLine(out); last != "" {
			fmt.Fprintf(stdout, "|   → %s | | | | |\n", last)
		}
	}
	fmt.Fprintf(stdout, "\nload average at end: %s\n", harness.LoadAverage())
	if o.keep {
		fmt.Fprintf(stdout, "kept %s\n", o.dir)
	}
	return nil
}

// seed fills the deployment in data (see the package comment).
func seed(ctx context.Context, o options, data string, stdout io.Writer) error {
	ring, err := seal.Load(filepath.Join(data, "keys"), os.Getenv("DISSENT_KEY_PASSPHRASE"))
	if err != nil {
		return err
	}
	db, err := store.OpenSQLite(ctx, filepath.Join(data, "dissent.db"), seal.New(ring))
	if err != nil {
		return err
	}
	defer db.Close()
	name, key := ring.LogKey()
	alog, err := auditlog.New(db, name, key, filepath.Join(data, "log"), time.Now)
	if err != nil {
		return err
	}
	svc := dissent.NewService(dissent.ServiceConfig{Store: db, AuditLog: alog, Now: time.Now,
		Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
			return deadline.New(loc, closures)
		}})

	t0 := time.Now()
	people := make([]dissent.Person, 0, o.people)
	for lo := 0; lo < o.people; lo += 1000 {
		var in []dissent.PersonInput
		for i := lo; i < min(lo+1000, o.people); i++ {
			in = append(in, dissent.PersonInput{Email: fmt.Sprintf("person%06d@bench.example", i), Name: fmt.Sprintf("Person %d", i),
				OrgID: "bench", Roles: []dissent.Role{dissent.RoleEmployee}})
		}
		out, err := svc.AddPeople(ctx, dissent.System, in)
		if err != nil {
			return fmt.Errorf("add people: %w", err)
		}
		for _, p := range out {
			people = append(people, p.Person)
		}
	}
	fmt.Fprintf(stdout, "added %d people in %.1f s\n", len(people), time.Since(t0).Seconds())

	t0 = time.Now()
	nmsg := (o.signatures + o.perMessage - 1) / o.perMessage
	msgs := make([]dissent.Message, nmsg)
	for i := range msgs {
		drafter := people[(i*o.perMessage)%len(people)]
		m, err := svc.CreateMessage(ctx, dissent.Actor{Person: drafter}, dissent.Draft{
			Title: fmt.Sprintf("Dissent number %d on a policy of the department", i),
			Body:  strings.Repeat("A considered paragraph of disagreement with the policy. ", 20)})
		if err != nil {
			return fmt.Errorf("create message: %w", err)
		}
		msgs[i] = m
	}
	fmt.Fprintf(stdout, "created %d messages in %.1f s\n", nmsg, time.Since(t0).Seconds())

	// The co-signatures, message by message, -batch per Update.
	t0 = time.Now()
	total := nmsg                        // the drafters'
	type job struct{ msg, from, to int } // signers [from, to) of message msg
	var jobs []job
	for i := range msgs {
		n := min(o.perMessage, o.signatures-i*o.perMessage)
		jobs = append(jobs, job{i, 1, n})
	}
	for len(jobs) > 0 {
		var batch []job
		room := o.batch
		for len(jobs) > 0 && room > 0 {
			j := jobs[0]
			if j.to-j.from <= room {
				batch, jobs, room = append(batch, j), jobs[1:], room-(j.to-j.from)
			} else {
				batch, jobs[0], room = append(batch, job{j.msg, j.from, j.from + room}), job{j.msg, j.from + room, j.to}, 0
			}
		}
		err := db.Update(ctx, func(tx dissent.Tx) error {
			now := time.Now().UTC()
			for _, j := range batch {
				m, err := tx.LockMessage(ctx, msgs[j.msg].ID)
				if err != nil {
					return err
				}
				for s := j.from; s < j.to; s++ {
					p := people[(j.msg*o.perMessage+s)%len(people)]
					if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: m.Version, PersonID: p.ID, ContentHash: m.ContentHash, Signed: now}, false); err != nil {
						return err
					}
					if err := tx.AppendEvent(ctx, dissent.Event{At: now, ActorID: p.ID, ActorRole: dissent.RoleEmployee, Kind: "signature.added",
						MessageID: m.ID, Detail: "version " + strconv.Itoa(m.Version) + " " + m.ContentHash, Protected: true, ActorEmail: p.Email}); err != nil {
						return err
					}
				}
				m.SignatureCount += j.to - j.from
				m.Updated = now
				if err := tx.UpdateMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, j := range batch {
			total += j.to - j.from
		}
		if el := time.Since(t0); total%(10*o.batch) < o.batch || len(jobs) == 0 {
			fmt.Fprintf(stdout, "  %d signatures, %.0f s, %.0f/s, load %s\n", total, el.Seconds(), float64(total-nmsg)/el.Seconds(), harness.LoadAverage())
		}
	}
	fmt.Fprintf(stdout, "seeded %d signatures on %d messages (%d through the store in Updates of %d) in %.1f s\n",
		total, nmsg, total-nmsg, o.batch, time.Since(t0).Seconds())
	if _, err := alog.Publish(ctx); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

type usage struct {
	wall, user, sys time.Duration
	maxRSS          int64 // KiB
}

// timed runs one dissent command and returns its wall and CPU time.
func timed(ctx context.Context, bin string, args ...string) (usage, string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	u := usage{wall: time.Since(t0)}
	if cmd.ProcessState != nil {
		u.user, u.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.maxRSS = ru.Maxrss
		}
	}
	if err == nil && cmd.ProcessState != nil && !cmd.ProcessState.Success() {
		err = errors.New(cmd.ProcessState.String())
	}
	return u, string(out), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 140 {
		l = l[:140] + "…"
	}
	return l
}
