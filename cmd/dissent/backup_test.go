package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dissent-channel/dissent/internal/backup"
)

// TestBackupScripts runs the backup and restore scripts in
// testdata/backup/*.txtar, with commands that damage archives.
func TestBackupScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/backup", Cmds: map[string]func(*testscript.TestScript, bool, []string){
		"flipbyte":     cmdFlipByte,
		"truncatefile": cmdTruncate,
		"swapentries":  cmdSwapEntries,
		"forgeleaf":    cmdForgeLeaf,
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

// forgeleaf FILE IDENTITY changes leaf 1 of the audit log and rewrites the
// manifest to match, so that only the log's own checks can catch it.
func cmdForgeLeaf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: forgeleaf FILE IDENTITY")
	}
	ts.Check(rewriteArchive(ts.MkAbs(args[0]), ts.MkAbs(args[1]), func(es []tarEntry) ([]tarEntry, bool, error) {
		for i := range es {
			if es[i].name != "tables/log_leaves/0001.jsonl" {
				continue
			}
			var out bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(es[i].data))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				line := sc.Bytes()
				var row []json.RawMessage
				if json.Unmarshal(line, &row) == nil && len(row) == 2 && string(row[0]) == "1" {
					var v map[string]string
					if err := json.Unmarshal(row[1], &v); err != nil {
						return nil, false, err
					}
					leaf, err := base64.StdEncoding.DecodeString(v["b"])
					if err != nil {
						return nil, false, err
					}
					var rec map[string]any
					if err := json.Unmarshal(leaf, &rec); err != nil {
						return nil, false, err
					}
					rec["kind"] = "forged." + fmt.Sprint(rec["kind"])
					leaf, _ = json.Marshal(rec)
					line, _ = json.Marshal([]any{1, map[string]string{"b": base64.StdEncoding.EncodeToString(leaf)}})
				}
				out.Write(line)
				out.WriteByte('\n')
			}
			es[i].data = out.Bytes()
			return es, true, nil
		}
		return nil, false, errors.New("no log_leaves entry")
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
	ids, err := readIdentities(identity)
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
	es, fix, err := edit(es)
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
func cli(t testing.TB, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	err := run(context.Background(), args, strings.NewReader(""), &out, &out, getenv)
	return out.String(), err
}

// TestBackupIdentityFile: without a recipient, the generated identity is
// private to its owner and decrypts the archive.
func TestBackupIdentityFile(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, err := cli(t, nil, "init", "--data", data); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	arch := filepath.Join(dir, "b.age")
	if out, err := cli(t, nil, "backup", "--data", data, "--out", arch); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	for _, p := range []string{arch, arch + ".identity"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", filepath.Base(p), err, fi.Mode().Perm())
		}
	}
	ids, err := readIdentities(arch + ".identity")
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
