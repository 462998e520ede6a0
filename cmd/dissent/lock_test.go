//go:build unix

package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestServeLock: a second serve on the SQLite data directory of a running
// one refuses with a clear message; once the first stops, serve starts.
func TestServeLock(t *testing.T) {
	data := initData(t)
	srv := startServe(t, nil, "--data", data)
	err := run(context.Background(), []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "another `dissent serve` is running on "+data) || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("a second serve on %s: %v; want it refused, naming the directory and PostgreSQL", data, err)
	}
	srv.stop(t)
	again := startServe(t, nil, "--data", data)
	again.stop(t)
}
