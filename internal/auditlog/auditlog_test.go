package auditlog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

var ctx = context.Background()

// markers are unique strings put in every protected field of the story.
var markers = map[string]string{
	"title": "MARKER-TITLE-7f3a", "summary": "MARKER-SUMMARY-91bc", "body": "MARKER-BODY-4d2e",
	"reply": "MARKER-REPLY-0a77", "extension": "MARKER-EXTENSION-5c19", "input": "MARKER-INPUT-e842",
	"notes": "MARKER-NOTES-33f0", "endorsement": "MARKER-ENDORSE-b6d1", "redirect": "MARKER-REDIRECT-2290",
	"attachment name": "MARKER-ANNEX-NAME-5e21.txt", "attachment bytes": "MARKER-ANNEX-BYTES-c8a4",
}

type story struct {
	e       *servicetest.Env
	p       map[string]servicetest.Actor
	signers []string
	m       dissent.Message // the replied and closed message
	other   dissent.Message // a second, redirected message
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tell plays a story touching every protected field.
func tell(t *testing.T) *story {
	t.Helper()
	e := servicetest.New(t)
	p, s := e.Cast(t, 4)
	st := &story{e: e, p: p, signers: s}
	d := p["drafter@state.example"].Actor
	m := must(e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: markers["title"], Summary: markers["summary"], Body: markers["body"]}))
	// An annex, sealed like the text (issue 15): a new version.
	must(e.Svc.AddAttachment(ctx, d, m.ID, markers["attachment name"], []byte(markers["attachment bytes"])))
	m = must(e.Svc.GetMessage(ctx, d, m.ID)).Message
	must(e.Svc.Invite(ctx, d, m.ID, s))
	if err := e.Svc.AskEndorsement(ctx, d, m.ID, s[3]); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Endorse(ctx, p[s[3]].Actor, m.ID, markers["endorsement"]); err != nil {
		t.Fatal(err)
	}
	must(e.Svc.Sign(ctx, p[s[0]].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.Sign(ctx, p[s[1]].Actor, m.ID, m.ContentHash, 1))
	must(e.Svc.Sign(ctx, p[s[2]].Actor, m.ID, m.ContentHash, 0))
	must(e.Svc.Unsign(ctx, p[s[2]].Actor, m.ID))
	// A conditional signature whose quorum is never met.
	must(e.Svc.Sign(ctx, p[s[3]].Actor, m.ID, m.ContentHash, 50))
	must(e.Svc.Submit(ctx, d, m.ID, m.ContentHash))
	off, dir := p["officer@state.example"].Actor, p["director@state.example"].Actor
	must(e.Svc.GetMessage(ctx, off, m.ID))
	must(e.Svc.Signers(ctx, p[s[0]].Actor, m.ID))
	must(e.Svc.Acknowledge(ctx, off, m.ID))
	must(e.Svc.Consult(ctx, off, m.ID, "reviewer@state.example", "2023-11-30"))
	if err := e.Svc.GiveInput(ctx, p["reviewer@state.example"].Actor, m.ID, markers["input"]); err != nil {
		t.Fatal(err)
	}
	must(e.Svc.Extend(ctx, dir, m.ID, 45, markers["extension"]))
	if _, _, err := e.Svc.Reply(ctx, dir, m.ID, markers["reply"]); err != nil {
		t.Fatal(err)
	}
	must(e.Svc.RecordMeeting(ctx, off, m.ID, "2023-12-01", markers["notes"]))
	st.m = must(e.Svc.Close(ctx, off, m.ID))
	o := must(e.Svc.CreateMessage(ctx, d, dissent.Draft{Title: "Personnel matter", Body: "b"}))
	must(e.Svc.Submit(ctx, d, o.ID, o.ContentHash))
	st.other = must(e.Svc.Redirect(ctx, off, o.ID, markers["redirect"], "Office of Civil Rights"))
	must(e.Log.Publish(ctx))
	return st
}

func (st *story) db(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(st.e.Dir, "dissent.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// exec runs a tampering statement, which must change something: a tamper
// that changes nothing would make its test vacuous.
func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed nothing", q)
	}
}

