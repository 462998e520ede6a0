// Package seal encrypts Dissent's protected values at rest.
//
// Security properties:
//
//   - Every message has its own 256-bit data key. Values are sealed with
//     XChaCha20-Poly1305 under that key, with a random 192-bit nonce, and with
//     associated data naming the table, row and column the value belongs to:
//     a flipped bit, a truncated value or a value moved to another place fails
//     to open; it never yields other plaintext.
//   - Data keys are wrapped with AES-256-GCM under a key-encryption key (KEK)
//     that never enters the database. KEKs have ids, so several coexist
//     while a rotation rewraps the data keys.
//   - The KEKs, the pseudonym key and the log's signing key live in a
//     keyring file encrypted with age (filippo.io/age), to a passphrase
//     (DISSENT_KEY_PASSPHRASE) or to an X25519 identity kept in a file that
//     should live apart from the database (by default it is generated in the
//     data directory, which protects a stolen database file, not a stolen
//     data directory).
//   - Person pseudonyms are HMAC-SHA256 under a key from the keyring, keyed
//     by message and person: one person's rows on two messages share no value.
//
// A stolen database file alone reveals no sealed text and no signer.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/dissent-channel/dissent"
)

const (
	keySize      = 32
	envelopeV1   = 0x01
	maxCacheKeys = 4096
)

// ErrOpen is returned when a ciphertext does not open: it was altered,
// truncated, moved from another place, or sealed under another key.
var ErrOpen = errors.New("sealed value does not authenticate (altered, moved or under another key)")

// Sealer implements dissent.Sealer over a Keyring.
type Sealer struct {
	ring *Keyring

	mu    sync.Mutex
	cache map[string]cipher.AEAD // unwrapped data keys, by wrapped bytes
}

var _ dissent.Sealer = (*Sealer)(nil)

// New returns a Sealer over ring.
func New(ring *Keyring) *Sealer {
	return &Sealer{ring: ring, cache: map[string]cipher.AEAD{}}
}

// Keyring returns the sealer's keyring.
func (s *Sealer) Keyring() *Keyring { return s.ring }

// ActiveKEK implements dissent.Sealer.
func (s *Sealer) ActiveKEK() string { return s.ring.activeID() }

// NewDataKey implements dissent.Sealer.
func (s *Sealer) NewDataKey() (dissent.WrappedKey, error) {
	dek := make([]byte, keySize)
	if _, err := rand.Read(dek); err != nil {
		return dissent.WrappedKey{}, fmt.Errorf("generate data key: %w", err)
	}
	return s.wrap(dek)
}

func (s *Sealer) wrap(dek []byte) (dissent.WrappedKey, error) {
	id, kek := s.ring.active()
	gcm, err := newGCM(kek)
	if err != nil {
		return dissent.WrappedKey{}, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return dissent.WrappedKey{}, fmt.Errorf("generate nonce: %w", err)
	}
	return dissent.WrappedKey{KEKID: id, Wrapped: gcm.Seal(nonce, nonce, dek, wrapAD(id))}, nil
}

func wrapAD(kekID string) []byte { return []byte("dissent data key v1\x00" + kekID) }

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	return cipher.NewGCM(b)
}

func (s *Sealer) unwrap(k dissent.WrappedKey) ([]byte, error) {
	kek, err := s.ring.kek(k.KEKID)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(k.Wrapped) < gcm.NonceSize() {
		return nil, fmt.Errorf("unwrap data key: %w", ErrOpen)
	}
	dek, err := gcm.Open(nil, k.Wrapped[:gcm.NonceSize()], k.Wrapped[gcm.NonceSize():], wrapAD(k.KEKID))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key under %s: %w", k.KEKID, ErrOpen)
	}
	return dek, nil
}

// aead returns the cipher of a data key, unwrapping it once.
func (s *Sealer) aead(k dissent.WrappedKey) (cipher.AEAD, error) {
	// The cache's key, built on the stack when it fits: looking it up
	// allocates nothing (every sealed value opened looks it up).
	var buf [128]byte
	idb := append(append(append(buf[:0], k.KEKID...), 0), k.Wrapped...)
	s.mu.Lock()
	a, ok := s.cache[string(idb)]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	id := string(idb)
	dek, err := s.unwrap(k)
	if err != nil {
		return nil, err
	}
	a, err = chacha20poly1305.NewX(dek)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	s.mu.Lock()
	if len(s.cache) >= maxCacheKeys {
		clear(s.cache)
	}
	s.cache[id] = a
	s.mu.Unlock()
	return a, nil
}

// adBytes encodes the associated data unambiguously: each part is preceded
// by its length.
func adBytes(ad dissent.AD) []byte {
	const prefix = "dissent sealed value v1"
	b := make([]byte, 0, len(prefix)+3*4+len(ad.Table)+len(ad.Row)+len(ad.Column))
	b = append(b, prefix...)
	for _, p := range [...]string{ad.Table, ad.Row, ad.Column} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// Seal implements dissent.Sealer. The envelope is a version byte, the
// nonce, and the ciphertext with its tag.
func (s *Sealer) Seal(k dissent.WrappedKey, ad dissent.AD, plaintext []byte) ([]byte, error) {
	a, err := s.aead(k)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = envelopeV1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return a.Seal(out, out[1:], plaintext, adBytes(ad)), nil
}

// Open implements dissent.Sealer.
func (s *Sealer) Open(k dissent.WrappedKey, ad dissent.AD, ciphertext []byte) ([]byte, error) {
	a, err := s.aead(k)
	if err != nil {
		return nil, err
	}
	return openEnvelope(a, adBytes(ad), ciphertext)
}

func openEnvelope(a cipher.AEAD, ad, ct []byte) ([]byte, error) {
	if len(ct) < 1+a.NonceSize()+a.Overhead() || ct[0] != envelopeV1 {
		return nil, ErrOpen
	}
	pt, err := a.Open(nil, ct[1:1+a.NonceSize()], ct[1+a.NonceSize():], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Rewrap implements dissent.Sealer.
func (s *Sealer) Rewrap(k dissent.WrappedKey) (dissent.WrappedKey, error) {
	if k.KEKID == s.ring.activeID() {
		return k, nil
	}
	dek, err := s.unwrap(k)
	if err != nil {
		return dissent.WrappedKey{}, err
	}
	return s.wrap(dek)
}

// Tag implements dissent.Sealer: HMAC-SHA256 under the pseudonym key of
// a domain separator, the message id and the person id. The id is length-
// prefixed, so no two (message, person) pairs share an input.
func (s *Sealer) Tag(id dissent.MessageID, p dissent.PersonID) []byte {
	m := hmac.New(sha256.New, s.ring.tagKey())
	m.Write([]byte("dissent tag v2\n"))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(id))))
	m.Write([]byte(id))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(p)))
	return m.Sum(nil)
}

// Locator implements dissent.Sealer.
func (s *Sealer) Locator(p dissent.PersonID, i int) []byte {
	m := hmac.New(sha256.New, s.ring.tagKey())
	m.Write([]byte("dissent locator\n"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(p)))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return m.Sum(nil)
}

// Pseudonym implements dissent.Sealer.
func (s *Sealer) Pseudonym(salt []byte, p dissent.PersonID) []byte {
	m := hmac.New(sha256.New, s.ring.tagKey())
	m.Write([]byte("dissent pseudonym\n"))
	m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(salt))))
	m.Write(salt)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(p)))
	return m.Sum(nil)
}
