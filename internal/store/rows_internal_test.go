package store

// Every write of the store's tests (the conformance suite on both backends
// included) digests each row the SQLite writer's hook captured twice, from
// the captured values and read back by key, and fails on a difference.
func init() { checkCapturedDigests = true }
