package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/mail"
	"github.com/dissent-channel/dissent/internal/mail/mailtest"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// TestScaleOutRemindersOnce shows the claims of issue 6 on each backend:
// three instances on one database, each running the sweeper and the e-mail
// sender as `dissent serve` does; the shared test clock is moved to each
// reminder mark of the acknowledgement and reply periods of three
// submitted messages; every notice (invitations, receipts, a met quorum,
// reminders, escalations) is delivered exactly once, counted at an SMTP
// server in the process, and none holds a title, a body or a name. Midway
// the instance holding the sweeper's lease is killed (its database closed,
// its lease not given up): another takes over and the later reminders are
// still delivered exactly once.
func TestScaleOutRemindersOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dissent.db")
		scaleOut(t, func(s dissent.Sealer) (*store.DB, error) {
			// The first opening makes the file from the tests' schema
			// (storetest.FreshSQLite), the others open it.
			return storetest.OpenSQLite(context.Background(), path, s)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.Postgres(t)
		scaleOut(t, func(s dissent.Sealer) (*store.DB, error) {
			return store.OpenPostgres(context.Background(), url, s)
		})
	})
}

// instance is one `dissent serve` process, as far as background work goes.
type instance struct {
	name string
	db   *store.DB
	svc  *dissent.Service
	bg   *background
	dead bool
}

const (
	sweepEvery = 40 * time.Millisecond
	mailEvery  = 20 * time.Millisecond
)

