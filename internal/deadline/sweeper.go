package deadline

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dissent-channel/dissent"
)

// LeaseName is the database lease the sweepers of all instances share.
const LeaseName = "sweeper"

// Sweeper runs dissent.Service.Sweep every Interval, on one instance at a
// time: before each sweep it takes (or renews) the database lease
// LeaseName for TTL, and sweeps only when it holds it. When the instance
// holding the lease dies, the lease lapses after at most TTL and the next
// instance to try takes it over; a sweep the dead instance would have run
// is thus run at most TTL+Interval late. The lease only saves work: what
// is told exactly once is guaranteed by Sweep's unique keys, so two sweeps
// that overlap (a slow holder whose lease lapsed) still tell each thing
// once.
//
// Run is called once, by the goroutine that owns the sweeper; it returns
// when ctx ends, after the sweep under way, and gives the lease up so that
// another instance takes over at its next try.
type Sweeper struct {
	Svc      *dissent.Service
	Interval time.Duration // how often to try; default one minute
	Holder   string        // this instance's name in the lease, unique among instances
	// TTL is how long a lease lasts unless renewed; default Interval plus a
	// half, so that the holder's renewal, due every Interval, comes before
	// it lapses.
	TTL time.Duration
	// Now is the clock of the lease, which all instances must share within
	// a small fraction of TTL; default time.Now. The sweep itself is at the
	// Service's clock.
	Now func() time.Time
	Log *slog.Logger
	// Observe, if set, is told the outcome of every sweep this instance
	// runs (for metrics).
	Observe func(dissent.SweepResult, error)
}

// Run sweeps until ctx ends; see Sweeper.
func (s *Sweeper) Run(ctx context.Context) error {
	if s.Svc == nil || s.Holder == "" {
		return errors.New("sweeper: a service and a holder name are required")
	}
	interval, ttl, now, log := s.Interval, s.TTL, s.Now, s.Log
	if interval <= 0 {
		interval = time.Minute
	}
	if ttl <= 0 {
		ttl = interval + interval/2
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	held := false
	defer func() {
		if !held {
			return
		}
		// Give the lease up even though ctx has ended, briefly.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.Svc.ReleaseLease(rctx, LeaseName, s.Holder); err != nil {
			log.Warn("sweeper: release lease", "holder", s.Holder, "err", err)
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := s.Svc.AcquireLease(ctx, LeaseName, s.Holder, now(), ttl)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("sweeper: acquire lease", "holder", s.Holder, "err", err)
		case ok:
			if !held {
				log.Info("sweeper: lease taken", "holder", s.Holder)
			}
			res, err := s.Svc.Sweep(ctx, s.Svc.Now())
			if err != nil && ctx.Err() == nil {
				log.Warn("sweeper: sweep", "holder", s.Holder, "err", err)
			}
			if s.Observe != nil {
				s.Observe(res, err)
			}
		}
		held = ok && err == nil
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
