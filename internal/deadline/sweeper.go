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
// time. Every instance tries the database lease LeaseName three times an
// Interval; the holder renews it for TTL (two thirds of an Interval by
// default) each time, and sweeps when it holds it and an Interval has
// passed since its last sweep, or at once when it has just taken the lease.
// When the holder dies its lease lapses within TTL, and another instance
// takes it at its next try and sweeps at once: the work passes to another
// instance within one Interval of the death.
//
// The lease only saves work: what is told exactly once is guaranteed by
// Sweep's unique keys, so two sweeps that overlap (a holder too slow to
// renew in time) still tell each thing once.
//
// Run is called once, by the goroutine that owns the sweeper; it returns
// when ctx ends, after the sweep under way, and gives the lease up so that
// another instance takes over at its next try.
type Sweeper struct {
	Svc      *dissent.Service
	Interval time.Duration // how often to try; default one minute
	Holder   string        // this instance's name in the lease, unique among instances
	// TTL is how long a lease lasts unless renewed; default two thirds of
	// Interval, so that the renewal, due every third of an Interval, comes
	// before it lapses.
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
		ttl = interval * 2 / 3
	}
	try := interval / 3
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	held := false
	var last time.Time // of this instance's last sweep, on the lease's clock
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
	t := time.NewTicker(try)
	defer t.Stop()
	for {
		ok, err := s.Svc.AcquireLease(ctx, LeaseName, s.Holder, now(), ttl)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("sweeper: acquire lease", "holder", s.Holder, "err", err)
		case ok && (!held || now().Sub(last) >= interval-try/2):
			if !held {
				log.Info("sweeper: lease taken", "holder", s.Holder)
			}
			last = now()
			res, err := s.Svc.Sweep(ctx, s.Svc.Now())
			if err != nil && ctx.Err() == nil {
				log.Warn("sweeper: sweep", "holder", s.Holder, "err", err)
			}
			if s.Observe != nil {
				s.Observe(res, err)
			}
		}
		if err == nil { // an interrupted try leaves the lease as it was
			held = ok
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