// TestNoClearTextAtRest greps every file of the data directory for the
// story's markers.
func TestNoClearTextAtRest(t *testing.T) {
	st := tell(t)
	// The service can read them back: they are there, only sealed.
	v := must(st.e.Svc.GetMessage(ctx, st.p["drafter@state.example"].Actor, st.m.ID))
	if v.Title.Reveal() != markers["title"] || v.Replies[0].Body.Reveal() != markers["reply"] {
		t.Fatalf("the story's text does not read back: %q", v.Title.Reveal())
	}
	files := 0
	err := filepath.Walk(st.e.Dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for field, mk := range markers {
			if bytes.Contains(b, []byte(mk)) {
				t.Errorf("the %s marker is in clear in %s", field, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Fatalf("looked at %d files; want the database and its WAL at least", files)
	}
	// No table holds a participant's id next to a message.
	db := st.db(t)
	for _, table := range []string{"messages", "message_versions", "signatures", "invitations", "coauthors", "endorsers"} {
		rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var col string
			rows.Scan(&col)
			if col == "person_id" || col == "drafter_id" || col == "author_id" || col == "invited_by" {
				t.Errorf("%s.%s holds a participant in clear", table, col)
			}
		}
		rows.Close()
	}
	var clearActors int
	db.QueryRow(`SELECT COUNT(*) FROM events WHERE kind IN ('signature.added', 'message.submitted', 'message.created') AND actor_id IS NOT NULL`).Scan(&clearActors)
	if clearActors != 0 {
		t.Errorf("%d events of signers and authors name their actor in clear", clearActors)
	}
}

func TestVerifyIntact(t *testing.T) {
	st := tell(t)
	var calls int
	rep, err := st.e.Log.Verify(ctx, func(done, total int64) { calls++ })
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Leaves < 20 || rep.Messages != 2 || rep.Checkpoints < 1 || calls == 0 {
		t.Errorf("Verify report %+v (progress calls %d)", rep, calls)
	}
}

// TestTamperCaught: every kind of tampering is caught with a clear error.
func TestTamperCaught(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, st *story, db *sql.DB)
		read   bool   // the damage shows when the message is read
		want   string // in Verify's (or the read's) error
	}{
		{"a flipped byte in a title", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE message_versions SET title = substr(title, 1, 10) || (CASE WHEN substr(title, 11, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(title, 12) WHERE message_id = ?`, string(st.m.ID))
		}, true, "does not authenticate"},
		{"a flipped byte in a title, found by verify", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE message_versions SET title = substr(title, 1, 10) || (CASE WHEN substr(title, 11, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(title, 12) WHERE message_id = ?`, string(st.m.ID))
		}, false, "open message_versions.title"},
		{"two messages' data keys swapped", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE message_keys SET wrapped = CASE WHEN message_id = ? THEN (SELECT wrapped FROM message_keys WHERE message_id = ?) ELSE (SELECT wrapped FROM message_keys WHERE message_id = ?) END WHERE message_id IN (?, ?)`,
				string(st.m.ID), string(st.other.ID), string(st.m.ID), string(st.m.ID), string(st.other.ID))
		}, false, "a sealed value does not open"},
		{"a flipped byte in a reply", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE replies SET body = substr(body, 1, 30) || (CASE WHEN substr(body, 31, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(body, 32)`)
		}, true, "open replies.body"},
		{"two titles swapped between messages", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE message_versions SET title = (SELECT title FROM message_versions WHERE message_id = ?) WHERE message_id = ?`, string(st.other.ID), string(st.m.ID))
		}, true, "does not authenticate"},
		{"a signer moved to another signature row", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE signatures SET signer_sealed = (SELECT signer_sealed FROM signatures WHERE message_id = ? AND withdrawn IS NULL ORDER BY id LIMIT 1) WHERE id = (SELECT MAX(id) FROM signatures WHERE message_id = ? AND withdrawn IS NULL)`, string(st.m.ID), string(st.m.ID))
		}, false, ""},
		{"an audit entry's sealed content changed", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET sealed = (SELECT sealed FROM log_entries WHERE seq = 3) WHERE seq = 5`)
		}, false, "does not open"},
		{"an audit entry's commitment changed", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET commitment = (SELECT commitment FROM log_entries WHERE seq = 3) WHERE seq = 5`)
		}, false, "altered"},
		{"a read entry moved to another message", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET message_id = ? WHERE seq = (SELECT MAX(seq) FROM log_entries WHERE message_id = ?)`, string(st.other.ID), string(st.m.ID))
		}, false, "filed under message"},
		{"a read's entry refiled as a step of the case", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET class = 3 WHERE seq = (SELECT MAX(seq) FROM log_entries WHERE message_id = ? AND class = 1)`, string(st.m.ID))
		}, true, "filed under class"},
		{"a read's entry refiled as a step, found by verify", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET class = 3 WHERE seq = (SELECT MAX(seq) FROM log_entries WHERE message_id = ? AND class = 1)`, string(st.m.ID))
		}, false, "filed under class 3 in the database but records a read."},
		{"a step refiled as a read, out of the history's sight", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE log_entries SET class = 1 WHERE seq = (SELECT MIN(seq) FROM log_entries WHERE message_id = ? AND class = 3)`, string(st.m.ID))
		}, false, "filed under class 1 in the database but records a message.created"},
		{"a notification inserted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `INSERT INTO notifications (person_tag, person_sealed, kind, message_id, created) SELECT person_tag, person_sealed, kind, message_id, created FROM notifications LIMIT 1`)
		}, false, "table notifications"},
		{"an audit entry deleted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `DELETE FROM log_entries WHERE leaf = 5`)
		}, false, "log entry 5 is missing"},
		{"read entries deleted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `DELETE FROM log_entries WHERE leaf > 20`)
			exec(t, db, `DELETE FROM log_hashes WHERE idx >= ?`, tlogStoredIndex(21))
		}, false, "truncated"},
		{"the log's tail truncated", func(t *testing.T, st *story, db *sql.DB) {
			var n int64
			db.QueryRow(`SELECT MAX(leaf) FROM log_entries`).Scan(&n)
			exec(t, db, `DELETE FROM log_entries WHERE leaf > ?`, n-3)
			exec(t, db, `DELETE FROM checkpoints`)
		}, false, "truncated"},
		{"a signature added behind the service's back", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `INSERT INTO signatures (message_id, version, signer_tag, signer_sealed, content_hash, min_cosigners, signed) VALUES (?, 1, x'00', x'00', 'x', 0, 0)`, string(st.m.ID))
		}, false, "active signatures"},
		{"a state changed behind the service's back", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE messages SET state = 'submitted' WHERE id = ?`, string(st.m.ID))
		}, false, "the log (entry"},
		{"a distribution row inserted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `INSERT INTO distribution (message_id, person_id, created) SELECT ?, id, 0 FROM people WHERE email = 'outsider@state.example'`, string(st.other.ID))
		}, false, "table distribution"},
		{"a reply deleted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `DELETE FROM replies`)
		}, false, "table replies"},
		{"a deadline moved", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `UPDATE messages SET reply_by = '2030-01-01T23:59:59-05:00' WHERE id = ?`, string(st.m.ID))
		}, false, "table messages"},
		{"a role granted", func(t *testing.T, st *story, db *sql.DB) {
			exec(t, db, `INSERT INTO person_roles (person_id, role) SELECT id, 'officer' FROM people WHERE email = 'outsider@state.example'`)
		}, false, "table person_roles"},
	}
	// The story is played once; each case tampers with its own copy of it
	// (the data directory, with the same keys), side by side.
	played := tell(t)
	copies := played.e.Copies(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := *played
			c.e = copies(t)
			st := &c
			// The untouched copy verifies.
			if _, err := st.e.Log.Verify(ctx, nil); err != nil {
				t.Fatalf("Verify before tampering: %v", err)
			}
			tt.tamper(t, st, st.db(t))
			if tt.read {
				_, err := st.e.Svc.GetMessage(ctx, st.p["drafter@state.example"].Actor, st.m.ID)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("reading after tampering: error = %v; want %q", err, tt.want)
				}
				return
			}
			if tt.want == "" {
				_, err := st.e.Svc.Signers(ctx, st.p["drafter@state.example"].Actor, st.m.ID)
				if err == nil || !strings.Contains(err.Error(), "does not authenticate") {
					t.Fatalf("listing signers after tampering: error = %v; want a failure to authenticate", err)
				}
				return
			}
			_, err := st.e.Log.Verify(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify after tampering: error = %v; want %q", err, tt.want)
			}
		})
	}
}

func TestReceipts(t *testing.T) {
	st := tell(t)
	key := verifierKey(t, st)
	for who, act := range map[string]string{"drafter@state.example": "submitted", st.signers[0]: "signed"} {
		r := must(st.e.Svc.Receipt(ctx, st.p[who].Actor, st.m.ID))
		b := must(json.Marshal(r))
		got, err := auditlog.VerifyReceipt(b, key)
		if err != nil {
			t.Fatalf("%s's receipt: %v", who, err)
		}
		if got.Act != act || got.Email != who || got.ContentHash != st.m.ContentHash {
			t.Errorf("%s's receipt says %s %s %s", who, got.Email, got.Act, got.ContentHash)
		}
		// Any field altered: the receipt no longer verifies.
		var fields map[string]any
		json.Unmarshal(b, &fields)
		for k := range fields {
			if k == "format" {
				continue // checked for itself
			}
			alt := map[string]any{}
			for k2, v := range fields {
				alt[k2] = v
			}
			alt[k] = alter(fields[k])
			ab := must(json.Marshal(alt))
			if _, err := auditlog.VerifyReceipt(ab, key); err == nil {
				t.Errorf("%s's receipt with %s altered still verifies", who, k)
			}
		}
	}
	// The conditional signer whose quorum was never met: the receipt says
	// the signature did not count, and saying otherwise does not verify.
	r3 := must(st.e.Svc.Receipt(ctx, st.p[st.signers[3]].Actor, st.m.ID))
	if r3.Counted {
		t.Error("the receipt of a conditional signature that never counted says it counted")
	}
	if _, err := auditlog.VerifyReceipt(must(json.Marshal(r3)), key); err != nil {
		t.Errorf("the uncounted signer's receipt: %v", err)
	}
	r3.Counted = true
	if _, err := auditlog.VerifyReceipt(must(json.Marshal(r3)), key); err == nil || !strings.Contains(err.Error(), "counted") {
		t.Errorf("a receipt claiming an uncounted signature counted: %v; want refused", err)
	}
	if r1 := must(st.e.Svc.Receipt(ctx, st.p[st.signers[0]].Actor, st.m.ID)); !r1.Counted {
		t.Error("an unconditional signer's receipt says it did not count")
	}
	// Duplicate keys: another parser could read another e-mail.
	b0 := must(json.Marshal(must(st.e.Svc.Receipt(ctx, st.p[st.signers[0]].Actor, st.m.ID))))
	dup := append([]byte(`{"email":"someone@else.example",`), b0[1:]...)
	if _, err := auditlog.VerifyReceipt(dup, key); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a receipt with a duplicate key: %v; want refused", err)
	}
	// The signer who withdrew.
	if _, err := st.e.Svc.Receipt(ctx, st.p[st.signers[2]].Actor, st.m.ID); err == nil {
		t.Error("a signer who withdrew got a receipt")
	}
	if _, err := auditlog.VerifyReceipt([]byte(`{"format":"dissent-receipt-v1"}`), key); err == nil {
		t.Error("an empty receipt verifies")
	}
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	wrong := must(auditlog.VerifierKey(st.e.Log.Origin(), other.Public().(ed25519.PublicKey)))
	r := must(st.e.Svc.Receipt(ctx, st.p["drafter@state.example"].Actor, st.m.ID))
	if _, err := auditlog.VerifyReceipt(must(json.Marshal(r)), wrong); err == nil {
		t.Error("a receipt verifies under another log's key")
	}
}

func alter(v any) any {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.Add(time.Second).Format(time.RFC3339Nano)
		}
		if x == "" {
			return "x"
		}
		b := []byte(x)
		i := len(b) / 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	case float64:
		return x + 1
	case []any:
		if len(x) == 0 {
			return []any{"AAAA"}
		}
		y := append([]any{}, x...)
		y[0] = alter(y[0])
		return y
	}
	return "x"
}

func verifierKey(t *testing.T, st *story) string {
	t.Helper()
	return st.e.Log.VerifierKey()
}

func TestTiles(t *testing.T) {
	st := tell(t)
	cp := must(st.e.Svc.LogCheckpoint(ctx))
	if !bytes.HasPrefix(cp, []byte(st.e.Log.Origin()+"\n")) {
		t.Fatalf("checkpoint %q does not start with the origin", cp)
	}
	var size int
	lines := strings.Split(string(cp), "\n")
	if _, err := fmtSscan(lines[1], &size); err != nil || size < 20 {
		t.Fatalf("checkpoint size line %q", lines[1])
	}
	entries := must(st.e.Svc.LogTile(ctx, "tile/entries/000.p/"+itoa(size)))
	n := 0
	for len(entries) >= 2 {
		l := int(entries[0])<<8 | int(entries[1])
		// Each entry is a 32-byte commitment: nothing of the event.
		if l != 32 || json.Valid(entries[2:2+l]) {
			t.Fatalf("entry %d of the bundle has %d bytes; want a 32-byte commitment", n, l)
		}
		entries = entries[2+l:]
		n++
	}
	if n != size {
		t.Errorf("entry bundle holds %d entries; want %d", n, size)
	}
	hashes := must(st.e.Svc.LogTile(ctx, "tile/0/000.p/"+itoa(size)))
	if len(hashes) != 32*size {
		t.Errorf("hash tile has %d bytes; want %d", len(hashes), 32*size)
	}
	for _, bad := range []string{"tile/0/000.p/" + itoa(size+1), "tile/entries/001", "tile/x", "../etc/passwd", "tile/9/000", "tile/data/000", "tile/-1/000"} {
		if _, err := st.e.Svc.LogTile(ctx, bad); dissent.ErrorKind(err) != dissent.KindNotFound {
			t.Errorf("LogTile(%q) error = %v; want not found", bad, err)
		}
	}
}

func FuzzVerifyReceipt(f *testing.F) {
	f.Add([]byte(`{"format":"dissent-receipt-v1","checkpoint":"x\n1\nAAAA\n\n— x abc"}`))
	f.Add([]byte(`{}`))
	key := must(auditlog.VerifierKey("fuzz.log/x", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := auditlog.VerifyReceipt(b, key); err == nil {
			t.Fatalf("a forged receipt verified: %+v", r)
		}
	})
}

func tlogStoredIndex(n int64) int64 { return tlog.StoredHashIndex(0, n) }

// TestVerifyInChunks verifies the story's log in chunks of 3 entries, so
// that it spans many chunks, read by Verify's readers in turn: the intact
// log verifies, and damage in a chunk of either reader, or to a stored
// hash far from the first chunk, is found and named.
func TestVerifyInChunks(t *testing.T) {
	defer auditlog.SetVerifyChunkForTest(3)()
	tests := []struct {
		name   string
		tamper string
		want   string
	}{
		{"intact", ``, ""},
		{"sealed content changed (the second reader's chunk)", `UPDATE log_entries SET sealed = (SELECT sealed FROM log_entries WHERE leaf = 1) WHERE leaf = 4`, "log entry 3: log entry"},
		{"sealed content changed (the first reader's, not the first chunk)", `UPDATE log_entries SET sealed = (SELECT sealed FROM log_entries WHERE leaf = 1) WHERE leaf = 7`, "log entry 6: log entry"},
		{"commitment changed (the second reader's chunk)", `UPDATE log_entries SET commitment = (SELECT commitment FROM log_entries WHERE leaf = 1) WHERE leaf = 10`, "log entry 10: it has been altered"},
		{"entry moved to another message (the second reader's chunk)", `UPDATE log_entries SET message_id = 'm-elsewhere' WHERE leaf = (SELECT MIN(leaf) FROM log_entries WHERE message_id IS NOT NULL AND leaf >= 15 AND (leaf / 3) % 2 = 1)`, "filed under message"},
		{"entry deleted (the second reader's chunk)", `DELETE FROM log_entries WHERE leaf = 16`, "log entry 16 is missing"},
		{"stored hash changed", `UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = ` + itoa(int(tlogStoredIndex(22))), "log entry 22 has been altered"},
	}
	// The story is played once; each case tampers with its own copy of it
	// (the data directory, with the same keys).
	played := tell(t)
	copies := played.e.Copies(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *played
			c.e = copies(t)
			st := &c
			if tt.tamper != "" {
				exec(t, st.db(t), tt.tamper)
			}
			rep, err := st.e.Log.Verify(ctx, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.want == "" && rep.Leaves < 30:
				t.Fatalf("Verify saw %d leaves; the test wants at least ten chunks", rep.Leaves)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Verify after tampering: error = %v; want %q", err, tt.want)
			case strings.Contains(tt.name, "sealed") && !strings.Contains(err.Error(), "does not open under the log's key"):
				t.Fatalf("Verify after tampering: error = %v; want the entry not to open", err)
			}
		})
	}
}

// TestTamperNeedsRowDigests mutates the checker: with the comparison of
// rows against the log turned off, an inserted distribution row (which
// grants a principal a message) goes unseen. The tamper tests above catch
// it only because of that comparison.
func TestTamperNeedsRowDigests(t *testing.T) {
	ctx := context.Background()
	st := tell(t)
	exec(t, st.db(t), `INSERT INTO distribution (message_id, person_id, created) SELECT ?, id, 0 FROM people WHERE email = 'outsider@state.example'`, string(st.other.ID))
	auditlog.SkipRowsForTest(true)
	_, err := st.e.Log.Verify(ctx, nil)
	auditlog.SkipRowsForTest(false)
	if err != nil {
		t.Fatalf("Verify without the row check = %v; want it to miss the inserted row", err)
	}
	if _, err := st.e.Log.Verify(ctx, nil); err == nil || !strings.Contains(err.Error(), "table distribution") {
		t.Fatalf("Verify with the row check = %v; want the inserted row named", err)
	}
}

// TestDeadlinesMakeSense checks the clocks verify checks beside the log: a
// reply deadline moved past what the calendar gives, or an acknowledgement
// before the submission, is named.
func TestDeadlinesMakeSense(t *testing.T) {
	played := tell(t)
	copies := played.e.Copies(t)
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"reply_by moved", `UPDATE messages SET reply_by = '2024-06-28T23:59:59-04:00' WHERE id = ?`, "reply due"},
		{"acknowledged before submitted", `UPDATE messages SET acknowledged_at = submitted_at - 86400000000000 WHERE id = ?`, "acknowledged before"},
		{"reply period past the limit", `UPDATE messages SET reply_days = 61 WHERE id = ?`, "reply period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := *played
			c.e = copies(t)
			st := &c
			if n, err := st.e.Svc.CheckDeadlines(ctx); err != nil || n != 2 {
				t.Fatalf("CheckDeadlines before = %d, %v; want 2 messages, no error", n, err)
			}
			exec(t, st.db(t), tc.sql, string(st.m.ID))
			if _, err := st.e.Svc.CheckDeadlines(ctx); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), string(st.m.ID)) {
				t.Fatalf("CheckDeadlines after = %v; want %q naming the message", err, tc.want)
			}
		})
	}
}

// TestCheckNew is serve's background check: the entries integrated since
// its last call, and the rows they recorded, are checked; a row changed
// behind the service's back after its entry is named, and so is an entry
// whose sealed content no longer matches its commitment.
func TestCheckNew(t *testing.T) {
	st := tell(t)
	if _, err := st.e.Log.CheckNew(ctx); err != nil {
		t.Fatalf("CheckNew of the untouched story: %v", err)
	}
	// A new act, then its row edited before the next check.
	off := st.p["officer@state.example"].Actor
	must(st.e.Svc.RecordMeeting(ctx, off, st.m.ID, "2023-12-02", "notes"))
	db := st.db(t)
	exec(t, db, `UPDATE meetings SET held_on = '2023-12-24' WHERE id = (SELECT MAX(id) FROM meetings)`)
	if _, err := st.e.Log.CheckNew(ctx); err == nil || !strings.Contains(err.Error(), "table meetings") {
		t.Fatalf("CheckNew after an edit of a new row = %v; want the meetings row named", err)
	}
	// A fresh check (as after a restart) finds an altered entry anywhere.
	exec(t, db, `UPDATE meetings SET held_on = '2023-12-02' WHERE id = (SELECT MAX(id) FROM meetings)`)
	exec(t, db, `UPDATE log_entries SET commitment = (SELECT commitment FROM log_entries WHERE seq = 3) WHERE seq = 5`)
	name, key := st.e.Ring.LogKey()
	fresh := must(auditlog.New(st.e.DB, name, key, "", st.e.Clock.Now))
	if _, err := fresh.CheckNew(ctx); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("CheckNew of an altered entry = %v; want it named", err)
	}
}
