//go:build unix

package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/web"
)

// The session's own cost, on every page signed in by cookie: a read of the
// session and a read of its person together with their count of unread
// notifications (shown in the navigation). No write: the session is written
// back only when its idle expiry would move by more than a minute (or its
// data changed), so a page that records nothing writes nothing.
const sessionReads, sessionWrites = 2, 0

// TestPageCost counts what the store does for one view of each main page
// (issue 17 goal 3): beyond the session's fixed cost, one read transaction
// and at most one write (the one that records the page's reads, all in one
// append batch), the message loaded once and the management chain queried
// once. Every read of protected content is still recorded.
func TestPageCost(t *testing.T) {
	e := servicetest.New(t)
	cast, _ := e.Cast(t, 0)
	now := time.Date(2024, 6, 5, 16, 0, 0, 0, time.UTC)
	ids := seedBulk(t, e, cast["officer@state.example"].ID, now, 250) // the counts do not depend on the size
	e.Clock.Set(now)
	srv := web.New(e.Svc, web.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: web.AuthOptions{PublicURL: "http://localhost", Limits: unlimited}})
	officer := pageSession(t, e, srv, "officer@state.example")
	drafter := pageSession(t, e, srv, "drafter000@state.example")
	newest := string(ids[len(ids)-1])
	touch := func() {
		err := e.DB.Update(context.Background(), func(tx dissent.Tx) error {
			m, err := tx.LockMessage(context.Background(), ids[len(ids)-1])
			if err != nil {
				return err
			}
			m.Updated = m.Updated.Add(time.Nanosecond)
			return tx.UpdateMessage(context.Background(), m)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, path string
		who        *http.Cookie
		change     bool
		loads      int64          // at most this many loads of one message by id
		reads      map[string]int // the reads the page must record, by kind
	}{
		{"inbox", "/inbox", officer, false, 0, map[string]int{"read.title": 20}},
		{"inbox after a change", "/inbox", officer, true, 0, map[string]int{"read.title": 20}},
		{"case page", "/messages/" + newest, officer, false, 1, map[string]int{"read.text": 1}},
		{"case page with names", "/messages/" + newest + "?names=1", officer, false, 1, map[string]int{"read.text": 1, "read.names": 1}},
		{"case page with names after a change", "/messages/" + newest + "?names=1", officer, true, 1, map[string]int{"read.text": 1, "read.names": 1}},
		{"dashboard", "/dashboard", officer, false, 0, nil},
		{"dashboard after a change", "/dashboard", officer, true, 0, nil},
		{"my messages", "/messages", drafter, false, 0, nil}, // the drafter's own titles: not recorded
		{"my messages after a change", "/messages", drafter, true, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			get := func() {
				req := httptest.NewRequest("GET", "http://localhost"+c.path, nil)
				req.AddCookie(c.who)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s = %d", c.path, rec.Code)
				}
			}
			get() // the first view may fill caches
			if c.change {
				touch()
			}
			seq := logEnd(t, e)
			before := e.DB.Stats()
			get()
			d := diff(e.DB.Stats(), before)
			t.Logf("%s: %d read transactions, %d writes, %d message loads, %d chain queries", c.path, d.Views, d.Updates, d.MessageLoads, d.ChainQueries)
			if d.Views != sessionReads+1 || d.Updates > sessionWrites+1 {
				t.Errorf("%d read and %d write transactions, want the session's %d and %d, plus 1 read and at most 1 write",
					d.Views, d.Updates, sessionReads, sessionWrites)
			}
			if len(c.reads) == 0 && d.Updates != sessionWrites {
				t.Errorf("%d write transactions for a page that records no read, want only the session's %d", d.Updates, sessionWrites)
			}
			if d.MessageLoads > c.loads {
				t.Errorf("message loaded %d times, want at most %d", d.MessageLoads, c.loads)
			}
			if d.ChainQueries > 1 {
				t.Errorf("management chain queried %d times, want at most 1", d.ChainQueries)
			}
			got := map[string]int{}
			for _, k := range kindsSince(t, e, seq) {
				got[k]++
			}
			for k, n := range c.reads {
				if got[k] < n {
					t.Errorf("%d %s events recorded, want at least %d (every read of protected content is logged)", got[k], k, n)
				}
			}
			for k, n := range got {
				if c.reads[k] == 0 {
					t.Errorf("%d unexpected %s events", n, k)
				}
			}
		})
	}
}

