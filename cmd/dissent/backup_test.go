package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/backup"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// TestBackupScripts runs the backup and restore scripts in
// testdata/backup/*.txtar, with commands that damage archives.
func TestBackupScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/backup", Setup: scriptSetup, Cmds: map[string]func(*testscript.TestScript, bool, []string){
		"flipbyte":     cmdFlipByte,
		"truncatefile": cmdTruncate,
		"swapentries":  cmdSwapEntries,
		"forgerow":     cmdForgeRow,
		"swapkeys":     cmdSwapKeys,
	}})
}

// flipbyte FILE OFFSET inverts the bits of one byte.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off >= len(b) {
		ts.Fatalf("%s has %d bytes", args[0], len(b))
	}
	b[off] ^= 0xff
	ts.Check(os.WriteFile(path, b, 0o600))
}

// truncatefile FILE SIZE cuts a file.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncatefile FILE SIZE")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// swapentries FILE IDENTITY swaps the first two table entries and encrypts
// the archive again, correctly, to the identity's recipient.
func cmdSwapEntries(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: swapentries FILE IDENTITY")
	}
	ts.Check(rewriteArchive(ts.MkAbs(args[0]), ts.MkAbs(args[1]), func(es []tarEntry) ([]tarEntry, bool, error) {
		for i := range es {
			if strings.HasPrefix(es[i].name, "tables/") {
				es[i], es[i+1] = es[i+1], es[i]
				return es, false, nil
			}
		}
		return nil, false, errors.New("no table entries")
	}))
}

// forgerow FILE IDENTITY renames the first organization in the archive's
// table dump and rewrites the manifest to match, so that only the log's own
// checks (the row digests it records) can catch it.
func cmdForgeRow(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: forgerow FILE IDENTITY")
	}
	ts.Check(forgeRow(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
}

func forgeRow(path, identity string) error {
	return rewriteArchive(path, identity, func(es []tarEntry) ([]tarEntry, bool, error) {
		for i := range es {
			if es[i].name != "tables/orgs/0001.jsonl" {
				continue
			}
			var out bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(es[i].data))
			sc.Buffer(nil, 1<<24)
			done := false
			for sc.Scan() {
				line := sc.Bytes()
				var row []json.RawMessage
				if !done && json.Unmarshal(line, &row) == nil && len(row) > 2 {
					row[2] = json.RawMessage(`"Forged Department"`)
					line, _ = json.Marshal(row)
					done = true
				}
				out.Write(line)
				out.WriteByte('\n')
			}
			if !done {
				return nil, false, errors.New("no organization row")
			}
			es[i].data = out.Bytes()
			return es, true, nil
		}
		return nil, false, errors.New("no orgs entry")
	})
}

// swapkeys FILE IDENTITY DATADIR puts another deployment's keyring and
// key identity in the archive (keeping its log key file) and rewrites the
// manifest to match.
func cmdSwapKeys(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: swapkeys FILE IDENTITY DATADIR")
	}
	ring, err := os.ReadFile(filepath.Join(ts.MkAbs(args[2]), "keys", "keyring.age"))
	ts.Check(err)
	id, err := os.ReadFile(filepath.Join(ts.MkAbs(args[2]), "keys", "identity.age"))
	ts.Check(err)
	ts.Check(rewriteArchive(ts.MkAbs(args[0]), ts.MkAbs(args[1]), func(es []tarEntry) ([]tarEntry, bool, error) {
		for i := range es {
			switch es[i].name {
			case backup.KeyringEntry:
				es[i].data = ring
			case backup.IdentityEntry:
				es[i].data = id
			}
		}
		return es, true, nil
	}))
}

type tarEntry struct {
	name string
	data []byte
}

// rewriteArchive decrypts an archive, lets edit change its entries (the
// manifest excluded), rewrites the manifest's hashes when edit asks, and
// encrypts it again to the identity's recipient.
func rewriteArchive(path, identity string, edit func([]tarEntry) ([]tarEntry, bool, error)) error {
	return rewriteArchiveManifest(path, identity, func(es []tarEntry, _ *backup.Manifest) ([]tarEntry, bool, error) { return edit(es) })
}

