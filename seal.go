package dissent

// WrappedKey is a per-message data key, encrypted under the key-encryption
// key named by KEKID. The store keeps it; only a Sealer can use it.
type WrappedKey struct {
	KEKID   string
	Wrapped []byte
}

// AD names the place a sealed value belongs to. It is authenticated with
// the value, so that a ciphertext moved to another table, row or column does
// not open.
type AD struct {
	Table, Row, Column string
}

// Sealer encrypts protected values at rest: titles, bodies, replies,
// reviewer input, notes, and who signed. Implementations (internal/seal)
// MUST authenticate every ciphertext together with its AD, MUST fail rather
// than return altered plaintext, and MUST keep the key-encryption keys
// outside the database.
type Sealer interface {
	// NewDataKey makes a fresh data key wrapped under the active
	// key-encryption key.
	NewDataKey() (WrappedKey, error)
	Seal(k WrappedKey, ad AD, plaintext []byte) ([]byte, error)
	Open(k WrappedKey, ad AD, ciphertext []byte) ([]byte, error)
	// Rewrap re-encrypts a data key under the active key-encryption key.
	Rewrap(k WrappedKey) (WrappedKey, error)
	// ActiveKEK names the key-encryption key new data keys are wrapped under.
	ActiveKEK() string
	// Tag is a keyed pseudonym of a person, the same in every table, that
	// reveals nothing to whoever lacks the key: it lets the database join a
	// person to the messages they take part in without holding their id
	// next to the message.
	Tag(person PersonID) []byte
}
