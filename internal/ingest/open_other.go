//go:build !unix

package ingest

// Elsewhere the fstat check after opening is the only guard.
const (
	oNoFollow = 0
	oNonBlock = 0
)
