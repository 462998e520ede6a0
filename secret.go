package dissent

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Text holds protected content: titles, summaries, bodies, replies, reviewer
// input, signer names. Its String, Format, GoString and LogValue print
// "[redacted]", so that it cannot reach a log or an error message by
// accident; code that must show it calls Reveal, and every such call site is
// one the authorization policy has already approved.
type Text struct{ s string }

// NewText wraps s.
func NewText(s string) Text { return Text{s} }

// Reveal returns the protected string.
func (t Text) Reveal() string { return t.s }

// Len is the length in bytes.
func (t Text) Len() int { return len(t.s) }

func (Text) String() string                 { return redacted }
func (Text) GoString() string               { return redacted }
func (Text) LogValue() slog.Value           { return slog.StringValue(redacted) }
func (Text) Format(f fmt.State, verb rune)  { _, _ = f.Write([]byte(redacted)) }
func (t Text) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Secret holds a credential (a bearer token, a sign-in link secret). It
// prints as "[redacted]" like Text.
type Secret struct{ s string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{s} }

// Reveal returns the credential.
func (s Secret) Reveal() string { return s.s }

func (Secret) String() string                 { return redacted }
func (Secret) GoString() string               { return redacted }
func (Secret) LogValue() slog.Value           { return slog.StringValue(redacted) }
func (Secret) Format(f fmt.State, verb rune)  { _, _ = f.Write([]byte(redacted)) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
