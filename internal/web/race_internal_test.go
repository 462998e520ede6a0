//go:build race

package web

// raceEnabled: the tests run under the race detector, several times slower.
const raceEnabled = true
