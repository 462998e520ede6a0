package seal

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/dissent-channel/dissent"
)

var ad = dissent.AD{Table: "message_versions", Row: "abc/1", Column: "title"}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := New(Generate("test"))
	k, err := s.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range []string{"", "We recommend a ceasefire.", strings.Repeat("x", 100_000)} {
		ct, err := s.Seal(k, ad, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 8 && bytes.Contains(ct, []byte(pt[:8])) {
			t.Errorf("ciphertext contains the plaintext")
		}
		got, err := s.Open(k, ad, ct)
		if err != nil || string(got) != pt {
			t.Errorf("Open(Seal(%.20q)) = %.20q, %v", pt, got, err)
		}
		ct2, _ := s.Seal(k, ad, []byte(pt))
		if bytes.Equal(ct, ct2) {
			t.Error("two seals of the same value are equal: the nonce is not fresh")
		}
	}
}

// TestTamper: a flipped bit anywhere, a truncation, a value moved to another
// table, row or column, or opened under another message's key, fails.
func TestTamper(t *testing.T) {
	t.Parallel()
	s := New(Generate("test"))
	k, _ := s.NewDataKey()
	other, _ := s.NewDataKey()
	ct, _ := s.Seal(k, ad, []byte("the dissent"))
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			if pt, err := s.Open(k, ad, bad); err == nil {
				t.Fatalf("flipping bit %#x of byte %d opened to %q", bit, i, pt)
			}
		}
	}
	for n := range len(ct) {
		if _, err := s.Open(k, ad, ct[:n]); err == nil {
			t.Fatalf("a truncation to %d bytes opened", n)
		}
	}
	moved := []dissent.AD{
		{Table: "replies", Row: ad.Row, Column: ad.Column},
		{Table: ad.Table, Row: "abc/2", Column: ad.Column},
		{Table: ad.Table, Row: ad.Row, Column: "body"},
		{Table: ad.Table + "a", Row: "bc/1", Column: ad.Column}, // boundaries shift
	}
	for _, m := range moved {
		if _, err := s.Open(k, m, ct); err == nil {
			t.Errorf("a value sealed for %+v opened as %+v", ad, m)
		}
	}
	if _, err := s.Open(other, ad, ct); err == nil {
		t.Error("a value opened under another message's data key")
	}
	bad := k
	bad.Wrapped = bytes.Clone(k.Wrapped)
	bad.Wrapped[len(bad.Wrapped)-1] ^= 1
	if _, err := New(s.ring).Open(bad, ad, ct); err == nil {
		t.Error("a tampered wrapped key opened")
	}
}

// TestEnvelopeKnownAnswer fixes the envelope format: version byte 1, a
// 24-byte nonce, XChaCha20-Poly1305 over the length-prefixed AD.
func TestEnvelopeKnownAnswer(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x42}, 32)
	nonce := bytes.Repeat([]byte{0x24}, 24)
	wantAD := "dissent sealed value v1" + "\x00\x00\x00\x10message_versions" + "\x00\x00\x00\x05abc/1" + "\x00\x00\x00\x05title"
	if got := string(adBytes(ad)); got != wantAD {
		t.Fatalf("adBytes = %q; want %q", got, wantAD)
	}
	a, _ := chacha20poly1305.NewX(key)
	ct := append([]byte{1}, nonce...)
	ct = a.Seal(ct, nonce, []byte("hello"), []byte(wantAD))
	const want = "01242424242424242424242424242424242424242424242424"
	if got := hex.EncodeToString(ct[:25]); got != want {
		t.Errorf("envelope prefix = %s; want %s", got, want)
	}
	pt, err := openEnvelope(a, []byte(wantAD), ct)
	if err != nil || string(pt) != "hello" {
		t.Errorf("openEnvelope = %q, %v", pt, err)
	}
}

func FuzzOpen(f *testing.F) {
	s := New(Generate("fuzz"))
	k, _ := s.NewDataKey()
	good, _ := s.Seal(k, ad, []byte("x"))
	f.Add(good)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		pt, err := s.Open(k, ad, ct)
		if err == nil && !bytes.Equal(ct, good) && string(pt) != "x" {
			t.Fatalf("forged ciphertext %x opened to %q", ct, pt)
		}
	})
}

func TestRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ring, err := Create(dir, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	s := New(ring)
	k, _ := s.NewDataKey()
	ct, _ := s.Seal(k, ad, []byte("kept"))
	oldID := ring.activeID()

	// Another process (a second Sealer on the file) rotates.
	ring2, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	newID, err := ring2.Rotate()
	if err != nil || newID == oldID {
		t.Fatalf("Rotate = %q, %v", newID, err)
	}
	k2, err := New(ring2).Rewrap(k)
	if err != nil || k2.KEKID != newID {
		t.Fatalf("Rewrap = %+v, %v", k2, err)
	}
	// The first process has never heard of the new key; it reloads.
	if pt, err := s.Open(k2, ad, ct); err != nil || string(pt) != "kept" {
		t.Fatalf("Open after a rotation elsewhere = %q, %v", pt, err)
	}
	if err := ring2.Retire(oldID); err != nil {
		t.Fatal(err)
	}
	if err := ring2.Retire(newID); err == nil {
		t.Error("retiring the active key succeeded")
	}
	ring3, _ := Load(dir, "")
	if _, err := New(ring3).Open(k, ad, ct); err == nil || !strings.Contains(err.Error(), oldID) {
		t.Errorf("a data key under a retired KEK: error = %v; want one naming %s", err, oldID)
	}
	if ids := ring3.KEKs(); len(ids) != 1 || ids[0] != newID {
		t.Errorf("KEKs after retiring = %v; want [%s]", ids, newID)
	}
}

func TestKeyringFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ring, err := Create(dir, "correct horse battery staple", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, "x", "test"); err == nil {
		t.Error("a second Create over an existing keyring succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, IdentityFile)); err == nil {
		t.Error("a passphrase keyring wrote an identity file")
	}
	if _, err := Load(dir, "wrong"); err == nil {
		t.Error("Load with a wrong passphrase succeeded")
	}
	back, err := Load(dir, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.tagKey(), ring.tagKey()) || back.activeID() != ring.activeID() {
		t.Error("the loaded keyring differs from the created one")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, RingFile))
	_, kek := ring.active()
	if bytes.Contains(raw, kek) || bytes.Contains(raw, []byte(hex.EncodeToString(kek))) || bytes.Contains(raw, []byte("keks")) {
		t.Error("the keyring file holds key material in clear")
	}
	fi, _ := os.Stat(filepath.Join(dir, RingFile))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring file mode %v; want 0600", fi.Mode().Perm())
	}
}

func TestTag(t *testing.T) {
	t.Parallel()
	a, b := New(Generate("a")), New(Generate("b"))
	if !bytes.Equal(a.Tag("m1", 7), a.Tag("m1", 7)) {
		t.Error("Tag is not deterministic")
	}
	tests := []struct {
		name string
		x, y []byte
	}{
		{"another person", a.Tag("m1", 7), a.Tag("m1", 8)},
		{"another key", a.Tag("m1", 7), b.Tag("m1", 7)},
		{"another message: one person's rows on two messages share no value", a.Tag("m1", 7), a.Tag("m2", 7)},
		{"ambiguous concatenation", a.Tag("m", 0x31<<56|7), a.Tag("m1", 7)},
		{"locator of another entry", a.Locator(7, 0), a.Locator(7, 1)},
		{"locator of another person", a.Locator(7, 0), a.Locator(8, 0)},
		{"locator is not a tag", a.Locator(7, 0), a.Tag("", 7)},
		{"pseudonym under another salt", a.Pseudonym([]byte("s1"), 7), a.Pseudonym([]byte("s2"), 7)},
		{"pseudonym of another person", a.Pseudonym([]byte("s1"), 7), a.Pseudonym([]byte("s1"), 8)},
	}
	for _, tt := range tests {
		if bytes.Equal(tt.x, tt.y) {
			t.Errorf("%s: equal values %x", tt.name, tt.x)
		}
	}
}
