//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes an exclusive, non-blocking flock on DIR/serve.lock, so
// that a second `serve` on the same SQLite data directory refuses to start
// (two processes would each run a group-commit writer, a sweeper and a
// checkpointer over one file). The kernel drops the lock when the process
// ends, however it ends; unlock releases it earlier.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.Read(b)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if pid := strings.TrimSpace(string(b[:n])); pid != "" {
				holder = " (process " + pid + ")"
			}
			return nil, fmt.Errorf("%w: another `dissent serve` is running on %s%s; stop it first. To run several instances, use PostgreSQL (--db postgres://…)",
				errLocked, filepath.Clean(dir), holder)
		}
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
