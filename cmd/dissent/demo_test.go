package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestDemo builds the demo on a temporary directory and checks that it has
// a message in every state and a person in every role, that /demo lists
// them all, that one click signs a person in, and that the log verifies.
func TestDemo(t *testing.T) {
	ctx := context.Background()
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	clk := newDemoClock()
	e.clock = clk.Now
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	if err := setUpDemo(ctx, e, cfg, clk); err != nil {
		t.Fatalf("setUpDemo: %v", err)
	}
	d, err := open(ctx, e, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	states := map[dissent.State]int{}
	if err := d.db.View(ctx, func(tx dissent.Tx) error {
		ms, err := tx.MessageStates(ctx)
		for _, m := range ms {
			states[m.State]++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []dissent.State{dissent.StateDraft, dissent.StateCirculating, dissent.StateSubmitted, dissent.StateAcknowledged,
		dissent.StateReplied, dissent.StateClosed, dissent.StateWithdrawn, dissent.StateRedirected} {
		if states[st] == 0 {
			t.Errorf("the demo has no message in state %s (states: %v)", st, states)
		}
	}
	// The message model: markings, topics, attachments, related messages.
	v, err := d.svc.GetVocabulary(ctx)
	if err != nil || len(v.Classifications) < 2 || len(v.Topics) < 2 || len(v.Tiers) < 2 {
		t.Errorf("the demo's vocabulary = %+v, %v", v, err)
	}
	var marked, topics, annexes, related int
	if err := d.db.View(ctx, func(tx dissent.Tx) error {
		ms, err := tx.MessageStates(ctx)
		for id := range ms {
			m, err := tx.Message(ctx, id)
			if err != nil {
				return err
			}
			if m.Classification != "" {
				marked++
			}
			if m.Topic != "" {
				topics++
			}
			annexes += len(m.Attachments)
			related += len(m.Related)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if marked < 3 || topics < 3 || annexes < 2 || related < 1 {
		t.Errorf("the demo shows %d marked messages, %d with topics, %d attachments, %d related; want some of each", marked, topics, annexes, related)
	}
	if rep, err := d.log.Verify(ctx, nil); err != nil {
		t.Errorf("the demo's audit log does not verify: %v (%+v)", err, rep)
	}

	srv := httptest.NewServer(web.New(d.svc, web.Options{Demo: true, Logger: discardLog()}))
	defer srv.Close()
	page := get(t, srv.Client(), srv.URL+"/demo", http.StatusOK)
	if !strings.Contains(page, `id="demo-banner"`) {
		t.Error("/demo has no DEMO banner")
	}
	var emma dissent.PersonID
	for _, r := range dissent.AllRoles {
		pg, err := d.svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{Role: r})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.People) == 0 {
			t.Errorf("the demo has nobody with the role %s", r)
		}
		if !strings.Contains(page, `id="role-`+string(r)+`"`) {
			t.Errorf("/demo has no section for the role %s", r)
		}
		for _, p := range pg.People {
			if n := strings.Count(page, `action="/demo/signin/`+strconv.FormatInt(int64(p.ID), 10)+`"`); n != 1 {
				t.Errorf("/demo lists %d sign-in buttons for %s; want 1", n, p.Email)
			}
			if p.Email == "emma@state.example" {
				emma = p.ID
			}
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(srv.URL+"/demo/signin/"+strconv.FormatInt(int64(emma), 10), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	me := get(t, c, srv.URL+"/api/v1/me", http.StatusOK)
	if !strings.Contains(me, "emma@state.example") {
		t.Errorf("after one click, /api/v1/me = %s; want Emma", me)
	}
	list := get(t, c, srv.URL+"/api/v1/messages", http.StatusOK)
	if !strings.Contains(list, `"state":"replied"`) || !strings.Contains(list, `"state":"circulating"`) {
		t.Errorf("Emma's messages lack the replied one she drafted or the circulating one she signed: %s", list)
	}
	// The demo shows progress, notifications and a meeting request.
	var circ, ack string
	for _, m := range regexp.MustCompile(`"id":"([0-9a-f]{32})"[^{}]*?"state":"(circulating|acknowledged|replied)"`).FindAllStringSubmatch(list, -1) {
		switch m[2] {
		case "circulating":
			circ = m[1]
		}
	}
	if circ == "" {
		t.Fatalf("no circulating message in Emma's list: %s", list)
	}
	notes := get(t, c, srv.URL+"/api/v1/notifications", http.StatusOK)
	for _, k := range []string{dissent.NoteInvited, dissent.NoteMeetingRequested} {
		if !strings.Contains(notes, `"kind":"`+k+`"`) {
			t.Errorf("Emma's notifications lack %s: %s", k, notes)
		}
	}
	page = get(t, c, srv.URL+"/messages/"+circ, http.StatusOK)
	if !strings.Contains(page, "You signed version 2") {
		t.Errorf("Emma's page of the circulating message does not show her signature on version 2")
	}
	chen := demoSignIn(t, srv.URL, d.svc, "chen@state.example")
	page = get(t, chen, srv.URL+"/messages/"+circ, http.StatusOK)
	if !strings.Contains(page, "1 of 3 signed") {
		t.Errorf("Chen's page does not show the progress 1 of 3 signed (the sealed signature as not signed)")
	}
	fatima := demoSignIn(t, srv.URL, d.svc, "fatima@state.example")
	if n := get(t, fatima, srv.URL+"/api/v1/notifications", http.StatusOK); !strings.Contains(n, dissent.NoteResign) {
		t.Errorf("Fatima was not told that the text she signed changed: %s", n)
	}
	if pg := get(t, fatima, srv.URL+"/messages/"+circ+"/sign", http.StatusOK); !strings.Contains(pg, "What changed since you signed version 1") || !strings.Contains(pg, "<ins>") {
		t.Errorf("Fatima's sign page shows no difference against what she signed")
	}
	hana := demoSignIn(t, srv.URL, d.svc, "hana@state.example")
	hl := get(t, hana, srv.URL+"/api/v1/messages", http.StatusOK)
	for _, m := range regexp.MustCompile(`"id":"([0-9a-f]{32})"[^{}]*?"state":"acknowledged"`).FindAllStringSubmatch(hl, -1) {
		ack = m[1]
	}
	if pg := get(t, hana, srv.URL+"/messages/"+ack, http.StatusOK); ack == "" || !strings.Contains(pg, `id="meeting-requests"`) {
		t.Errorf("Hana's acknowledged message shows no meeting request")
	}

	resp, err = c.Post(srv.URL+"/demo/signin/999999", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("sign-in as nobody: %d; want 404", resp.StatusCode)
	}

	// Without demo mode, the routes do not exist.
	plain := httptest.NewServer(web.New(d.svc, web.Options{Logger: discardLog()}))
	defer plain.Close()
	get(t, plain.Client(), plain.URL+"/demo", http.StatusNotFound)
	resp, err = plain.Client().Post(plain.URL+"/demo/signin/"+strconv.FormatInt(int64(emma), 10), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || len(resp.Cookies()) > 0 {
		t.Errorf("POST /demo/signin outside demo mode: %d with cookies %v; want 404 and none", resp.StatusCode, resp.Cookies())
	}
}

func get(t *testing.T, c *http.Client, url string, want int) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("GET %s: %d; want %d", url, resp.StatusCode, want)
	}
	return string(b)
}

// demoSignIn signs email in with the demo's one-click sign-in.
func demoSignIn(t *testing.T, base string, svc *dissent.Service, email string) *http.Client {
	t.Helper()
	p, err := svc.SearchPeople(context.Background(), dissent.System, dissent.PeopleQuery{Prefix: email})
	if err != nil || len(p.People) == 0 {
		t.Fatalf("find %s: %v", email, err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/demo/signin/"+strconv.FormatInt(int64(p.People[0].ID), 10), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestServeDemo runs `serve --demo` as a newcomer would: it seeds a
// temporary directory, prints where to go, serves /demo with the banner,
// and removes the directory when it stops.
func TestServeDemo(t *testing.T) {
	srv := startServe(t, nil, "--demo")
	code, _, body := srv.get("/demo")
	if code != 200 || !strings.Contains(body, `id="demo-banner"`) || !strings.Contains(body, "emma@state.example") {
		t.Errorf("GET /demo = %d; want the cast under a DEMO banner", code)
	}
	srv.stop(t)
	out := srv.stdout.String()
	m := regexp.MustCompile(`DEMO deployment in (\S+) `).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "/demo to sign in") {
		t.Fatalf("serve --demo printed %q; want the directory and the /demo address", out)
	}
	if _, err := os.Stat(m[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary directory %s is still there after serve stopped (%v)", m[1], err)
	}
}

// TestServeDemoRefusesARealDeployment: --demo on a data directory that
// `dissent init` made would offer one-click sign-ins into it; it refuses.
func TestServeDemoRefusesARealDeployment(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	var out, errb syncBuffer
	getenv := func(string) string { return "" }
	if err := run(context.Background(), []string{"init", "--data", data}, strings.NewReader(""), &out, &errb, getenv); err != nil {
		t.Fatalf("init: %v", err)
	}
	err := run(context.Background(), []string{"serve", "--demo", "--data", data, "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb, getenv)
	if err == nil || !strings.Contains(err.Error(), "--demo serves only a deployment that serve --demo made") {
		t.Errorf("serve --demo on a real deployment = %v; want a refusal", err)
	}
}

// TestDemoSeedAnyDay: the seed works whatever day it runs: on a weekend,
// on a holiday, around the new year.
func TestDemoSeedAnyDay(t *testing.T) {
	for _, day := range []string{"2024-11-28T15:00:00Z", "2024-12-29T03:00:00Z", "2025-01-06T13:00:00Z", "2025-07-05T23:00:00Z"} {
		t.Run(day, func(t *testing.T) {
			t.Parallel() // each day seeds its own deployment
			now, err := time.Parse(time.RFC3339, day)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			clk := newDemoClock()
			clk.real = func() time.Time { return now.Add(time.Since(start)) }
			e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, clock: clk.Now}
			cfg := config.Default()
			cfg.DataDir = filepath.Join(t.TempDir(), "data")
			if err := setUpDemo(context.Background(), e, cfg, clk); err != nil {
				t.Fatalf("seed on %s: %v", day, err)
			}
			d, err := open(context.Background(), e, cfg, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			states := map[dissent.State]bool{}
			err = d.db.View(context.Background(), func(tx dissent.Tx) error {
				ms, err := tx.MessageStates(context.Background())
				for _, m := range ms {
					states[m.State] = true
				}
				return err
			})
			if err != nil || len(states) != 8 {
				t.Errorf("seeded on %s: states %v, %v; want all 8", day, states, err)
			}
		})
	}
}
