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
	// Tag is a keyed pseudonym of a person on one message: a person's tags
	// on two messages share no value, so whoever lacks the key can neither
	// name the person nor link their rows across messages. It lets the
	// database find a person's rows on a message without holding their id
	// next to it.
	Tag(message MessageID, person PersonID) []byte
	// Locator is where the person's i-th entry of the participation index
	// lies (the messages they take part in): without the key, the entries
	// of one person cannot be told from anyone else's.
	Locator(person PersonID, i int) []byte
	// Pseudonym is a keyed pseudonym of a person under a random salt kept
	// beside it: a row that needs to be found by person, rarely, holds
	// (salt, pseudonym) and links to no other row.
	Pseudonym(salt []byte, person PersonID) []byte
}