func scaleOut(t *testing.T, open func(dissent.Sealer) (*store.DB, error)) {
	ctx := context.Background()
	ring := seal.Generate("dissent.test/log")
	clock := &servicetest.Clock{}
	clock.Set(servicetest.SeedTime)
	srv := mailtest.New(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mailCfg := &mail.Config{URL: srv.URL(), From: "dissent@state.example", BaseURL: "https://dissent.example",
		TLS: &tls.Config{RootCAs: srv.Roots, MinVersion: tls.VersionTLS12}}

	insts := make([]*instance, 3)
	for i := range insts {
		db, err := open(seal.New(ring))
		if err != nil {
			t.Fatalf("instance %d: open store: %v", i, err)
		}
		name, key := ring.LogKey()
		alog, err := auditlog.New(db, name, key, filepath.Join(t.TempDir(), "log"), clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		svc := dissent.NewService(dissent.ServiceConfig{Store: db, Now: clock.Now, Calendars: calendars, AuditLog: alog, Logger: quiet})
		insts[i] = &instance{name: fmt.Sprintf("instance-%d", i), db: db, svc: svc}
	}
	t.Cleanup(func() {
		for _, in := range insts {
			if !in.dead {
				in.bg.Stop()
				in.db.Close()
			}
		}
	})

	// The cast and three submitted messages, made through the three
	// instances in turn.
	svc := insts[0].svc
	for _, o := range []dissent.OrgInput{{ID: "state", Name: "Department of State"}} {
		if _, err := svc.AddOrg(ctx, dissent.System, o); err != nil {
			t.Fatal(err)
		}
	}
	E, O, D, M := dissent.RoleEmployee, dissent.RoleOfficer, dissent.RoleDirector, dissent.RoleMonitor
	people := []dissent.PersonInput{
		{Email: "drafter@state.example", Roles: []dissent.Role{E}},
		{Email: "officer1@state.example", Roles: []dissent.Role{O}},
		{Email: "officer2@state.example", Roles: []dissent.Role{O}},
		{Email: "director@state.example", Roles: []dissent.Role{D}},
		{Email: "monitor@state.example", Roles: []dissent.Role{M}},
		{Email: "signer0@state.example", Roles: []dissent.Role{E}},
		{Email: "signer1@state.example", Roles: []dissent.Role{E}},
		{Email: "signer2@state.example", Roles: []dissent.Role{E}},
	}
	for i := range people {
		people[i].OrgID = "state"
		people[i].Name = "NAME-MARKER " + strings.ToUpper(people[i].Email[:3])
	}
	added, err := svc.AddPeople(ctx, dissent.System, people)
	if err != nil {
		t.Fatal(err)
	}
	actor := map[string]dissent.Actor{}
	for _, p := range added {
		actor[p.Email] = dissent.Actor{Person: p.Person}
	}
	signers := []string{"signer0@state.example", "signer1@state.example", "signer2@state.example"}
	for j := range 3 {
		s := insts[j].svc
		m, err := s.CreateMessage(ctx, actor["drafter@state.example"], dissent.Draft{Title: fmt.Sprintf("TITLE-MARKER %d", j), Summary: "SUMMARY-MARKER", Body: "BODY-MARKER"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Invite(ctx, actor["drafter@state.example"], m.ID, signers); err != nil {
			t.Fatal(err)
		}
		for k, sg := range signers {
			min := 0
			if j == 0 && k == 0 {
				min = 1 // conditional; the drafter's signature meets it
			}
			if _, err := s.Sign(ctx, actor[sg], m.ID, m.ContentHash, min); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Submit(ctx, actor["drafter@state.example"], m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
	}

	for _, in := range insts {
		in.bg, err = startBackground(ctx, backgroundConfig{svc: in.svc, clock: time.Now, holder: in.name, sweep: sweepEvery,
			mail: mailCfg, mailDue: mailEvery, log: quiet})
		if err != nil {
			t.Fatal(err)
		}
	}

	// expect waits for the SMTP server to hold want messages, then a few
	// more sweeps, and checks that no more came.
	expect := func(step string, want int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for srv.Count() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(4*sweepEvery + 4*mailEvery) // room for a duplicate to show
		if got := srv.Count(); got != want {
			t.Fatalf("%s: the SMTP server has %d e-mails; want %d", step, got, want)
		}
	}
	cal, err := calendars(washington(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	mark := func(days, pct int) time.Time { return dissent.PeriodMark(cal, servicetest.SeedTime, days, pct) }

	// Invitations 3×3, receipts 3×(drafter+3 signers), one met quorum, and
	// the office (two officers) told of each of the 3 submissions.
	total := 9 + 12 + 1 + 3*2
	expect("after submission", total)
	steps := []struct {
		name string
		at   time.Time
		n    int // e-mails: 3 messages × recipients
	}{
		{"acknowledge 50 %", mark(2, 50), 3 * 2},
		{"acknowledge 80 %", mark(2, 80), 3 * 2},
		{"acknowledge overdue", mark(2, 100).Add(time.Second), 3 * 4},
		{"reply 50 %", mark(30, 50), 3 * 2},
		{"reply 80 %", mark(30, 80), 3 * 2},
		{"reply overdue", mark(30, 100).Add(time.Second), 3 * 4},
	}
	for i, st := range steps {
		if i == 3 {
			killHolder(t, insts)
		}
		clock.Set(st.at)
		total += st.n
		expect(st.name, total)
	}

	// Every e-mail is the one content-free notice (no kind, no link to a
	// message), none with a title, body or name; and each person got one
	// e-mail per notification: none lost, none twice.
	msgs := srv.Messages()
	perTo := map[string]int{}
	for _, m := range msgs {
		body := decode(t, m.Data)
		for _, marker := range []string{"MARKER", "NAME", "https://dissent.example/messages/"} {
			if strings.Contains(body, marker) {
				t.Errorf("an e-mail to %v contains %q:\n%s", m.To, marker, body)
			}
		}
		if !m.TLS {
			t.Errorf("an e-mail to %v came without TLS", m.To)
		}
		perTo[strings.Join(m.To, ",")]++
	}
	var live *instance
	for _, in := range insts {
		if !in.dead {
			live = in
			break
		}
	}
	kinds := func(email string) map[string]int {
		t.Helper()
		pg, err := live.svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{Prefix: email})
		if err != nil || len(pg.People) == 0 {
			t.Fatalf("find %s: %v", email, err)
		}
		ns, _, err := live.svc.Notifications(ctx, dissent.Actor{Person: pg.People[0]})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{"": len(ns)}
		for _, n := range ns {
			out[n.Kind]++
		}
		return out
	}
	for _, who := range []string{"drafter@state.example", "signer0@state.example", "signer2@state.example", "officer1@state.example",
		"officer2@state.example", "director@state.example", "monitor@state.example"} {
		if got, want := perTo[who], kinds(who)[""]; got != want {
			t.Errorf("%s got %d e-mails for %d notifications", who, got, want)
		}
	}
	want := []struct {
		to, kind string
		n        int
	}{
		{"drafter@state.example", dissent.NoteReceiptReady, 3},
		{"signer0@state.example", dissent.NoteInvited, 3},
		{"signer0@state.example", dissent.NoteQuorumMet, 1},
		{"signer2@state.example", dissent.NoteReceiptReady, 3},
		{"officer1@state.example", dissent.NoteAckReminder50, 3},
		{"officer1@state.example", dissent.NoteSubmitted, 3},
		{"officer2@state.example", dissent.NoteReplyOverdue, 3},
		{"director@state.example", dissent.NoteAckOverdue, 3},
		{"director@state.example", dissent.NoteReplyReminder80, 0},
		{"monitor@state.example", dissent.NoteReplyOverdue, 3},
	}
	for _, w := range want {
		if got := kinds(w.to)[w.kind]; got != w.n {
			t.Errorf("%s got %d × %s; want %d", w.to, got, w.kind, w.n)
		}
	}
}

// killHolder kills the instance that holds the sweeper's lease, as a crash
// would: its database goes away first, so it cannot give the lease up. It
// then waits for another instance to take the lease, and logs how long that
// took.
func killHolder(t *testing.T, insts []*instance) {
	t.Helper()
	ctx := context.Background()
	var live *instance
	for _, in := range insts {
		if !in.dead {
			live = in
			break
		}
	}
	// The lease is held for two thirds of an interval and renewed three
	// times an interval; on a loaded machine a renewal can come late, so
	// look for the holder for a while rather than at one instant.
	var holder string
	var err error
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(sweepEvery / 8) {
		if holder, err = live.svc.LeaseHolder(ctx, "sweeper", time.Now()); err != nil || holder != "" {
			break
		}
	}
	if err != nil || holder == "" {
		t.Fatalf("LeaseHolder = %q, %v; want one of the instances", holder, err)
	}
	var victim *instance
	for _, in := range insts {
		if in.name == holder {
			victim = in
		}
	}
	var wg sync.WaitGroup
	victim.db.Close()
	killed := time.Now()
	wg.Add(1)
	go func() { defer wg.Done(); victim.bg.Stop() }()
	victim.dead = true
	var other *instance
	for _, in := range insts {
		if !in.dead {
			other = in
			break
		}
	}
	for time.Since(killed) < 15*time.Second {
		h, err := other.svc.LeaseHolder(ctx, "sweeper", time.Now())
		if err == nil && h != "" && h != victim.name {
			t.Logf("killed %s; %s took the sweeper's lease %v later (interval %v, lease %v)", victim.name, h,
				time.Since(killed).Round(time.Millisecond), sweepEvery, sweepEvery*2/3)
			wg.Wait()
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no instance took the lease after %s was killed", victim.name)
}

func washington(t *testing.T) *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// decode returns an e-mail's headers and its body, quoted-printable
// decoded.
func decode(t *testing.T, data []byte) string {
	t.Helper()
	head, body, _ := strings.Cut(string(data), "\r\n\r\n")
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatalf("decode e-mail: %v", err)
	}
	return head + "\n\n" + string(b)
}
