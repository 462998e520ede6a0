package dissent_test

import (
	"bytes"
	"database/sql"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// participationTables hold who takes part in which message; they may keep
// no clear person id and no time finer than a day.
var participationTables = []string{"coauthors", "invitations", "signatures", "endorsers", "participation_index", "notifications"}

// personTables name a person in clear; they may keep no time finer than a
// day (signin_links.expires excepted: see SECURITY.md).
var personTables = map[string][]string{
	"people":       {"created"},
	"tokens":       {"created", "last_used", "revoked"},
	"signin_links": {"used"},
	"passkeys":     {"created", "last_used"},
}

// TestDatabaseThief plays the thief of a copied SQLite file after the seed
// story (issue 11): one signer takes part in two messages (a sealed
// conditional signature on one, a withdrawn and renewed one on the other),
// with a co-author, an endorser, an invitation link, token uses and a
// browser session. Without the keyring, no value of the participation
// tables links the signer's rows on the two messages, none of them holds a
// person id or a time finer than a day, and the tables that name people
// hold only days.
func TestDatabaseThief(t *testing.T) {
	if b := os.Getenv(servicetest.BackendEnv); b != "" && b != "sqlite" {
		t.Skipf("%s=%s: the stolen file is SQLite's", servicetest.BackendEnv, b)
	}
	e := servicetest.New(t)
	p, s := e.Cast(t, 4)
	d := p["drafter@state.example"]
	signer := p[s[1]]
	// The clock moves by odd amounts between acts, as real acts do.
	tick := func() { e.Clock.Set(e.Clock.Now().Add(37*time.Minute + 1234567*time.Nanosecond)) }

	for i, title := range []string{"On the war", "On the budget"} {
		tick()
		m := must(e.Svc.CreateMessage(ctx, d.Actor, dissent.Draft{Title: title, Summary: "Change course.", Body: "We recommend a change " + fmt.Sprint(i) + "."}))
		tick()
		if err := e.Svc.AddCoauthor(ctx, d.Actor, m.ID, s[0]); err != nil {
			t.Fatal(err)
		}
		tick()
		must(e.Svc.Invite(ctx, d.Actor, m.ID, []string{signer.Email, s[2]}))
		tick()
		if err := e.Svc.AskEndorsement(ctx, d.Actor, m.ID, s[3]); err != nil {
			t.Fatal(err)
		}
		tick()
		link := must(e.Svc.CreateInviteLink(ctx, d.Actor, m.ID))
		tick()
		must(e.Svc.JoinByLink(ctx, p["outsider@state.example"].Actor, link))
		// The signer uses their API token, then signs.
		tick()
		a := must(e.Svc.AuthenticateToken(ctx, dissent.NewSecret(signer.Token), "192.0.2.7"))
		// serve writes noted token uses every few seconds; here, at once.
		if err := e.Svc.FlushTokenUses(ctx); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			must(e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 50)) // sealed: its quorum is never met
		} else {
			must(e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 0))
			tick()
			must(e.Svc.Unsign(ctx, a, m.ID))
			tick()
			must(e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 0))
		}
		tick()
		must(e.Svc.Sign(ctx, p[s[2]].Actor, m.ID, m.ContentHash, 0))
		tick()
		must(e.Svc.Submit(ctx, d.Actor, m.ID, m.ContentHash))
		tick()
		if err := e.Svc.Endorse(ctx, p[s[3]].Actor, m.ID, "I endorse this."); err != nil {
			t.Fatal(err)
		}
	}
	// The signer signs in with a one-time link, as in a browser.
	tick()
	link := must(e.Svc.IssueSignInLink(ctx, dissent.System, signer.Email))
	tick()
	must(e.Svc.SignInWithLink(ctx, link, "192.0.2.7"))
	// The signer reads every notice at once ("mark all read").
	tick()
	if n, err := e.Svc.MarkNotificationsRead(ctx, signer.Actor, nil); err != nil || n < 2 {
		t.Fatalf("MarkNotificationsRead = %d, %v; want the notices of both messages", n, err)
	}
	// A browser session of the signer's (the body is what scs stores:
	// the person's id and when they signed in).
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(map[string]any{"person": int64(signer.ID), "signed_in": e.Clock.Now().Unix()}); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.CommitSession(ctx, "browser-session-token", signer.ID, body.Bytes(), time.Now().Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}

	// The theft: a consistent copy of the file; the keyring stays behind.
	stolen := filepath.Join(t.TempDir(), "stolen.db")
	src, err := sql.Open("sqlite", "file:"+filepath.Join(e.Dir, "dissent.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exec(`VACUUM INTO '` + stolen + `'`); err != nil {
		t.Fatal(err)
	}
	src.Close()
	db, err := sql.Open("sqlite", "file:"+stolen+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// 1. No value of a row about one message appears in a row about the
	// other (message ids, and the pseudonym the office's own notices are
	// filed under, excepted: officers are not dissenters).
	office := map[string]bool{}
	sealer := seal.New(e.Ring)
	for _, who := range []string{"officer@state.example", "officer2@state.example", "director@state.example", "boss@state.example", "monitor@state.example"} {
		office[string(sealer.Pseudonym([]byte("dissent notices"), p[who].ID))] = true
	}
	where := map[string]map[dissent.MessageID]string{} // value → message → table.column
	for _, table := range append([]string{"messages", "message_versions"}, participationTables...) {
		idCol := "message_id"
		if table == "messages" {
			idCol = "id"
		}
		for _, col := range columns(t, db, table) {
			if col.name == idCol {
				continue
			}
			rows, err := db.Query(`SELECT ` + idCol + `, ` + col.name + ` FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				var v any
				if err := rows.Scan(&id, &v); err != nil {
					t.Fatal(err)
				}
				b, ok := v.([]byte)
				if !ok || len(b) < 16 || office[string(b)] {
					continue // numbers, short codes, states: not a person's
				}
				if where[string(b)] == nil {
					where[string(b)] = map[dissent.MessageID]string{}
				}
				where[string(b)][dissent.MessageID(id)] = table + "." + col.name
			}
			rows.Close()
		}
	}
	for v, ms := range where {
		if len(ms) > 1 {
			t.Errorf("value %x appears on %d messages: %v", v[:8], len(ms), ms)
		}
	}

	// 2. The participation tables hold no person id (no column refers to
	// people) and no time finer than a day.
	for _, table := range participationTables {
		rows, err := db.Query(`SELECT "table", "from" FROM pragma_foreign_key_list('` + table + `')`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var to, from string
			rows.Scan(&to, &from)
			if to == "people" {
				t.Errorf("%s.%s names a person in clear", table, from)
			}
		}
		rows.Close()
		for _, col := range columns(t, db, table) {
			if strings.Contains(col.name, "person_id") || strings.Contains(col.name, "actor") {
				t.Errorf("%s.%s names a person in clear", table, col.name)
			}
		}
	}
	coarse := map[string][]string{"coauthors": {"created"}, "invitations": {"created"}, "endorsers": {"created", "endorsed_at"},
		"signatures": {"signed", "withdrawn"}, "notifications": {"read_at"}}
	for table, cols := range personTables {
		coarse[table] = cols
	}
	for table, cols := range coarse {
		for _, col := range cols {
			var n, fine int
			if err := db.QueryRow(`SELECT COUNT(`+col+`), COUNT(CASE WHEN `+col+` % 86400000000000 <> 0 THEN 1 END) FROM `+table).Scan(&n, &fine); err != nil {
				t.Fatal(err)
			}
			if fine > 0 {
				t.Errorf("%s.%s: %d of %d times are finer than a day", table, col, fine, n)
			}
			if n == 0 && table != "passkeys" && col != "revoked" {
				t.Errorf("%s.%s holds no time: the story did not exercise it", table, col)
			}
		}
	}
	// The participation index holds nothing but locators and message ids.
	if cols := columns(t, db, "participation_index"); len(cols) != 2 {
		t.Errorf("participation_index has columns %v; want locator and message_id only", cols)
	}

	// 3. Sessions name no one and read as nothing.
	for _, col := range columns(t, db, "sessions") {
		if strings.Contains(col.name, "person_id") {
			t.Errorf("sessions.%s names a person in clear", col.name)
		}
	}
	var data []byte
	if err := db.QueryRow(`SELECT data FROM sessions`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("person")) || bytes.Contains(data, []byte("signed_in")) || bytes.Equal(data, body.Bytes()) {
		t.Errorf("the stolen session body is readable: %q", data)
	}
}

type column struct{ name, typ string }

func columns(t *testing.T, db *sql.DB, table string) []column {
	t.Helper()
	rows, err := db.Query(`SELECT name, type FROM pragma_table_info('` + table + `')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("table %s has no columns", table)
	}
	return out
}
