package web

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// checkJSON refuses, in a JSON text that encoding/json has already
// decoded, what that decoder lets through: an object that names a member
// twice (encoding/json keeps the last, and matches names without regard to
// case, so "title" and "Title" are the same), and an escaped lone surrogate
// (\ud800 without its pair), which it turns into U+FFFD. The error names
// the member the problem is in (or "body").
func checkJSON(b []byte) error {
	w := jsonWalker{b: b}
	w.value("body")
	return w.err
}

type jsonWalker struct {
	b   []byte
	i   int
	err error
}

func (w *jsonWalker) space() {
	for w.i < len(w.b) && (w.b[w.i] == ' ' || w.b[w.i] == '\t' || w.b[w.i] == '\n' || w.b[w.i] == '\r') {
		w.i++
	}
}

// value walks one value; field names where it sits.
func (w *jsonWalker) value(field string) {
	w.space()
	if w.err != nil || w.i >= len(w.b) {
		return
	}
	switch w.b[w.i] {
	case '{':
		w.i++
		seen := map[string]bool{}
		for w.err == nil {
			w.space()
			if w.i >= len(w.b) || w.b[w.i] == '}' {
				w.i++
				return
			}
			if w.b[w.i] == ',' {
				w.i++
				continue
			}
			raw := w.str(field)
			var name string
			if w.err != nil || json.Unmarshal(raw, &name) != nil {
				return
			}
			key := strings.ToLower(name)
			if seen[key] {
				w.err = &dissent.Error{Kind: dissent.KindInvalid, Code: "duplicate_key", Field: name,
					Message: strconv.Quote(name) + " appears more than once in one object"}
				return
			}
			seen[key] = true
			w.space()
			if w.i < len(w.b) && w.b[w.i] == ':' {
				w.i++
			}
			w.value(name)
		}
	case '[':
		w.i++
		for n := 0; w.err == nil; {
			w.space()
			if w.i >= len(w.b) || w.b[w.i] == ']' {
				w.i++
				return
			}
			if w.b[w.i] == ',' {
				w.i++
				n++
				continue
			}
			w.value(field + "[" + strconv.Itoa(n) + "]")
		}
	case '"':
		w.str(field)
	default: // number, true, false, null
		for w.i < len(w.b) && !strings.ContainsRune(",]} \t\r\n", rune(w.b[w.i])) {
			w.i++
		}
	}
}

// str walks a string and returns it raw, quotes included, after checking
// its \u escapes pair their surrogates.
func (w *jsonWalker) str(field string) []byte {
	start := w.i
	w.i++ // the opening quote
	pendingHigh := false
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch {
		case c == '"':
			w.i++
			if pendingHigh {
				w.lone(field)
			}
			return w.b[start:w.i]
		case c == '\\' && w.i+1 < len(w.b) && w.b[w.i+1] == 'u' && w.i+6 <= len(w.b):
			v, err := strconv.ParseUint(string(w.b[w.i+2:w.i+6]), 16, 16)
			if err != nil {
				w.i += 2
				continue
			}
			w.i += 6
			switch {
			case v >= 0xD800 && v <= 0xDBFF:
				if pendingHigh {
					w.lone(field)
					return nil
				}
				pendingHigh = true
			case v >= 0xDC00 && v <= 0xDFFF:
				if !pendingHigh {
					w.lone(field)
					return nil
				}
				pendingHigh = false
			default:
				if pendingHigh {
					w.lone(field)
					return nil
				}
			}
			continue
		case c == '\\':
			w.i += 2
		default:
			w.i++
		}
		if pendingHigh {
			w.lone(field)
			return nil
		}
	}
	return w.b[start:]
}

func (w *jsonWalker) lone(field string) {
	w.err = &dissent.Error{Kind: dissent.KindInvalid, Code: "lone_surrogate", Field: field,
		Message: field + " contains an escaped lone surrogate (\\ud800–\\udfff without its pair), which is not a character"}
}
