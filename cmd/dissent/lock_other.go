//go:build !unix

package main

// lockDataDir does nothing where flock is missing; one `serve` per SQLite
// data directory is then the operator's care (OPERATIONS.md).
func lockDataDir(dir string) (unlock func(), err error) { return func() {}, nil }
