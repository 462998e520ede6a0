package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// TestSmall runs both sealers on a toy workload, so that `go test ./...`
// keeps the harness working.
func TestSmall(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-dir", t.TempDir(), "-n", "40", "-messages", "3", "-concurrency", "8", "-rounds", "1"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "sealed/plain") {
		t.Errorf("no ratio in the output:\n%s", out.String())
	}
}

// TestPlainSealerRoundTrips checks that the baseline is a faithful
// pass-through with distinct person tags of HMAC-SHA256's width.
func TestPlainSealerRoundTrips(t *testing.T) {
	var s plainSealer
	k, _ := s.NewDataKey()
	ct, _ := s.Seal(k, dissent.AD{Table: "t"}, []byte("text"))
	if pt, err := s.Open(k, dissent.AD{Table: "t"}, ct); err != nil || string(pt) != "text" {
		t.Errorf("Open(Seal(text)) = %q, %v", pt, err)
	}
	if a, b := s.Tag("m", 1), s.Tag("m", 2); len(a) != 32 || bytes.Equal(a, b) {
		t.Errorf("tags %x, %x: want 32 distinct bytes", a, b)
	}
}
