package main

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dissent-channel/dissent/internal/exposure"
	"github.com/google/go-cmp/cmp"
)

// TestIncrementalIndex checks that an index grown by Add finds exactly what
// a fresh index of the same messages finds, while other goroutines match
// articles against it during the adds (run it with -race).
func TestIncrementalIndex(t *testing.T) {
	c := generate(11, 60, 120, 10)
	msgs, arts := docs(c)
	opts := exposure.Options{Public: c.background}
	want := exposure.MatchAll(msgs, arts, opts)
	if len(want) == 0 {
		t.Fatal("the fresh index finds nothing: the test could not fail")
	}

	tests := []struct {
		name  string
		first int // messages given to NewIndex
		batch int // messages per Add after that
	}{
		{"from empty, one at a time", 0, 1},
		{"half, then one at a time", 30, 1},
		{"a few, then batches of 7", 5, 7},
		{"all but one", 59, 1},
		{"all at once by Add", 0, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := exposure.NewIndex(msgs[:tt.first], opts)
			var stop atomic.Bool
			var wg sync.WaitGroup
			for g := range 2 {
				wg.Go(func() {
					for i := g; !stop.Load(); i = (i + 2) % len(arts) {
						ix.Match(arts[i])
					}
				})
			}
			for i := tt.first; i < len(msgs); i += tt.batch {
				ix.Add(msgs[i:min(i+tt.batch, len(msgs))])
			}
			stop.Store(true)
			wg.Wait()
			if got := ix.Len(); got != len(msgs) {
				t.Fatalf("Len() = %d; want %d", got, len(msgs))
			}
			var got []exposure.Finding
			for _, a := range arts {
				got = append(got, ix.Match(a)...)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("findings after adds differ from a fresh index (-got +want):\n%s", diff)
			}
		})
	}
}
