package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// checkpointSize is the tree size a signed checkpoint states (its second
// line).
func checkpointSize(t testing.TB, note string) int64 {
	t.Helper()
	lines := strings.SplitN(note, "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("not a checkpoint: %q", note)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("checkpoint size %q: %v", lines[1], err)
	}
	return n
}

// entryBundlePaths are the C2SP tlog-tiles paths of the entry bundles of a
// tree of size n: full bundles of 256 entries, then the partial one.
func entryBundlePaths(n int64) []string {
	var out []string
	for i := int64(0); i*256 < n; i++ {
		w := min(n-i*256, 256)
		p := tlog.Tile{H: 8, L: 0, N: i, W: int(w)}.Path()
		out = append(out, "/log/tile/entries/"+strings.TrimPrefix(p, "tile/8/0/"))
	}
	return out
}

// splitBundle splits an entry bundle: each entry is a big-endian 16-bit
// length and that many bytes.
func splitBundle(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			t.Fatalf("entry bundle ends inside a length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			t.Fatalf("entry bundle ends inside an entry of %d bytes", n)
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}

// publicKinds are the words of event kinds; none may be readable in the
// public log.
var publicKinds = []string{"message.", "signature.", "read.", "token.", "signin", "signout", "person.", "org.", "unit.",
	"reply.", "meeting.", "consultation.", "deadline.", "endorsement.", "exposure.", "calendar.", "invite", "passkey", "role"}

// attribution is what the correlation script learned: an actor placed
// next to an act on a message.
type attribution struct {
	actor    string
	act      string
	entry    int
	evidence string
}

// correlate is the public attacker's script of issue #11: read each entry,
// and for every entry that names an actor (a sign-in, a token use, or any
// act in clear), attribute to that actor the acts on messages among the
// next three entries, sealed signatures included.
func correlate(entries [][]byte) []attribution {
	type rec struct {
		kind, actor, message string
	}
	recs := make([]rec, len(entries))
	for i, e := range entries {
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			continue
		}
		r := rec{kind: fmt.Sprint(m["kind"])}
		if a, ok := m["actor"]; ok && a != nil && fmt.Sprint(a) != "0" {
			r.actor = fmt.Sprint(a)
		}
		if msg, ok := m["message"].(string); ok {
			r.message = msg
		}
		recs[i] = r
	}
	var out []attribution
	for i, r := range recs {
		if r.actor == "" {
			continue
		}
		if r.message != "" {
			out = append(out, attribution{r.actor, r.kind + " " + r.message, i, "in the same entry"})
		}
		for j := i + 1; j < len(recs) && j <= i+3; j++ {
			if recs[j].message != "" && recs[j].actor == "" {
				out = append(out, attribution{r.actor, recs[j].kind + " " + recs[j].message, j, fmt.Sprintf("%s in entry %d just before", r.kind, i)})
			}
		}
	}
	return out
}

