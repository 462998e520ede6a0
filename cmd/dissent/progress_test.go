package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestProgressOnlyOnATerminal: no bar goes to a pipe, a file or a buffer,
// and none with --quiet, so scripts and logs never see one. (The positive
// case needs a terminal, which a test does not have.)
func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tt := range []struct {
		name  string
		w     any
		quiet bool
	}{{"buffer", &bytes.Buffer{}, false}, {"file", f, false}, {"file, quiet", f, true}} {
		var b = newProgress(tt.w.(interface{ Write([]byte) (int, error) }), tt.quiet, "x", 10)
		if b != nil {
			t.Errorf("%s: a progress bar; want none", tt.name)
		}
		progressTo(b, 5, 10) // a nil bar is safe
		finish(b)
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("%d bytes written to a non-terminal", fi.Size())
	}
}
