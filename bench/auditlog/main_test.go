package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSmall runs the harness at toy sizes, so that `go test ./...` keeps it
// working; the real sizes are behind the flags (see the package comment).
func TestSmall(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-dir", t.TempDir(), "-seq-n", "20", "-conc-n", "100", "-concurrency", "8",
		"-batch-n", "500", "-batch", "100", "-sizes", "300,1000", "-proofs", "50"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"group commit", "Log.Prove", "Log.Verify: ", "by range"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