// TestPublicLogAttack plays the public attacker of issue #11: with no
// credentials, fetch the checkpoint and every entry bundle of a deployment
// that ran the story (sign-ins by token and by a browser link, a sealed
// conditional signature made right after its signer's first token use),
// and learn nothing: every entry is an opaque 32-byte commitment, with no
// JSON, no message or person id, no e-mail, no address, no kind, no
// content hash; the correlation script attributes no act to anyone. Bad
// tile paths answer 404, never 500.
func TestPublicLogAttack(t *testing.T) {
	t.Parallel() // its own deployment; the attack tests run side by side
	s := sqliteStory(t, t.TempDir())
	secrets := storySecrets(t, s)
	srv := startServe(t, nil, s.storeArgs()...)

	code, _, note := srv.get("/log/checkpoint")
	if code != http.StatusOK {
		t.Fatalf("GET /log/checkpoint without credentials: %d %s", code, note)
	}
	size := checkpointSize(t, note)
	if size == 0 {
		t.Fatal("the story's checkpoint covers no entry")
	}
	var entries [][]byte
	for _, p := range entryBundlePaths(size) {
		code, _, body := srv.get(p)
		if code != http.StatusOK {
			t.Fatalf("GET %s without credentials: %d %s", p, code, body)
		}
		entries = append(entries, splitBundle(t, []byte(body))...)
	}
	if int64(len(entries)) != size {
		t.Fatalf("the bundles hold %d entries; the checkpoint says %d", len(entries), size)
	}

	bad, shown := map[string]int{}, 0
	for i, e := range entries {
		var problems []string
		if len(e) != 32 {
			problems = append(problems, "not a 32-byte commitment")
		}
		if json.Valid(e) {
			problems = append(problems, "JSON")
		}
		for what, needles := range secrets {
			for _, n := range needles {
				if len(n) > 0 && bytes.Contains(e, n) {
					problems = append(problems, what)
					break
				}
			}
		}
		for _, p := range problems {
			bad[p]++
		}
		if len(problems) > 0 && shown < 5 {
			shown++
			t.Errorf("public entry %d (%d bytes): %s: %.120q", i, len(e), strings.Join(problems, ", "), e)
		}
	}
	if len(bad) > 0 {
		t.Errorf("of %d public entries: %v", len(entries), bad)
	}
	if found := correlate(entries); len(found) > 0 {
		for i, a := range found {
			if i < 5 {
				t.Errorf("the correlation script attributes %q to actor %s (entry %d: %s)", a.act, a.actor, a.entry, a.evidence)
			}
		}
		t.Errorf("the correlation script made %d attributions from the public log", len(found))
	}

	for _, p := range []string{
		"/log/tile/data/000", "/log/tile/data/000.p/1", "/log/tile/entries/999", "/log/tile/entries/x999/999",
		"/log/tile/entries/000.p/0", "/log/tile/entries/000.p/257", "/log/tile/entries/000.p/abc", "/log/tile/entries/abc",
		"/log/tile/0/999", "/log/tile/9/000", "/log/tile/-1/000", "/log/tile/0/000.p/999", "/log/tile/0", "/log/tile/",
		"/log/tile/entries/", "/log/tile/entries/000/extra", "/log/tile/" + strings.Repeat("0/", 200) + "000",
		"/log/tile/entries/" + strconv.FormatInt(size, 10), "/log/tile/1/000.p/" + strconv.FormatInt(size, 10),
	} {
		code, _, body := srv.get(p)
		if code != http.StatusNotFound {
			t.Errorf("GET %s: %d %.80q; want 404", p, code, body)
		}
	}
}

// storySecrets are what must never be readable in the public log, by what
// they are: the story's message ids, person ids in the log's clear forms,
// e-mail addresses, the client address, kind names and content hashes.
func storySecrets(t *testing.T, s *story) map[string][][]byte {
	t.Helper()
	out := map[string][][]byte{}
	for email, id := range s.people {
		out["an e-mail address"] = append(out["an e-mail address"], []byte(email))
		out["a person id"] = append(out["a person id"], []byte(fmt.Sprintf(`"actor":%d`, id)), []byte(fmt.Sprintf("person %d", id)))
	}
	out["an e-mail address"] = append(out["an e-mail address"], []byte("@state.example"), []byte("@usaid.example"))
	out["an IP address"] = [][]byte{[]byte("127.0.0.1")}
	for _, k := range publicKinds {
		out["a kind name"] = append(out["a kind name"], []byte(k))
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.data, "dissent.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for what, q := range map[string]string{
		"a message id":   `SELECT id FROM messages`,
		"a content hash": `SELECT content_hash FROM message_versions`,
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			out[what] = append(out[what], []byte(h))
			if raw, err := hex.DecodeString(h); err == nil {
				out[what] = append(out[what], raw)
			}
		}
		rows.Close()
		if len(out[what]) == 0 {
			t.Fatalf("the story has no %s (%s)", what, q)
		}
	}
	return out
}
