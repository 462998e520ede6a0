// Package servicetest builds a real Service for tests: a fresh SQLite
// database in a temporary directory, the working-day calendar, and a clock
// the test controls.
package servicetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the database the tests use for real

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/exposure"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
)

// Clock is a test clock; it stands still unless the test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Env is a Service on a real store.
type Env struct {
	Svc   *dissent.Service
	DB    *store.DB
	Log   *auditlog.Log
	Ring  *seal.Keyring
	Clock *Clock
	Dir   string

	backend string // "" or "sqlite", or "postgres"
}

// SeedTime is the seed story's submission time: Friday 3 November 2023,
// 10:00 in Washington.
var SeedTime = time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC)

// New returns an Env whose clock reads SeedTime, on the backend BackendEnv
// names.
func New(t testing.TB) *Env {
	t.Helper()
	return NewOn(t, os.Getenv(BackendEnv))
}

// NewOn is New on the backend given: "" or "sqlite", or "postgres" (a new
// database on the server DISSENT_TEST_POSTGRES names; the test is skipped
// without it).
func NewOn(t testing.TB, backend string) *Env {
	t.Helper()
	dir := t.TempDir()
	ring := seal.Generate("dissent.test/log")
	db, err := openStore(t, backend, dir, seal.New(ring))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &Clock{t: SeedTime}
	name, key := ring.LogKey()
	alog, err := auditlog.New(db, name, key, filepath.Join(dir, "log"), clock.Now)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	e := &Env{DB: db, Log: alog, Ring: ring, Clock: clock, Dir: dir, backend: backend}
	e.Svc = e.service(false)
	return e
}

// Copies closes e's store and returns a function that makes, for each test
// that calls it, a new Env on its own copy of e's data directory (the
// SQLite file and the log's directory): the same keys, a clock reading what
// e's read, and a new Service over them, as after a restart. A test that
// needs the same story many times plays it once and copies it, instead of
// playing it again; the copies are independent and may be used in parallel
// tests. SQLite only; e is not to be used after (its directory must outlive
// the copies: make the copies in e's test or its subtests).
func (e *Env) Copies(t testing.TB) func(testing.TB) *Env {
	t.Helper()
	if e.backend != "" && e.backend != "sqlite" {
		t.Fatalf("Copies: the store is on %s; only a SQLite data directory is copied", e.backend)
	}
	if err := e.DB.Close(); err != nil {
		t.Fatalf("Copies: close the store: %v", err)
	}
	now := e.Clock.Now()
	return func(t testing.TB) *Env {
		t.Helper()
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(e.Dir)); err != nil {
			t.Fatalf("copy %s: %v", e.Dir, err)
		}
		db, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "dissent.db"), seal.New(e.Ring))
		if err != nil {
			t.Fatalf("open the copied store: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		clock := &Clock{t: now}
		name, key := e.Ring.LogKey()
		alog, err := auditlog.New(db, name, key, filepath.Join(dir, "log"), clock.Now)
		if err != nil {
			t.Fatalf("audit log: %v", err)
		}
		c := &Env{DB: db, Log: alog, Ring: e.Ring, Clock: clock, Dir: dir, backend: "sqlite"}
		c.Svc = c.service(false)
		return c
	}
}

func (e *Env) service(mail bool) *dissent.Service {
	svc := dissent.NewService(dissent.ServiceConfig{
		Store:    e.DB,
		AuditLog: e.Log,
		Now:      e.Clock.Now,
		Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
			return deadline.New(loc, closures)
		},
		Mail: mail,
	})
	svc.SetExposureEngine(exposure.Engine(exposure.Options{}))
	return svc
}

// SendMail makes e.Svc a Service of a deployment that sends e-mail, over
// the same store, log and clock.
func (e *Env) SendMail() { e.Svc = e.service(true) }

// Person describes someone to add: "email roles... [sup=EMAIL] [org=ID]".
type Person struct {
	Email      string
	Org        string
	Supervisor string
	Roles      []dissent.Role
}

// AddOrgs adds the seed story's two organizations, state (the channel
// office) and usaid.
func (e *Env) AddOrgs(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []dissent.OrgInput{{ID: "state", Name: "Department of State"}, {ID: "usaid", Name: "USAID"}} {
		if _, err := e.Svc.AddOrg(ctx, dissent.System, o); err != nil {
			t.Fatalf("AddOrg(%s): %v", o.ID, err)
		}
	}
}

// AddPeople adds people and returns them as actors with their tokens, keyed
// by e-mail.
func (e *Env) AddPeople(t testing.TB, people ...Person) map[string]Actor {
	t.Helper()
	in := make([]dissent.PersonInput, len(people))
	for i, p := range people {
		org := p.Org
		if org == "" {
			org = "state"
		}
		in[i] = dissent.PersonInput{Email: p.Email, Name: "Name of " + p.Email, OrgID: org, Supervisor: p.Supervisor, Roles: p.Roles, WantToken: true}
	}
	out, err := e.Svc.AddPeople(context.Background(), dissent.System, in)
	if err != nil {
		t.Fatalf("AddPeople: %v", err)
	}
	m := make(map[string]Actor, len(out))
	for _, p := range out {
		m[p.Email] = Actor{Actor: dissent.Actor{Person: p.Person}, Token: p.Token.Reveal()}
	}
	return m
}

// Actor is a person with their bearer token.
type Actor struct {
	dissent.Actor
	Token string
}

// Cast is the seed story's cast: one person per role, a drafter whose
// supervisor chain is sup → boss, and n co-signers, a third of them at usaid.
func (e *Env) Cast(t testing.TB, n int) (map[string]Actor, []string) {
	t.Helper()
	e.AddOrgs(t)
	E, O, D, P, R, M, A, Ad := dissent.RoleEmployee, dissent.RoleOfficer, dissent.RoleDirector, dissent.RolePrincipal, dissent.RoleReviewer, dissent.RoleMonitor, dissent.RoleAuditor, dissent.RoleAdmin
	people := []Person{
		{Email: "boss@state.example", Roles: []dissent.Role{E, O}},
		{Email: "supervisor@state.example", Supervisor: "boss@state.example", Roles: []dissent.Role{E}},
		{Email: "drafter@state.example", Supervisor: "supervisor@state.example", Roles: []dissent.Role{E}},
		{Email: "officer@state.example", Roles: []dissent.Role{O}},
		{Email: "officer2@state.example", Roles: []dissent.Role{O}},
		{Email: "director@state.example", Roles: []dissent.Role{D}},
		{Email: "principal@state.example", Roles: []dissent.Role{P}},
		{Email: "reviewer@state.example", Roles: []dissent.Role{R}},
		{Email: "monitor@state.example", Roles: []dissent.Role{M}},
		{Email: "auditor@state.example", Roles: []dissent.Role{A}},
		{Email: "admin@state.example", Roles: []dissent.Role{Ad}},
		{Email: "outsider@state.example", Roles: []dissent.Role{E}},
	}
	var signers []string
	for i := range n {
		org := "state"
		if i%3 == 0 {
			org = "usaid"
		}
		email := fmt.Sprintf("signer%04d@%s.example", i, org)
		p := Person{Email: email, Org: org, Roles: []dissent.Role{E}}
		if i == 0 {
			p.Supervisor = "supervisor@state.example"
		}
		people = append(people, p)
		signers = append(signers, email)
	}
	return e.AddPeople(t, people...), signers
}

// CPUTime is the CPU time the process has used, user and system: on a
// shared machine it says what an operation costs better than the clock
// does (the benchmarks' cpu-µs/op).
func CPUTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
