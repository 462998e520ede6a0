package dissent_test

import (
	"context"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// BenchmarkSignFirstUse is issue 17's co-signing workload without HTTP:
// invited co-signers each authenticate with their token for the first time
// and sign one message, 64 at once, through the store's one writer. Run it
// with a fixed count (the set-up makes that many co-signers):
//
//	go test -run '^$' -bench BenchmarkSignFirstUse -benchtime 2000x .
//
// cpu-µs/op is the process's CPU time (user and system) per signature,
// which the machine's other load changes far less than the wall time.
// DISSENT_BENCH_PROFILE=FILE writes a CPU profile of the signing alone (the
// set-up's invitations would dominate -cpuprofile's).
func BenchmarkSignFirstUse(b *testing.B) {
	ctx := context.Background()
	e := servicetest.New(b)
	p, s := e.Cast(b, b.N)
	drafter := p["drafter@state.example"]
	m, err := e.Svc.CreateMessage(ctx, drafter.Actor, dissent.Draft{Title: "On the war", Summary: "Change course.", Body: "We recommend a ceasefire."})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Svc.Invite(ctx, drafter.Actor, m.ID, s); err != nil {
		b.Fatal(err)
	}
	var next, failed atomic.Int64
	b.SetParallelism(32)
	if f := os.Getenv("DISSENT_BENCH_PROFILE"); f != "" && b.N > 1 {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		defer pprof.StopCPUProfile()
	}
	cpu0 := servicetest.CPUTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			signer := p[s[next.Add(1)-1]]
			a, err := e.Svc.AuthenticateTokenToWrite(ctx, dissent.NewSecret(signer.Token), "")
			if err == nil {
				_, err = e.Svc.Sign(ctx, a, m.ID, m.ContentHash, 0)
			}
			if err == nil {
				err = e.Svc.FinishActivation(ctx, a)
			}
			if err != nil {
				failed.Add(1)
				b.Error(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((servicetest.CPUTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	got, err := e.Svc.GetMessage(ctx, drafter.Actor, m.ID)
	if err != nil {
		b.Fatal(err)
	}
	if want := 1 + b.N - int(failed.Load()); got.SignatureCount != want {
		b.Fatalf("signature count %d; want %d", got.SignatureCount, want)
	}
}
