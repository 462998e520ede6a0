//go:build !linux

package web

import "time"

// renderCost is the wall time of one rendering (elsewhere than Linux there
// is no per-thread CPU clock here).
func renderCost(src string) time.Duration {
	start := time.Now()
	renderMarkdown(src)
	return time.Since(start)
}
