package web

import (
	"runtime"
	"syscall"
	"time"
)

// renderCost is the CPU time one rendering takes on its own thread
// (RUSAGE_THREAD): other processes taking the machine's cores do not
// inflate it, as they do wall time.
func renderCost(src string) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, okBefore := threadCPU()
	start := time.Now()
	renderMarkdown(src)
	wall := time.Since(start)
	after, okAfter := threadCPU()
	if !okBefore || !okAfter {
		return wall
	}
	return after - before
}

func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
