package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// served is a `dissent serve` run inside the test, on a free port of
// 127.0.0.1.
type served struct {
	addr           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
	stopped        bool
}

// startServe runs `dissent serve --addr ADDR args...` with the environment
// env and waits until /readyz answers. The test's cleanup stops it.
// initData runs `dissent init` on dir (a fresh one when dir is not given)
// and returns it.
func initData(t *testing.T, dir ...string) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if len(dir) > 0 {
		data = dir[0]
	}
	if err := run(context.Background(), []string{"init", "--data", data}, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" }); err != nil {
		t.Fatalf("init %s: %v", data, err)
	}
	return data
}

func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{addr: ln.Addr().String(), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	argv := append([]string{"serve", "--addr", s.addr}, args...)
	go func() {
		s.done <- run(ctx, argv, strings.NewReader(""), s.stdout, s.stderr, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		if !s.stopped {
			cancel()
			<-s.done
		}
	})
	for range 400 {
		if resp, err := http.Get("http://" + s.addr + "/readyz"); err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case err := <-s.done:
			s.stopped = true
			t.Fatalf("serve %v stopped before it answered: %v; stderr: %s", args, err, s.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("serve %v did not answer /readyz; stderr: %s", args, s.stderr.String())
	return nil
}

// get fetches a path from the server: its status and body (0 and the error
// on a failed request).
func (s *served) get(path string) (int, http.Header, string) {
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// stop ends the server as a signal would and checks that it returned no
// error within 15 seconds.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	s.stopped = true
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}
