// Command dissent runs and administers a Dissent deployment: a dissent
// channel (see SPEC.md). It is the only package that reads os.Args or the
// environment, and the only one that links a database driver.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile, err := startCPUProfile(os.Getenv("DISSENT_CPUPROFILE"))
	if err == nil {
		err = run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stopProfile()
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dissent: error: %v\n", err)
		if h := hintFor(err); h != "" {
			fmt.Fprintf(os.Stderr, "hint: %s\n", h)
		}
		os.Exit(1)
	}
}

// startCPUProfile writes a CPU profile of the whole run to path, for the
// benchmarks (bench/cosign's -server-profile, `dissent verify` on a
// benchmark's deployment); "" profiles nothing. The
// profile holds function names and sample counts, never data.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("DISSENT_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("DISSENT_CPUPROFILE: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
