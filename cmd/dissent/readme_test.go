package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the shell block under README.md's heading.
func readmeBlock(t *testing.T, readme []byte, heading string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("no ```sh block under %q", heading)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("the block under %q does not end", heading)
	}
	return strings.Split(strings.TrimSpace(block), "\n")
}

// TestReadmeFirstDeployment runs README.md's "A first deployment by hand"
// as written, top to bottom, with sh -e in a fresh directory that holds the
// clone's files (through symbolic links) and nothing else: every line but
// the serve line, which is left to the reader, must succeed.
func TestReadmeFirstDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := readmeBlock(t, readme, "## A first deployment by hand")
	var script []string
	served := false
	for _, l := range lines {
		if strings.Contains(l, " serve ") || strings.HasSuffix(strings.Fields(l + " #")[0], "serve") {
			served = true
			continue
		}
		script = append(script, l)
	}
	if !served || !strings.HasPrefix(lines[len(lines)-1], "bin/dissent serve") {
		t.Errorf("the block should end with the serve line left to the reader: %q", lines[len(lines)-1])
	}
	for _, want := range []string{"go build", "unit add", "docs/examples/people.csv", "user invite"} {
		if !strings.Contains(strings.Join(script, "\n"), want) {
			t.Errorf("the block lacks %q", want)
		}
	}
	// A fixed directory per clone, so that the Go build cache knows its
	// files from the last run (a new path each time rebuilds everything).
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("dissent-readme-%x", sha256.Sum256([]byte(root)))[:len("dissent-readme-")+12])
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	es, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		switch e.Name() {
		case ".git", "bin", "dissent-data":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		msg := fmt.Sprintf("no sh to run the README's block: %v", err)
		if os.Getenv("DISSENT_REQUIRE_E2E") == "1" {
			t.Fatal(msg + " (DISSENT_REQUIRE_E2E=1 makes its absence a failure)")
		}
		t.Skip(msg)
	}
	cmd := exec.Command(sh, "-e", "-x", "-c", strings.Join(script, "\n"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DISSENT_KEY_PASSPHRASE=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's block failed: %v\n%s", err, out)
	}
	for _, want := range []string{"/signin/link/dsl_", "Imported 6 people.", "drafter@state.example"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the block's output lacks %q:\n%s", want, out)
		}
	}
}
