package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestRealLog checks the served audit log with transparency-dev's fsck
// (github.com/transparency-dev/tessera/cmd/fsck, pinned as a tool in
// go.mod and built here from the module cache, without the network): it
// fetches the checkpoint, every tile and every entry bundle over HTTP as any
// monitor would, re-derives the tree and compares it with the signed
// checkpoint. Then the server stops, the log grows, a new server starts on
// the same data, and the second checkpoint must be consistent with the first
// (an RFC 6962 consistency proof built from the second server's tiles). The
// test speaks only the public C2SP tlog-tiles interface (checkpoint,
// tile/L/N, tile/entries/N), not the log's entry format.
func TestRealLog(t *testing.T) {
	fsck := buildFsck(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cli := func(args ...string) {
		t.Helper()
		var out, errb syncBuffer
		if err := run(context.Background(), append(args[:1:1], append([]string{"--data", data}, args[1:]...)...), strings.NewReader(""), &out, &errb, func(string) string { return "" }); err != nil {
			t.Fatalf("dissent %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
	}
	importPeople := func(from, n int) {
		t.Helper()
		var b strings.Builder
		b.WriteString("email,name,org,unit,supervisor,roles\n")
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, "p%04d@state.example,Person %d,state,,,employee\n", i, i)
		}
		csv := filepath.Join(dir, fmt.Sprintf("people-%d.csv", from))
		if err := os.WriteFile(csv, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		cli("user", "import", csv)
	}
	cli("init")
	cli("org", "add", "--id", "state", "--name", "Department of State", "--tz", "America/New_York")
	// Enough entries for full tiles and entry bundles as well as partial ones.
	importPeople(0, 300)
	vkey, err := os.ReadFile(filepath.Join(data, "log", "key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(keyFile, vkey, 0o644); err != nil {
		t.Fatal(err)
	}

	srv := startServe(t, nil, "--data", data, "--checkpoint-interval", "1s")
	size1, root1 := awaitCheckpoint(t, srv, verifier, 0)
	runFsck(t, fsck, srv, keyFile)
	srv.stop(t)

	importPeople(300, 40)
	srv = startServe(t, nil, "--data", data, "--checkpoint-interval", "1s")
	size2, root2 := awaitCheckpoint(t, srv, verifier, size1)
	runFsck(t, fsck, srv, keyFile)
	proof, err := tlog.ProveTree(size2, size1, tlog.TileHashReader(tlog.Tree{N: size2, Hash: root2}, &httpTiles{base: "http://" + srv.addr + "/log/"}))
	if err != nil {
		t.Fatalf("consistency proof %d → %d from the served tiles: %v", size1, size2, err)
	}
	if err := tlog.CheckTree(proof, size2, root2, size1, root1); err != nil {
		t.Errorf("the checkpoint of size %d after the restart is not consistent with the one of size %d before: %v", size2, size1, err)
	}
	t.Logf("fsck passed at sizes %d and %d; consistent across the restart", size1, size2)
}

// buildFsck builds tessera's fsck from the module cache (GOPROXY=off: a
// test never downloads).
func buildFsck(t *testing.T) string {
	t.Helper()
	goBin := goCommand(t)
	bin := filepath.Join(t.TempDir(), "fsck")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/transparency-dev/tessera/cmd/fsck")
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fsck (pinned in go.mod; run go mod download first): %v\n%s", err, out)
	}
	return bin
}

// goCommand finds the go command (go test puts GOROOT/bin first on PATH).
func goCommand(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build with: %v", err)
	}
	return p
}

// awaitCheckpoint fetches /log/checkpoint until it is signed by the log's
// key and larger than after, and returns its size and root.
func awaitCheckpoint(t *testing.T, srv *served, v note.Verifier, after int64) (int64, tlog.Hash) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		code, _, body := srv.get("/log/checkpoint")
		last = fmt.Sprintf("%d %s", code, body)
		if code != 200 {
			continue
		}
		n, err := note.Open([]byte(body), note.VerifierList(v))
		if err != nil {
			t.Fatalf("checkpoint does not verify with the log's key: %v\n%s", err, body)
		}
		lines := strings.SplitN(n.Text, "\n", 4)
		if len(lines) < 4 || lines[0] != v.Name() {
			t.Fatalf("checkpoint body %q: want origin %q, size, root", n.Text, v.Name())
		}
		size, err := strconv.ParseInt(lines[1], 10, 64)
		if err != nil {
			t.Fatalf("checkpoint size %q: %v", lines[1], err)
		}
		h, err := base64.StdEncoding.DecodeString(lines[2])
		if err != nil || len(h) != tlog.HashSize {
			t.Fatalf("checkpoint root %q: %v", lines[2], err)
		}
		if size > after {
			return size, tlog.Hash(h)
		}
	}
	t.Fatalf("no checkpoint larger than %d within 30 s; last answer: %s", after, last)
	return 0, tlog.Hash{}
}

// runFsck runs fsck against the server's /log/ and fails the test on any
// complaint: fsck reports a failed check in its log, not always in its
// exit status.
func runFsck(t *testing.T, fsck string, srv *served, keyFile string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, fsck, "--storage_url=http://"+srv.addr+"/log/", "--public_key="+keyFile, "--ui=false", "--N=4", "-v=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || strings.Contains(out.String(), "fsck failed") || !strings.Contains(out.String(), "Completed ranges") {
		t.Fatalf("fsck against the served log: %v\n%s", err, out.String())
	}
}

// httpTiles reads C2SP tlog-tiles hash tiles over HTTP for x/mod's tlog.
type httpTiles struct{ base string }

func (*httpTiles) Height() int { return 8 }

func (h *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		// x/mod names a tile tile/H/L/N[.p/W]; C2SP has no H.
		parts := strings.SplitN(tile.Path(), "/", 3)
		resp, err := http.Get(h.base + "tile/" + parts[2])
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d %s", tile.Path(), resp.StatusCode, b)
		}
		out[i] = b
	}
	return out, nil
}

func (*httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}
