package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"filippo.io/age"
)

// Keyring holds the deployment's secrets: the key-encryption keys (one
// active), the pseudonym key and the audit log's signing key. On disk it is
// one age-encrypted JSON file.
type Keyring struct {
	mu   sync.RWMutex
	file string       // "" for a keyring that lives only in memory (tests)
	id   age.Identity // decrypts the file
	rcpt age.Recipient
	d    ringData
}

type ringData struct {
	Version int               `json:"version"`
	Active  string            `json:"active"`
	KEKs    map[string][]byte `json:"keks"`
	TagKey  []byte            `json:"tag_key"`
	LogSeed []byte            `json:"log_signing_seed"`
	LogName string            `json:"log_name"`
}

// File names inside the keys directory.
const (
	RingFile     = "keyring.age"
	IdentityFile = "identity.age"
)

func newKEKID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "k" + hex.EncodeToString(b[:])
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}

// Generate returns a fresh keyring held in memory only.
func Generate(logName string) *Keyring {
	id := newKEKID()
	return &Keyring{d: ringData{Version: 1, Active: id, KEKs: map[string][]byte{id: random(keySize)},
		TagKey: random(keySize), LogSeed: random(ed25519.SeedSize), LogName: logName}}
}

// scryptPair is the recipient and identity of a passphrase: scrypt at
// age's work factor, unless a test lowered it (LowerScryptCostInTests).
func scryptPair(passphrase string) (*age.ScryptRecipient, *age.ScryptIdentity, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, nil, fmt.Errorf("passphrase: %w", err)
	}
	if n := testScryptWorkFactor.Load(); n != 0 {
		r.SetWorkFactor(int(n))
	}
	i, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, nil, fmt.Errorf("passphrase: %w", err)
	}
	return r, i, nil
}

// testScryptWorkFactor is the scrypt work factor (log2 N) a test set; 0
// leaves age's (18: about a second, several under the race detector).
var testScryptWorkFactor atomic.Int32

// LowerScryptCostInTests makes the keyrings this process encrypts to a
// passphrase from now on cost 2^logN in scrypt instead of age's default:
// for tests whose point is the passphrase's handling, not its cost. Opening
// reads the cost from the file. It panics outside a test binary
// (testing.Testing), so that no deployment's keyring is ever protected by
// less than age's default.
func LowerScryptCostInTests(logN int) {
	if !testing.Testing() {
		panic("seal: the scrypt cost of a keyring is lowered only in a test binary")
	}
	testScryptWorkFactor.Store(int32(logN))
}

// Create makes a new keyring in dir. With a passphrase the file is
// encrypted to it (scrypt); without, to a new X25519 identity written beside
// it (mode 0600).
func Create(dir, passphrase, logName string) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keys directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, RingFile)); err == nil {
		return nil, fmt.Errorf("a keyring already exists in %s", dir)
	}
	k := Generate(logName)
	k.file = filepath.Join(dir, RingFile)
	if passphrase != "" {
		r, i, err := scryptPair(passphrase)
		if err != nil {
			return nil, err
		}
		k.rcpt, k.id = r, i
	} else {
		x, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("generate identity: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(dir, IdentityFile), []byte(x.String()+"\n")); err != nil {
			return nil, err
		}
		k.rcpt, k.id = x.Recipient(), x
	}
	if err := k.save(); err != nil {
		return nil, err
	}
	return k, nil
}

// Load opens the keyring in dir with the passphrase, or else with the
// identity file beside it.
func Load(dir, passphrase string) (*Keyring, error) {
	k := &Keyring{file: filepath.Join(dir, RingFile)}
	if passphrase != "" {
		r, i, err := scryptPair(passphrase)
		if err != nil {
			return nil, err
		}
		k.rcpt, k.id = r, i
	} else {
		b, err := os.ReadFile(filepath.Join(dir, IdentityFile))
		if err != nil {
			return nil, fmt.Errorf("read key identity (set DISSENT_KEY_PASSPHRASE if the keyring is protected by a passphrase): %w", err)
		}
		x, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("parse key identity %s: %w", IdentityFile, err)
		}
		k.rcpt, k.id = x.Recipient(), x
	}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// reload reads the file again: another process may have rotated the keys.
func (k *Keyring) reload() error {
	if k.file == "" {
		return nil
	}
	f, err := os.Open(k.file)
	if err != nil {
		return fmt.Errorf("open keyring: %w", err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, k.id)
	if err != nil {
		return fmt.Errorf("decrypt keyring %s (wrong passphrase or identity?): %w", k.file, err)
	}
	var d ringData
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("decode keyring: %w", err)
	}
	if d.Version != 1 || d.KEKs[d.Active] == nil || len(d.TagKey) != keySize || len(d.LogSeed) != ed25519.SeedSize {
		return errors.New("keyring is incomplete or of an unknown version")
	}
	k.mu.Lock()
	k.d = d
	k.mu.Unlock()
	return nil
}

func (k *Keyring) save() error {
	if k.file == "" {
		return nil
	}
	k.mu.RLock()
	plain, err := json.Marshal(k.d)
	k.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("encode keyring: %w", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.rcpt)
	if err != nil {
		return fmt.Errorf("encrypt keyring: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return fmt.Errorf("encrypt keyring: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypt keyring: %w", err)
	}
	return writeFileAtomic(k.file, buf.Bytes())
}

// writeFileAtomic writes a file with mode 0600 by renaming a synced
// temporary file over it, so that a crash leaves the old or the new file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (k *Keyring) activeID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.d.Active
}

func (k *Keyring) active() (string, []byte) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.d.Active, k.d.KEKs[k.d.Active]
}

// kek returns a key-encryption key by id, reading the file again once if
// the id is unknown (a rotation by another process).
func (k *Keyring) kek(id string) ([]byte, error) {
	k.mu.RLock()
	key := k.d.KEKs[id]
	k.mu.RUnlock()
	if key != nil {
		return key, nil
	}
	if err := k.reload(); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if key = k.d.KEKs[id]; key == nil {
		return nil, fmt.Errorf("key-encryption key %s is not in the keyring", id)
	}
	return key, nil
}

func (k *Keyring) tagKey() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.d.TagKey
}

// LogKey returns the audit log's name and Ed25519 signing key.
func (k *Keyring) LogKey() (string, ed25519.PrivateKey) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.d.LogName, ed25519.NewKeyFromSeed(k.d.LogSeed)
}

// KEKs lists the ids of the key-encryption keys, the active one first.
func (k *Keyring) KEKs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := []string{k.d.Active}
	for id := range k.d.KEKs {
		if id != k.d.Active {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[1:])
	return ids
}

// Rotate adds a new key-encryption key, makes it active and saves the
// keyring. The old keys stay until Retire, so that data keys wrapped under
// them still open while they are rewrapped.
func (k *Keyring) Rotate() (string, error) {
	id := newKEKID()
	k.mu.Lock()
	k.d.KEKs[id] = random(keySize)
	k.d.Active = id
	k.mu.Unlock()
	return id, k.save()
}

// Retire removes a key-encryption key that no data key uses any more.
func (k *Keyring) Retire(id string) error {
	k.mu.Lock()
	if id == k.d.Active {
		k.mu.Unlock()
		return errors.New("cannot retire the active key-encryption key")
	}
	delete(k.d.KEKs, id)
	k.mu.Unlock()
	return k.save()
}
