package main

// The seed story as an attacker finds it: a deployment that has played the
// demo's seed (two organizations, drafters, co-signers, a sealed
// conditional signature that never counts, submission, acknowledgement,
// assignment, consultation, distribution to principals, an extension,
// replies and their approval, meetings, a closed message) and then, over
// HTTP on a real `dissent serve`, sign-ins by token and by a browser
// sign-in link, reads of text and of names, and one more sealed conditional
// signature made right after its signer's first token use. The attack tests
// (tamper_test.go) copy its data directory, or its database, and play the
// attacker on the copy.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
)

// story is a deployment that has played the seed story.
type story struct {
	data   string                       // the data directory (keys, log, and the SQLite file)
	db     string                       // the PostgreSQL URL; "" for SQLite
	tokens map[string]string            // bearer tokens by e-mail
	msgs   map[string]dissent.MessageID // one message in each state, by the state's name
	people map[string]dissent.PersonID  // by e-mail
}

// storeArgs are the --data (and --db) flags naming the deployment.
func (s *story) storeArgs() []string {
	if s.db != "" {
		return []string{"--data", s.data, "--db", s.db}
	}
	return []string{"--data", s.data}
}

// cli runs a command on the story's deployment and fails the test if it
// fails.
func (s *story) cli(t testing.TB, args ...string) string {
	t.Helper()
	out, err := backupCLI(t, nil, append(args, s.storeArgs()...)...)
	if err != nil {
		t.Fatalf("dissent %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// storyTokenHolders get a token from `dissent user token` (the operator's
// CLI) before the HTTP part of the story.
var storyTokenHolders = []string{
	"chen@state.example", "emma@state.example", "fatima@state.example", "kofi@usaid.example",
	"julia@usaid.example", "principal@state.example", "officer@state.example", "auditor@state.example",
}

// playStory makes a deployment in dir (on PostgreSQL at db when db is not
// "") and plays the seed story on it. The deployment is closed when it
// returns.
func playStory(t *testing.T, dir, db string) *story {
	t.Helper()
	ctx := context.Background()
	s := &story{data: filepath.Join(dir, "data"), db: db, tokens: map[string]string{}, msgs: map[string]dissent.MessageID{}, people: map[string]dissent.PersonID{}}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	clk := newDemoClock()
	e.clock = clk.Now
	cfg := config.Default()
	cfg.DataDir, cfg.DatabaseURL = s.data, db
	if err := setUpDemo(ctx, e, cfg, clk); err != nil {
		t.Fatalf("seed the story: %v", err)
	}
	for _, email := range storyTokenHolders {
		s.tokens[email] = strings.TrimSpace(s.cli(t, "user", "token", "--email", email))
	}
	link := s.cli(t, "user", "invite", "--email", "hana@state.example")
	i := strings.Index(link, "/signin/link/")
	if i < 0 {
		t.Fatalf("user invite printed no link: %q", link)
	}
	secret := strings.TrimSpace(link[i+len("/signin/link/"):])

	// Acts through the Service: a co-author, an endorsement, an invitation
	// link.
	e.clock = nil
	d, err := open(ctx, e, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	actor := func(email string) dissent.Actor {
		a, err := d.svc.AuthenticateToken(ctx, dissent.NewSecret(s.tokens[email]), "127.0.0.1")
		if err != nil {
			t.Fatalf("authenticate %s: %v", email, err)
		}
		return a
	}
	if err := d.db.View(ctx, func(tx dissent.Tx) error {
		states, err := tx.MessageStates(ctx)
		for id, st := range states {
			switch st.State {
			case dissent.StateCirculating, dissent.StateDraft, dissent.StateAcknowledged, dissent.StateReplied, dissent.StateClosed,
				dissent.StateSubmitted, dissent.StateRedirected, dissent.StateWithdrawn:
				s.msgs[string(st.State)] = id
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"circulating", "draft", "acknowledged", "replied", "closed"} {
		if s.msgs[k] == "" {
			t.Fatalf("the seed has no message in state %s", k)
		}
	}
	page, err := d.svc.SearchPeople(ctx, dissent.System, dissent.PeopleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.People {
		s.people[p.Email] = p.ID
	}
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"julia adds ibrahim as co-author of her draft", func() error {
			return d.svc.AddCoauthor(ctx, actor("julia@usaid.example"), s.msgs["draft"], "ibrahim@usaid.example")
		}},
		{"chen asks kofi for an endorsement", func() error {
			return d.svc.AskEndorsement(ctx, actor("chen@state.example"), s.msgs["circulating"], "kofi@usaid.example")
		}},
		{"kofi endorses", func() error {
			return d.svc.Endorse(ctx, actor("kofi@usaid.example"), s.msgs["circulating"], "I endorse this message.")
		}},
		{"chen makes an invitation link", func() error {
			_, err := d.svc.CreateInviteLink(ctx, actor("chen@state.example"), s.msgs["circulating"])
			return err
		}},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// Acts over HTTP on `dissent serve`: token uses, a browser sign-in,
	// reads, and a sealed conditional signature right after a first token
	// use.
	srv := startServe(t, nil, s.storeArgs()...)
	api := func(email, method, path string, body any, want int) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "http://"+srv.addr+path, rd)
		req.Header.Set("Authorization", "Bearer "+s.tokens[email])
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s as %s: %v", method, path, email, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s as %s: %d %s; want %d", method, path, email, resp.StatusCode, b, want)
		}
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return out
	}
	circ := "/api/v1/messages/" + string(s.msgs["circulating"])
	api("fatima@state.example", "GET", "/api/v1/me", nil, http.StatusOK)
	m := api("fatima@state.example", "GET", circ, nil, http.StatusOK)
	hash, _ := m["content_hash"].(string)
	if hash == "" {
		if inner, ok := m["message"].(map[string]any); ok {
			hash, _ = inner["content_hash"].(string)
		}
	}
	if hash == "" {
		t.Fatalf("GET %s: no content_hash in %v", circ, m)
	}
	// Three are invited; nine others will never sign: sealed for good.
	api("fatima@state.example", "POST", circ+"/signatures", map[string]any{"content_hash": hash, "min_cosigners": 9}, http.StatusCreated)
	api("chen@state.example", "GET", circ, nil, http.StatusOK)
	api("chen@state.example", "GET", circ+"/signatures", nil, http.StatusOK)
	api("chen@state.example", "GET", circ+"/access-log", nil, http.StatusOK)
	api("emma@state.example", "GET", "/api/v1/messages/"+string(s.msgs["replied"]), nil, http.StatusOK)
	api("principal@state.example", "GET", "/api/v1/messages/"+string(s.msgs["acknowledged"]), nil, http.StatusOK)
	api("kofi@usaid.example", "GET", "/api/v1/messages/"+string(s.msgs["acknowledged"]), nil, http.StatusOK)

	// hana signs in with her link as a browser would and opens her message.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if resp, err := browser.Get("http://" + srv.addr + "/signin/link/" + secret); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open the sign-in link: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	resp, err := browser.PostForm("http://"+srv.addr+"/signin/link", url.Values{"secret": {secret}})
	if err != nil {
		t.Fatalf("sign in with the link: %v", err)
	}
	resp.Body.Close()
	if u, _ := url.Parse("http://" + srv.addr); len(jar.Cookies(u)) == 0 || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in with the link: %d, no session cookie", resp.StatusCode)
	}
	resp, err = browser.Get("http://" + srv.addr + "/messages/" + string(s.msgs["acknowledged"]))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("hana opens her message: %v %v", err, resp)
	}
	resp.Body.Close()
	srv.stop(t) // publishes the last checkpoint
	return s
}

// The seed story on SQLite is played once for the package's attack tests
// (TestTamper, TestRollback, TestPublicLogAttack, TestDatabaseThiefJoin),
// which each play the attacker on their own copy of its data directory:
// playing it is the cost of each of them, and what they check does not
// depend on who played it.
var storyTemplate struct {
	sync.Mutex
	dir    string // the template's directory, outside any one test's
	s      *story // the played story, its data directory in dir
	failed bool   // the first test to play it failed to
}

// sqliteStory returns a copy of the seed story, played once on SQLite, in
// dir (its data directory is dir/data, as playStory(t, dir, "") makes
// it).
func sqliteStory(t *testing.T, dir string) *story {
	t.Helper()
	storyTemplate.Lock()
	defer storyTemplate.Unlock()
	if storyTemplate.failed {
		t.Fatal("the seed story did not play (see the test that played it first)")
	}
	if storyTemplate.s == nil {
		storyTemplate.failed = true // until it has played
		tmp, err := os.MkdirTemp("", "dissent-story-")
		if err != nil {
			t.Fatal(err)
		}
		storyTemplate.dir = tmp
		storyTemplate.s = playStory(t, tmp, "")
		storyTemplate.failed = false
	}
	c := *storyTemplate.s
	c.data = filepath.Join(dir, "data")
	copyDir(t, storyTemplate.s.data, c.data)
	c.tokens, c.msgs, c.people = maps.Clone(c.tokens), maps.Clone(c.msgs), maps.Clone(c.people)
	return &c
}

// removeStoryTemplate removes the played story's template, once the tests
// are done.
func removeStoryTemplate() {
	storyTemplate.Lock()
	defer storyTemplate.Unlock()
	if storyTemplate.dir != "" {
		os.RemoveAll(storyTemplate.dir)
	}
}

// copyDir copies a directory tree (regular files and directories).
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}