// rewriteArchiveManifest is rewriteArchive whose edit may also change the
// manifest (its tables and log; the entries' hashes are recomputed when
// edit asks).
func rewriteArchiveManifest(path, identity string, edit func([]tarEntry, *backup.Manifest) ([]tarEntry, bool, error)) error {
	ids, err := readIdentities(identity, nil)
	if err != nil {
		return err
	}
	x, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return errors.New("not an X25519 identity")
	}
	in, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d, err := age.Decrypt(bytes.NewReader(in), x)
	if err != nil {
		return err
	}
	tr := tar.NewReader(d)
	var es []tarEntry
	var manifest backup.Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if h.Name == backup.ManifestEntry {
			if err := json.Unmarshal(b, &manifest); err != nil {
				return err
			}
			continue
		}
		es = append(es, tarEntry{h.Name, b})
	}
	es, fix, err := edit(es, &manifest)
	if err != nil {
		return err
	}
	if fix {
		manifest.Entries = manifest.Entries[:0]
		for _, e := range es {
			sum := sha256.Sum256(e.data)
			manifest.Entries = append(manifest.Entries, backup.Entry{Name: e.name, Size: int64(len(e.data)), SHA256: hex.EncodeToString(sum[:])})
		}
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	es = append(es, tarEntry{backup.ManifestEntry, mb})
	var out bytes.Buffer
	w, err := age.Encrypt(&out, x.Recipient())
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, e := range es {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := errors.Join(tw.Close(), w.Close()); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o600)
}

// cli runs the CLI in-process and returns its output.
func backupCLI(t testing.TB, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	err := run(context.Background(), args, strings.NewReader(""), &out, &out, getenv)
	if err != nil {
		out.WriteString(err.Error())
	}
	return out.String(), err
}

// TestBackupIdentityFile: without a recipient, the generated identity is
// private to its owner and decrypts the archive.
func TestBackupIdentityFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, err := backupCLI(t, nil, "init", "--data", data); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	arch := filepath.Join(dir, "b.age")
	if out, err := backupCLI(t, nil, "backup", "--data", data, "--out", arch); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	for _, p := range []string{arch, arch + ".identity"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", filepath.Base(p), err, fi.Mode().Perm())
		}
	}
	ids, err := readIdentities(arch+".identity", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(arch)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := backup.Verify(f, ids...)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if m.Keyring != "identity" || m.Log.Size == 0 || len(m.Tables) < 20 {
		t.Errorf("manifest: keyring %q, log size %d, %d tables; want identity, a log, every table", m.Keyring, m.Log.Size, len(m.Tables))
	}
	for _, tb := range m.Tables {
		if tb.Name == "goose_db_version" {
			t.Error("the manifest lists goose's version table")
		}
	}
}

// burst is the outcome of co-signing while a backup was taken.
type burst struct {
	archive, identity string
	messages          []dissent.MessageID
	drafterTokens     []string
	ackedBefore       []map[string]bool // per message: signers whose Sign returned before the backup began
	succeeded         []map[string]bool // per message: every signer whose Sign succeeded
}

// The burst on SQLite is made once for the package's tests that restore
// it (TestBackupDuringCosigning, TestRestoreSQLiteToPostgres): making it is
// most of the cost of each, and what they check of the archive does not
// depend on who made it. Neither writes to the archive.
var burstTemplate struct {
	sync.Mutex
	dir    string // the burst's directory, outside any one test's
	b      *burst
	failed bool // the first test to make it failed to
}

// sqliteBurst returns the burst on SQLite, made on the first call.
func sqliteBurst(t *testing.T) burst {
	t.Helper()
	burstTemplate.Lock()
	defer burstTemplate.Unlock()
	if burstTemplate.failed {
		t.Fatal("the burst on SQLite was not made (see the test that made it first)")
	}
	if burstTemplate.b == nil {
		burstTemplate.failed = true // until it is made
		tmp, err := os.MkdirTemp("", "dissent-burst-")
		if err != nil {
			t.Fatal(err)
		}
		burstTemplate.dir = tmp
		b := cosignDuringBackup(t, tmp, "")
		burstTemplate.b, burstTemplate.failed = &b, false
	}
	return *burstTemplate.b
}

// removeBurstTemplate removes the burst's directory, once the tests are
// done.
func removeBurstTemplate() {
	burstTemplate.Lock()
	defer burstTemplate.Unlock()
	if burstTemplate.dir != "" {
		os.RemoveAll(burstTemplate.dir)
	}
}

