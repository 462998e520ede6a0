package dissent

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of SPEC §2 and §10. Lengths of text are counted in characters
// (Unicode code points).
const (
	MaxTitle        = 200
	MaxSummary      = 2000
	MaxBody         = 100_000
	MaxReply        = 100_000
	MaxReason       = 2000
	MaxChannel      = 200
	MaxName         = 200
	MaxEmail        = 254
	MaxSigners      = 10_000
	MaxInvitations  = 10_000 // per request
	MaxReplyDays    = 60
	DefaultAckDays  = 2
	DefaultReplyDay = 30
)

// checkText validates a protected text field: valid UTF-8, no control
// characters (newlines and tabs only where multiline), at most limit
// characters, and not empty when required.
func checkText(field, s string, limit int, multiline, required bool) error {
	if !utf8.ValidString(s) {
		return errInvalid(field, "invalid_utf8", "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return errTooLong(field, limit, "characters")
	}
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			if multiline {
				continue
			}
			return errInvalid(field, "control_character", "%s must be a single line", field)
		}
		if unicode.IsControl(r) {
			return errInvalid(field, "control_character", "%s contains a control character (U+%04X)", field, r)
		}
	}
	if required && strings.TrimSpace(s) == "" {
		return errInvalid(field, "required", "%s is required", field)
	}
	return nil
}

// checkLabel validates a short text that names something and is shown
// as its label: a title, or the name of a person, unit or organization.
// On top of checkText (one line, the limit) it must hold a visible
// character when required (not only spaces or zero-width characters), and
// may hold no bidirectional control (U+202A–U+202E, U+2066–U+2069), which
// can make a label display in another order than it reads, as a forged
// name or a title that reverses its meaning would.
func checkLabel(field, s string, limit int, required bool) error {
	if err := checkText(field, s, limit, false, required); err != nil {
		return err
	}
	visible := false
	for _, r := range s {
		if IsBidiControl(r) {
			return errInvalid(field, "bidi_control", "%s contains a bidirectional control character (U+%04X), which can reorder how it displays", field, r)
		}
		if isVisible(r) {
			visible = true
		}
	}
	if required && !visible {
		return errInvalid(field, "required", "%s is required: it must contain a visible character", field)
	}
	return nil
}

// IsBidiControl reports whether r is a bidirectional embedding, override
// or isolate control (U+202A–U+202E, U+2066–U+2069).
func IsBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// isVisible reports whether r draws something: a letter, digit,
// punctuation or symbol, but not the default-ignorable fillers that
// Unicode classes as letters or symbols yet render as nothing.
func isVisible(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, // Hangul fillers
		0x2800,         // braille pattern blank
		0x17B4, 0x17B5, // Khmer inherent vowels
		0x034F: // combining grapheme joiner
		return false
	}
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S)
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s.][^@\s]*$`)

// NormalizeEmail lower-cases and checks an e-mail address.
func NormalizeEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if err := checkText(field, s, MaxEmail, false, true); err != nil {
		return "", err
	}
	if !emailRE.MatchString(s) {
		return "", errInvalid(field, "malformed_email", "%s is not an e-mail address", field)
	}
	return s, nil
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func checkHash(field, s string) error {
	if !hashRE.MatchString(s) {
		return errInvalid(field, "malformed_hash", "%s must be 64 lowercase hexadecimal digits (a SHA-256 hash)", field)
	}
	return nil
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// checkID validates an organization or unit identifier.
func checkID(field, s string) error {
	if !idRE.MatchString(s) {
		return errInvalid(field, "malformed_id", "%s must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit", field)
	}
	return nil
}

// ParseDate parses a civil date YYYY-MM-DD.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errInvalid(field, "malformed_date", "%s must be a date YYYY-MM-DD", field)
	}
	return t, nil
}

func fieldIndex(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// ParseAddressList reads the addresses pasted into a list, in any of the
// usual shapes: "Name <address>; Name <address>" as Outlook copies them,
// "\"Doe, Jane\" <address>", or bare addresses separated by commas,
// semicolons, spaces or new lines. It returns the good addresses,
// normalized, without repeats, in their order; and, when any entry is not
// an address, an error naming every bad entry at once (the good ones are
// still returned, so a form can keep them).
func ParseAddressList(field string, entries []string) ([]string, error) {
	var good, bad []string
	seen := map[string]bool{}
	for _, e := range entries {
		for _, piece := range splitAddresses(e) {
			addr := piece
			if i := strings.LastIndexByte(piece, '<'); i >= 0 {
				if j := strings.IndexByte(piece[i:], '>'); j > 0 {
					addr = piece[i+1 : i+j]
				}
			}
			n, err := NormalizeEmail(field, addr)
			if err != nil {
				bad = append(bad, piece)
				continue
			}
			if !seen[n] {
				seen[n] = true
				good = append(good, n)
			}
		}
	}
	if len(bad) == 0 {
		return good, nil
	}
	quoted := make([]string, len(bad))
	for i, b := range bad {
		if r := []rune(b); len(r) > 60 {
			b = string(r[:60]) + "…"
		}
		quoted[i] = strconv.Quote(b)
	}
	what := "This entry is not an e-mail address: "
	if len(bad) > 1 {
		what = "These " + strconv.Itoa(len(bad)) + " entries are not e-mail addresses: "
	}
	msg := what + strings.Join(quoted, ", ") + "."
	if len(good) > 0 {
		msg += " The other " + strconv.Itoa(len(good)) + " are kept; correct the rest and send again."
	}
	return good, &Error{Kind: KindInvalid, Code: "malformed_email", Field: field, Message: msg}
}

// splitAddresses cuts one pasted entry into its addresses: separators
// outside quotes and angle brackets split it; a piece with no "@" before
// a "Name <address>" piece is the first half of a name with a comma in it
// ("Doe, Jane <jane@…>") and is joined to it; spaces separate only bare
// addresses.
func splitAddresses(s string) []string {
	var raw []string
	var b strings.Builder
	quoted, angle := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '<' && !quoted:
			angle = true
		case r == '>' && !quoted:
			angle = false
		}
		if !quoted && !angle && (r == ',' || r == ';' || r == '\n' || r == '\r') {
			raw = append(raw, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	raw = append(raw, b.String())
	var out []string
	for i := 0; i < len(raw); i++ {
		p := strings.TrimSpace(raw[i])
		if p == "" {
			continue
		}
		if !strings.Contains(p, "@") && i+1 < len(raw) && strings.Contains(raw[i+1], "<") {
			raw[i+1] = p + ", " + strings.TrimSpace(raw[i+1])
			continue
		}
		if strings.Contains(p, "<") {
			out = append(out, p)
			continue
		}
		out = append(out, strings.Fields(p)...)
	}
	return out
}
