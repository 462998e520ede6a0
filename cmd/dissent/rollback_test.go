package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent/internal/auditlog"
)

// TestRollback plays issue #12's last attack: the whole data directory
// replaced by an older copy of itself. Only a checkpoint kept elsewhere can
// tell; `dissent verify --against FILE` must fail unless the current log
// extends the checkpoint in FILE, and pass when it does.
func TestRollback(t *testing.T) {
	t.Parallel() // its own deployment; the attack tests run side by side
	dir := t.TempDir()
	s := sqliteStory(t, dir)
	older := filepath.Join(dir, "older.checkpoint")
	copyFile(t, filepath.Join(s.data, "log", auditlog.CheckpointFile), older)
	old := filepath.Join(dir, "old-data")
	copyDir(t, s.data, old)

	// More acts, then the newer checkpoint as the public sees it.
	s.cli(t, "user", "token", "--email", "gabriel@state.example")
	srv := startServe(t, nil, s.storeArgs()...)
	for _, email := range []string{"chen@state.example", "emma@state.example"} {
		req, _ := http.NewRequest("GET", "http://"+srv.addr+"/api/v1/messages/"+string(s.msgs["circulating"]), nil)
		req.Header.Set("Authorization", "Bearer "+s.tokens[email])
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s reads the circulating message: %v %v", email, err, resp)
		}
		resp.Body.Close()
	}
	srv.stop(t) // publishes the last checkpoint
	srv = startServe(t, nil, s.storeArgs()...)
	code, _, public := srv.get("/log/checkpoint")
	srv.stop(t)
	if code != http.StatusOK {
		t.Fatalf("GET /log/checkpoint: %d %s", code, public)
	}
	newer := filepath.Join(dir, "newer.checkpoint")
	if err := os.WriteFile(newer, []byte(public), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(older); checkpointSize(t, string(b)) >= checkpointSize(t, public) {
		t.Fatalf("the newer checkpoint covers %d entries, the older %d: the acts made none", checkpointSize(t, public), checkpointSize(t, string(b)))
	}

	verify := func(data string, against string) (string, error) {
		args := []string{"verify", "--data", data}
		if against != "" {
			args = append(args, "--against", against)
		}
		return backupCLI(t, nil, args...)
	}
	// Without the rollback: the current log extends both checkpoints.
	for _, cp := range []string{older, newer} {
		if out, err := verify(s.data, cp); err != nil {
			t.Errorf("verify --against %s on the current directory: %v\n%s", filepath.Base(cp), err, out)
		}
	}
	// The rollback: the older directory put back.
	rolled := filepath.Join(dir, "rolled-back")
	copyDir(t, old, rolled)
	if out, err := verify(rolled, ""); err != nil {
		t.Logf("verify without --against caught the rollback, better than required: %s", out)
	}
	out, err := verify(rolled, newer)
	switch {
	case err == nil:
		t.Errorf("verify --against the newer checkpoint accepted the older data directory: %s", out)
	case strings.Contains(out, "unknown flag"):
		t.Errorf("verify has no --against: %s", out)
	case !strings.Contains(out, "checkpoint"):
		t.Errorf("verify --against refused the rollback without saying that the log does not extend the checkpoint: %s", out)
	}
	if out, err := verify(rolled, older); err != nil {
		t.Errorf("verify --against the checkpoint the older directory made: %v\n%s", err, out)
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
