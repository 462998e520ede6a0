package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"dissent": main})
}

// TestScripts runs the CLI scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
}

// TestServe runs serve on a fresh data directory: it sets the deployment up,
// prints the administrator's link, answers /healthz and /readyz, warns about
// DISSENT_NOW, and shuts down when its context ends.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	env := map[string]string{"DISSENT_NOW": "2023-11-03T10:00:00-04:00"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", data, "--addr", addr}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("serve did not answer: %v; stderr: %s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Dissent-Clock") == "" {
		t.Errorf("/readyz: %d, clock warning %q", resp.StatusCode, resp.Header.Get("X-Dissent-Clock"))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	out := stdout.String()
	if !strings.Contains(out, "/signin/link/dsl_") || !strings.Contains(out, "Dissent is serving on") {
		t.Errorf("serve's first run printed %q; want the administrator's one-time link and the address", out)
	}
	if !strings.Contains(stderr.String(), "DISSENT_NOW") {
		t.Errorf("no warning about DISSENT_NOW in the log: %s", stderr.String())
	}
	if fi, err := os.Stat(filepath.Join(data, "dissent.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
