package dissent

import (
	"strconv"
	"unicode/utf8"
)

// ParseCanonicalEntry is the fast path for reading an entry's payload (the
// log's Verify, and the store when it lists events). It accepts only the
// exact bytes json.Marshal writes for an EntryRecord: its fields in
// declaration order, the omitempty ones absent exactly when empty, no space,
// integers without leading zeros, and every string escaped as encoding/json
// escapes it (HTML-safe). Such a payload is the canonical encoding of the
// record returned, so the strict decode would give the same record and it
// cannot hold a key twice or an unknown field. Anything else returns false,
// and the caller falls back to the strict decode, which accepts and refuses
// exactly as before. FuzzParseCanonical (internal/auditlog) checks both
// halves of this claim.
func ParseCanonicalEntry(b []byte) (EntryRecord, bool) {
	p := canonParser{b: b}
	var r EntryRecord
	if !p.lit(`{"v":`) {
		return r, false
	}
	v, ok := p.int()
	if !ok || v != int64(int(v)) {
		return r, false
	}
	r.V = int(v)
	if !p.lit(`,"at":`) {
		return r, false
	}
	if r.At, ok = p.str(); !ok {
		return r, false
	}
	if !p.lit(`,"kind":`) {
		return r, false
	}
	if r.Kind, ok = p.str(); !ok {
		return r, false
	}
	// The omitempty fields, each present only when not empty.
	for _, f := range []struct {
		key string
		dst *string
	}{{`,"message":`, &r.Message}, {`,"role":`, &r.Role}} {
		if p.lit(f.key) {
			if *f.dst, ok = p.str(); !ok || *f.dst == "" {
				return r, false
			}
		}
	}
	if p.lit(`,"actor":`) {
		if r.Actor, ok = p.int(); !ok || r.Actor == 0 {
			return r, false
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{`,"actor_commit":`, &r.ActorCommit}, {`,"detail":`, &r.Detail}} {
		if p.lit(f.key) {
			if *f.dst, ok = p.str(); !ok || *f.dst == "" {
				return r, false
			}
		}
	}
	if p.lit(`,"rows":[`) {
		for {
			var d RowDigest
			if !p.lit(`{"t":`) {
				return r, false
			}
			if d.Table, ok = p.str(); !ok || !p.lit(`,"k":`) {
				return r, false
			}
			if d.Key, ok = p.str(); !ok || !p.lit(`,"d":`) {
				return r, false
			}
			if d.Digest, ok = p.str(); !ok || !p.lit(`}`) {
				return r, false
			}
			r.Rows = append(r.Rows, d)
			if p.lit(`]`) {
				break
			}
			if !p.lit(`,`) {
				return r, false
			}
		}
	}
	if !p.lit(`}`) || p.i != len(b) {
		return r, false
	}
	return r, true
}

type canonParser struct {
	b []byte
	i int
}

// lit consumes s if the input continues with it.
func (p *canonParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// int consumes an integer as strconv.FormatInt writes it.
func (p *canonParser) int() (int64, bool) {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	switch {
	case p.i == digits:
		return 0, false
	case p.b[digits] == '0' && (p.i-digits > 1 || digits > start): // 01, -0
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	return n, err == nil
}

// str consumes a string as encoding/json writes it (HTML-safe escaping).
func (p *canonParser) str() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	p.i++
	start := p.i
	var out []byte // nil until the first escape
	for p.i < len(p.b) {
		// Runs of printable ASCII that encoding/json writes as they are.
		for p.i < len(p.b) && canonPlain[p.b[p.i]] {
			p.i++
		}
		if p.i == len(p.b) {
			break
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if out != nil {
				return string(append(out, s...)), true
			}
			return string(s), true
		case c == '\\':
			out = append(out, p.b[start:p.i]...)
			r, n := canonEscape(p.b[p.i:])
			if n == 0 {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			p.i += n
			start = p.i
		case c < utf8.RuneSelf:
			if c < 0x20 || c == '<' || c == '>' || c == '&' {
				return "", false // encoding/json escapes these
			}
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if (r == utf8.RuneError && n == 1) || r == '\u2028' || r == '\u2029' {
				return "", false // escaped, or written as \ufffd
			}
			p.i += n
		}
	}
	return "", false
}

// canonPlain marks the bytes a JSON string of encoding/json's holds as they
// are: printable ASCII but for the quote, the backslash and the HTML-escaped
// <, > and &.
var canonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// canonEscape reads an escape sequence that encoding/json writes, and
// returns the rune and its length, or 0 for any other.
func canonEscape(b []byte) (rune, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
	default:
		return 0, 0
	}
	if len(b) < 6 {
		return 0, 0
	}
	var v rune
	for _, h := range b[2:6] {
		switch {
		case h >= '0' && h <= '9':
			v = v<<4 | rune(h-'0')
		case h >= 'a' && h <= 'f':
			v = v<<4 | rune(h-'a'+10)
		default:
			return 0, 0 // encoding/json writes lower-case hex
		}
	}
	switch {
	case v < 0x20 && v != '\b' && v != '\f' && v != '\n' && v != '\r' && v != '\t':
	case v == '<' || v == '>' || v == '&' || v == '\u2028' || v == '\u2029':
	default:
		return 0, 0
	}
	return v, 6
}
