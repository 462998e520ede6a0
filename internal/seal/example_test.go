package seal_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
)

// Each message gets its own data key, wrapped under the keyring's active
// key-encryption key; the store keeps only the wrapped key. A value is sealed
// for one place (table, row, column): the same ciphertext read from another
// place does not open, and no tampering yields other plaintext.
func ExampleSealer() {
	s := seal.New(seal.Generate("dissent.example/log"))
	key, err := s.NewDataKey()
	if err != nil {
		panic(err)
	}
	title := dissent.AD{Table: "message_versions", Row: "0123abcd/1", Column: "title"}
	ct, err := s.Seal(key, title, []byte("On the war"))
	if err != nil {
		panic(err)
	}
	pt, err := s.Open(key, title, ct)
	fmt.Printf("%s, %v\n", pt, err)

	summary := title
	summary.Column = "summary"
	_, err = s.Open(key, summary, ct)
	fmt.Println("moved to another column:", errors.Is(err, seal.ErrOpen))

	ct[len(ct)-1] ^= 1
	_, err = s.Open(key, title, ct)
	fmt.Println("one bit flipped:", errors.Is(err, seal.ErrOpen))
	// Output:
	// On the war, <nil>
	// moved to another column: true
	// one bit flipped: true
}

// A person who takes part in a message is stored under a pseudonym of that
// message: an HMAC of the message's and the person's ids under the keyring's
// tag key, the same for every call, different on another message and in
// every deployment.
func ExampleSealer_Tag() {
	s := seal.New(seal.Generate("dissent.example/log"))
	m1, m2 := dissent.MessageID("0123456789abcdef0123456789abcdef"), dissent.MessageID("fedcba9876543210fedcba9876543210")
	a, b := s.Tag(m1, 42), s.Tag(m1, 42)
	onOther := s.Tag(m2, 42)
	elsewhere := seal.New(seal.Generate("dissent.example/log")).Tag(m1, 42)
	fmt.Println(len(a), string(a) == string(b), string(a) == string(onOther), string(a) == string(elsewhere))
	// Output:
	// 32 true false false
}

// Key rotation: Rotate makes a new key-encryption key active, Rewrap moves
// each data key under it (the data itself is not re-encrypted), and Retire
// drops the old key once nothing is wrapped under it.
func ExampleKeyring_Rotate() {
	ring := seal.Generate("dissent.example/log")
	s := seal.New(ring)
	key, err := s.NewDataKey()
	if err != nil {
		panic(err)
	}
	body := dissent.AD{Table: "message_versions", Row: "0123abcd/1", Column: "body"}
	ct, err := s.Seal(key, body, []byte("We recommend a ceasefire."))
	if err != nil {
		panic(err)
	}

	old := ring.KEKs()[0]
	active, err := ring.Rotate()
	if err != nil {
		panic(err)
	}
	rewrapped, err := s.Rewrap(key)
	if err != nil {
		panic(err)
	}
	fmt.Println("under the new key:", rewrapped.KEKID == active, s.ActiveKEK() == active)
	if err := ring.Retire(old); err != nil {
		panic(err)
	}
	pt, err := seal.New(ring).Open(rewrapped, body, ct)
	fmt.Printf("%s, %v\n", pt, err)
	_, err = seal.New(ring).Open(key, body, ct)
	fmt.Println("the old wrapping opens:", err == nil)
	// Output:
	// under the new key: true true
	// We recommend a ceasefire., <nil>
	// the old wrapping opens: false
}

// On disk the keyring is one file encrypted with age, here to an X25519
// identity written beside it (with a passphrase, to the passphrase instead).
// Load opens it again.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "keys")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ring, err := seal.Create(dir, "", "dissent.example/log")
	if err != nil {
		panic(err)
	}
	again, err := seal.Load(dir, "")
	if err != nil {
		panic(err)
	}
	name, _ := again.LogKey()
	fmt.Println(name, again.KEKs()[0] == ring.KEKs()[0])

	_, err = seal.Create(dir, "", "dissent.example/log")
	fmt.Println(err != nil)
	// Output:
	// dissent.example/log true
	// true
}
