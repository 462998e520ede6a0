package auditlog_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent/internal/auditlog"
)

// These examples use only the log's keys and the C2SP formats, which stay
// as they are when the log's leaves change.

// The deployment signs its checkpoints (C2SP tlog-checkpoint in a signed
// note) with the log's Ed25519 key, under the log's name. Anyone who holds
// the verifier key — published in DATA/log/key.pub, and what
// `dissent receipt verify --key` takes — checks them without the database;
// a checkpoint changed in any byte does not verify.
func ExampleNewSigner() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)) // the keyring holds the real seed
	signer, _, err := auditlog.NewSigner("dissent.example/log", key)
	if err != nil {
		panic(err)
	}

	// The root of a tree of three leaves, hashed as RFC 6962 does.
	var stored []tlog.Hash
	read := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, leaf := range []string{"leaf 0", "leaf 1", "leaf 2"} {
		hs, err := tlog.StoredHashes(int64(i), []byte(leaf), read)
		if err != nil {
			panic(err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(3, read)
	if err != nil {
		panic(err)
	}
	body := log.Checkpoint{Origin: "dissent.example/log", Size: 3, Hash: root[:]}.Marshal()
	signed, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		panic(err)
	}

	// The verifier's side: only the public key.
	vkey, err := auditlog.VerifierKey("dissent.example/log", key.Public().(ed25519.PublicKey))
	if err != nil {
		panic(err)
	}
	fmt.Println(vkey)
	v, err := auditlog.ParseVerifierKey(vkey)
	if err != nil {
		panic(err)
	}
	cp, _, _, err := log.ParseCheckpoint(signed, v.Name(), v)
	fmt.Println(cp.Origin, cp.Size, err)

	forged := bytes.Replace(signed, []byte("\n3\n"), []byte("\n2\n"), 1)
	_, _, _, err = log.ParseCheckpoint(forged, v.Name(), v)
	fmt.Println("a changed size verifies:", err == nil)
	// Output:
	// dissent.example/log+47d66743+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs
	// dissent.example/log 3 <nil>
	// a changed size verifies: false
}
