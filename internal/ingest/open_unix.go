//go:build unix

package ingest

import "syscall"

// Flags for opening an article file: never follow a symbolic link, never
// block on a FIFO or device.
const (
	oNoFollow = syscall.O_NOFOLLOW
	oNonBlock = syscall.O_NONBLOCK
)
