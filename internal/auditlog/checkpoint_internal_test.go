package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

func FuzzOpenCheckpoint(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	l, err := New(nil, "fuzz.log/x", key, "", nil)
	if err != nil {
		f.Fatal(err)
	}
	good, err := l.sign(5, [32]byte{1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("fuzz.log/x\n5\nAAAA\n\n— fuzz.log/x abc\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := l.open(b)
		if err == nil && !bytes.Equal(b, good) && (cp.Size != 5 || cp.Origin != "fuzz.log/x") {
			t.Fatalf("a forged checkpoint opened: %+v", cp)
		}
	})
}
