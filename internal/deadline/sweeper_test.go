package deadline_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestSweeperLease: a sweeper sweeps only while it holds the lease, and
// gives the lease up when it stops, so that another takes over at its next
// try rather than after the lease lapses.
func TestSweeperLease(t *testing.T) {
	e := servicetest.New(t)
	e.AddOrgs(t)
	ctx := context.Background()
	var sweepsA, sweepsB atomic.Int32
	a := &deadline.Sweeper{Svc: e.Svc, Interval: 10 * time.Millisecond, TTL: time.Hour, Holder: "a", Log: quiet,
		Observe: func(dissent.SweepResult, error) { sweepsA.Add(1) }}
	b := &deadline.Sweeper{Svc: e.Svc, Interval: 10 * time.Millisecond, TTL: time.Hour, Holder: "b", Log: quiet,
		Observe: func(dissent.SweepResult, error) { sweepsB.Add(1) }}
	actx, stopA := context.WithCancel(ctx)
	doneA := make(chan error, 1)
	go func() { doneA <- a.Run(actx) }()
	waitFor(t, func() bool { return sweepsA.Load() >= 2 })
	if h, _ := e.Svc.LeaseHolder(ctx, deadline.LeaseName, time.Now()); h != "a" {
		t.Fatalf("LeaseHolder = %q; want a", h)
	}
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	doneB := make(chan error, 1)
	go func() { doneB <- b.Run(bctx) }()
	time.Sleep(50 * time.Millisecond) // b tries several times; a's lease lasts an hour
	if n := sweepsB.Load(); n != 0 {
		t.Errorf("b swept %d times while a held the lease; want 0", n)
	}
	stopA()
	if err := <-doneA; err != nil {
		t.Errorf("a.Run: %v", err)
	}
	waitFor(t, func() bool { return sweepsB.Load() >= 1 }) // a gave the lease up: no hour's wait
	if h, _ := e.Svc.LeaseHolder(ctx, deadline.LeaseName, time.Now()); h != "b" {
		t.Errorf("after a stopped, LeaseHolder = %q; want b", h)
	}
	stopB()
	<-doneB
	if h, _ := e.Svc.LeaseHolder(ctx, deadline.LeaseName, time.Now()); h != "" {
		t.Errorf("after both stopped, LeaseHolder = %q; want none", h)
	}
	if err := (&deadline.Sweeper{}).Run(ctx); err == nil {
		t.Error("Run without a service: no error")
	}
}

var quiet = slog.New(slog.DiscardHandler)

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10 s")
}
