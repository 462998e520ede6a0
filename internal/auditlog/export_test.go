package auditlog

// SkipRowsForTest turns off Verify's comparison of the tables with the log's
// row digests, so that a test can show the tamper tests depend on it.
func SkipRowsForTest(skip bool) { skipRows = skip }

// SetVerifyChunkForTest makes Verify read n entries at a time, so that a
// small log spans many chunks and every reader; it returns the undo.
func SetVerifyChunkForTest(n int64) func() {
	old := verifyChunk
	verifyChunk = n
	return func() { verifyChunk = old }
}