// cosignDuringBackup makes a deployment in dir, starts many goroutines
// co-signing through the Service, and takes a backup with `dissent backup`
// once a quarter of the signatures are in, while the rest keep coming.
func cosignDuringBackup(t *testing.T, dir, db string) burst {
	t.Helper()
	const messages, signers, workers = 2, 150, 16
	ctx := context.Background()
	data := filepath.Join(dir, "data")
	store := []string{"--data", data}
	if db != "" {
		store = append(store, "--db", db)
	}
	for _, args := range [][]string{{"init"}, {"org", "add", "--id", "state", "--name", "State"}} {
		if out, err := backupCLI(t, nil, append(args, store...)...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	var csv strings.Builder
	csv.WriteString("email,name,org,unit,supervisor,roles\n")
	drafter := func(m int) string { return fmt.Sprintf("drafter%d@state.example", m) }
	signer := func(p int) string { return fmt.Sprintf("signer%03d@state.example", p) }
	for m := range messages {
		fmt.Fprintf(&csv, "%s,Drafter %d,state,,,employee\n", drafter(m), m)
	}
	for p := range signers {
		fmt.Fprintf(&csv, "%s,Signer %d,state,,,employee\n", signer(p), p)
	}
	people, tokFile := filepath.Join(dir, "people.csv"), filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(people, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := backupCLI(t, nil, append([]string{"user", "import", people, "--tokens-out", tokFile}, store...)...); err != nil {
		t.Fatalf("user import: %v\n%s", err, out)
	}
	tokens := readTokens(t, tokFile)

	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	cfg := configFor(data)
	cfg.DatabaseURL = db
	d, err := open(ctx, e, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	actor := func(email string) dissent.Actor {
		a, err := d.svc.AuthenticateToken(ctx, dissent.NewSecret(tokens[email]), "127.0.0.1")
		if err != nil {
			t.Fatalf("authenticate %s: %v", email, err)
		}
		return a
	}
	b := burst{archive: filepath.Join(dir, "b.age"), identity: filepath.Join(dir, "b.age.identity")}
	type job struct {
		m     int
		email string
		a     dissent.Actor
	}
	var jobs []job
	hashes := make([]string, messages)
	var emails []string
	for p := range signers {
		emails = append(emails, signer(p))
	}
	for m := range messages {
		msg, err := d.svc.CreateMessage(ctx, actor(drafter(m)), dissent.Draft{Title: fmt.Sprintf("Dissent %d", m), Summary: "Summary.", Body: "The body."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.svc.Invite(ctx, actor(drafter(m)), msg.ID, emails); err != nil {
			t.Fatal(err)
		}
		b.messages, hashes[m] = append(b.messages, msg.ID), msg.ContentHash
		b.drafterTokens = append(b.drafterTokens, tokens[drafter(m)])
		b.ackedBefore, b.succeeded = append(b.ackedBefore, map[string]bool{}), append(b.succeeded, map[string]bool{})
	}
	for p := range signers {
		for m := range messages {
			jobs = append(jobs, job{m, signer(p), actor(signer(p))})
		}
	}
	queue := make(chan job, len(jobs))
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	type ack struct {
		m     int
		email string
		at    time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var failures []error
	quarter := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range queue {
				_, err := d.svc.Sign(ctx, j.a, b.messages[j.m], hashes[j.m], 0)
				at := time.Now()
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					acks = append(acks, ack{j.m, j.email, at})
					if len(acks) == len(jobs)/4 {
						once.Do(func() { close(quarter) })
					}
				}
				mu.Unlock()
			}
		})
	}
	<-quarter
	began := time.Now()
	out, berr := backupCLI(t, nil, append([]string{"backup", "--out", b.archive}, store...)...)
	ended := time.Now()
	wg.Wait()
	if berr != nil {
		t.Fatalf("backup during the burst: %v\n%s", berr, out)
	}
	if len(failures) > 0 {
		t.Fatalf("%d signatures failed, the first: %v", len(failures), failures[0])
	}
	during := 0
	for _, a := range acks {
		b.succeeded[a.m][a.email] = true
		if a.at.Before(began) {
			b.ackedBefore[a.m][a.email] = true
		} else if a.at.Before(ended) {
			during++
		}
	}
	t.Logf("%d signatures: %d acknowledged before the backup began, %d while it ran", len(acks), len(b.ackedBefore[0])+len(b.ackedBefore[1]), during)
	return b
}

func readTokens(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if email, tok, ok := strings.Cut(line, ","); ok && strings.Contains(email, "@") {
			tokens[email] = strings.TrimSpace(tok)
		}
	}
	return tokens
}

// checkRestored restores the burst's archive into data (and db, if set),
// runs verify, and checks that every signature acknowledged before the
// backup began is there, and none that never succeeded.
func checkRestored(t *testing.T, b burst, data, db string) {
	t.Helper()
	ctx := context.Background()
	args := []string{"--data", data}
	if db != "" {
		args = append(args, "--db", db)
	}
	if out, err := backupCLI(t, nil, append([]string{"restore", "--in", b.archive, "--identity", b.identity}, args...)...); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	out, err := backupCLI(t, nil, append([]string{"verify"}, args...)...)
	if err != nil || !strings.Contains(out, "The audit log is intact") {
		t.Fatalf("verify of the restored deployment: %v\n%s", err, out)
	}
	cfg := configFor(data)
	cfg.DatabaseURL = db
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	d, err := open(ctx, e, cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for m, id := range b.messages {
		a, err := d.svc.AuthenticateToken(ctx, dissent.NewSecret(b.drafterTokens[m]), "127.0.0.1")
		if err != nil {
			t.Fatalf("the drafter's token in the restored deployment: %v", err)
		}
		list, err := d.svc.Signers(ctx, a, id)
		if err != nil {
			t.Fatalf("signers of message %d: %v", m, err)
		}
		got := map[string]bool{}
		for _, s := range list.Signers {
			got[s.Email] = true
			if !b.succeeded[m][s.Email] && !strings.HasPrefix(s.Email, "drafter") {
				t.Errorf("message %d: the restored deployment has a signature by %s, which never succeeded", m, s.Email)
			}
		}
		missing := 0
		for email := range b.ackedBefore[m] {
			if !got[email] {
				missing++
			}
		}
		if missing > 0 || len(b.ackedBefore[m]) == 0 {
			t.Errorf("message %d: %d of the %d signatures acknowledged before the backup began are missing from the restore", m, missing, len(b.ackedBefore[m]))
		}
	}
}

// TestBackupDuringCosigning: a backup taken while many people co-sign
// restores to a deployment that verify accepts and that holds every
// signature acknowledged before the backup began.
func TestBackupDuringCosigning(t *testing.T) {
	b := sqliteBurst(t)
	checkRestored(t, b, filepath.Join(t.TempDir(), "restored"), "")
}

// TestBackupDuringCosigningPostgres: the same on PostgreSQL, whose backup
// reads one REPEATABLE READ snapshot while the signatures keep committing;
// restored into SQLite.
func TestBackupDuringCosigningPostgres(t *testing.T) {
	b := cosignDuringBackup(t, t.TempDir(), storetest.Postgres(t))
	checkRestored(t, b, filepath.Join(t.TempDir(), "restored"), "")
}

// TestRestoreSQLiteToPostgres moves that deployment to PostgreSQL, and
// back: a backup of the PostgreSQL deployment restores into SQLite.
func TestRestoreSQLiteToPostgres(t *testing.T) {
	db := storetest.Postgres(t)
	b := sqliteBurst(t) // TestBackupDuringCosigning's
	pgData := filepath.Join(t.TempDir(), "restored")
	checkRestored(t, b, pgData, db)
	// A used database is refused, and left as it was.
	if out, err := backupCLI(t, nil, "restore", "--in", b.archive, "--identity", b.identity, "--data", filepath.Join(t.TempDir(), "x"), "--db", db); err == nil || !strings.Contains(out, "already holds tables") {
		t.Errorf("restore into a used database: %v, %q; want a refusal", err, out)
	}
	// A forged archive that fails the log's checks leaves the new database
	// as empty as it was.
	forged, target := filepath.Join(t.TempDir(), "forged.age"), storetest.Postgres(t)
	if raw, err := os.ReadFile(b.archive); err != nil || os.WriteFile(forged, raw, 0o600) != nil || forgeRow(forged, b.identity) != nil {
		t.Fatalf("forge an archive: %v", err)
	}
	out, err := backupCLI(t, nil, "restore", "--in", forged, "--identity", b.identity, "--data", filepath.Join(t.TempDir(), "f"), "--db", target)
	if err == nil || !strings.Contains(out, "what restore wrote has been removed") {
		t.Errorf("restore of a forged archive into PostgreSQL: %v, %q; want a refusal that removes what it wrote", err, out)
	}
	if has, err := store.PostgresHasTables(context.Background(), target); err != nil || has {
		t.Errorf("after the refused restore the database has tables: %v, %v", has, err)
	}
	back := burst{archive: filepath.Join(t.TempDir(), "pg.age"), messages: b.messages, drafterTokens: b.drafterTokens, ackedBefore: b.ackedBefore, succeeded: b.succeeded}
	back.identity = back.archive + ".identity"
	if out, err := backupCLI(t, nil, "backup", "--data", pgData, "--db", db, "--out", back.archive); err != nil {
		t.Fatalf("backup of the PostgreSQL deployment: %v\n%s", err, out)
	}
	checkRestored(t, back, filepath.Join(t.TempDir(), "again"), "")
}