func diff(a, b store.Stats) store.Stats {
	return store.Stats{Views: a.Views - b.Views, Updates: a.Updates - b.Updates, MessageLoads: a.MessageLoads - b.MessageLoads, ChainQueries: a.ChainQueries - b.ChainQueries}
}

// logEnd is one past the highest sequence number in the log.
func logEnd(t *testing.T, e *servicetest.Env) int64 {
	t.Helper()
	var end int64
	for _, le := range logEntries(t, e) {
		end = max(end, le.Seq+1)
	}
	return end
}

// kindsSince returns the kinds of the log's entries numbered from on.
func kindsSince(t *testing.T, e *servicetest.Env, from int64) []string {
	t.Helper()
	var kinds []string
	for _, le := range logEntries(t, e) {
		if le.Seq < from {
			continue
		}
		var r dissent.EntryRecord
		if err := json.Unmarshal(le.Payload, &r); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, r.Kind)
	}
	return kinds
}

// logEntries returns every entry of the log, integrated into the tree or
// still pending (PostgreSQL integrates in the background).
func logEntries(t *testing.T, e *servicetest.Env) []dissent.LogEntry {
	t.Helper()
	var out []dissent.LogEntry
	err := e.DB.View(context.Background(), func(tx dissent.Tx) error {
		size, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		if size > 0 {
			if out, err = tx.LogEntries(context.Background(), 0, size); err != nil {
				return err
			}
		}
		pending, err := tx.PendingEntries(context.Background())
		out = append(out, pending...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSessionRenewedOnlyWhenDue: a page view writes the session back only
// when its idle expiry would move by a minute or more; then it is renewed.
func TestSessionRenewedOnlyWhenDue(t *testing.T) {
	e := servicetest.New(t)
	people, _ := e.Cast(t, 0)
	srv := web.New(e.Svc, web.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: web.AuthOptions{PublicURL: "http://localhost", Limits: unlimited}})
	officer := pageSession(t, e, srv, "officer@state.example")
	ctx := context.Background()
	find := func() ([]byte, time.Time) {
		t.Helper()
		data, expiry, found, err := e.Svc.FindSession(ctx, officer.Value, time.Now())
		if err != nil || !found {
			t.Fatalf("session: found %v, %v", found, err)
		}
		return data, expiry
	}
	view := func() store.Stats {
		t.Helper()
		before := e.DB.Stats()
		req := httptest.NewRequest("GET", "http://localhost/dashboard", nil)
		req.AddCookie(officer)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /dashboard = %d", rec.Code)
		}
		return diff(e.DB.Stats(), before)
	}
	_, signedIn := find()
	if d := view(); d.Updates != 0 {
		t.Errorf("a view right after sign-in wrote %d times, want none", d.Updates)
	}
	if _, exp := find(); !exp.Equal(signedIn) {
		t.Errorf("expiry moved from %v to %v on a view within a minute", signedIn, exp)
	}
	// The stored expiry falls two minutes behind, as after two idle minutes:
	// the next view writes it forward.
	data, _ := find()
	stale := signedIn.Add(-2 * time.Minute)
	if err := e.Svc.CommitSession(ctx, officer.Value, people["officer@state.example"].ID, data, stale, true); err != nil {
		t.Fatal(err)
	}
	if d := view(); d.Updates != 1 {
		t.Errorf("a view with the expiry two minutes behind wrote %d times, want 1", d.Updates)
	}
	if _, exp := find(); !exp.After(stale.Add(time.Minute)) {
		t.Errorf("expiry %v not renewed (was %v)", exp, stale)
	}
}
