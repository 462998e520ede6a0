//go:build race

package deadline

// raceEnabled: the tests run under the race detector, several times slower.
const raceEnabled = true
