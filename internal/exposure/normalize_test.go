package exposure

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string // word@original text
	}{
		{"plain", "The Cable said", []string{"the@The", "cable@Cable", "said@said"}},
		{"case folding and sharp s", "STRASSE Straße", []string{"strasse@STRASSE", "strasse@Straße"}},
		{"ligature and full width", "ﬁnance ＰＬＡＮ", []string{"finance@ﬁnance", "plan@ＰＬＡＮ"}},
		{"combining accent joins its letter", "re\u0301fugie\u0301s", []string{"réfugiés@re\u0301fugie\u0301s"}},
		{"curly and straight apostrophes agree", "don’t don't donʼt", []string{"don't@don’t", "don't@don't", "don't@donʼt"}},
		{"quotation marks separate", "“word” «mot» „Wort“ 'word'", []string{"word@word", "mot@mot", "wort@Wort", "word@word"}},
		{"dashes separate", "long-term long–term long—term", []string{"long@long", "term@term", "long@long", "term@term", "long@long", "term@term"}},
		{"brackets inside a word", "[T]he member(s)", []string{"the@[T]he", "members@member(s)"}},
		{"free-standing brackets are words", "it [the program] ended", []string{"it@it", "the@the", "program@program", "ended@ended"}},
		{"numbers keep separators", "14,000 cases, 3.5 percent", []string{"14,000@14,000", "cases@cases", "3.5@3.5", "percent@percent"}},
		{"abbreviations", "the U.S. embassy", []string{"the@the", "u.s@U.S", "embassy@embassy"}},
		{"invalid UTF-8 separates", "abc\xffdef", []string{"abc@abc", "def@def"}},
		{"ellipsis is no word", "one … two ... three", []string{"one@one", "two@two", "three@three"}},
		{"greek final sigma", "ΟΔΟΣ", []string{"οδοσ@ΟΔΟΣ"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tok := range Normalize([]byte(tt.text)) {
				got = append(got, tok.Word+"@"+tt.text[tok.Start:tok.End])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestTokenizeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string // word/flags of each token
	}{
		{"He [the Secretary] left", "he/^ the/K secretary/K left/G"},
		{"It (which began in 2019) failed", "it/^ which/K began/K in/K 2019/K failed/G"},
		{"one … two", "one/^ two/C"},
		{"one ... two", "one/^ two/C"},
		{"one . . . two", "one/^ two/C"},
		{"one […] two", "one/^ two/CG"},
		{"[T]he end", "the/^I end"},
		{`They said "we will never leave" and left`, "they/^ said we/Q will/Q never/Q leave/Q and left"},
		{"“Quoted words here” then not", "quoted/^Q words/Q here/Q then not"},
		{"the officers' union and ‘scare’ quotes", "the/^ officers union and scare/Q quotes"},
		{"First one. Second one! Third? Mr. Smith stays.", "first/^ one second/s one third/s mr/s smith/N stays"},
		{"Para one.\n\nPara two", "para/^ one para/^ two"},
		{"the Bureau of Population, Refugees, and Migration said", "the/^ bureau of/N population/N refugees/N and/N migration/N said"},
	}
	for _, tt := range tests {
		var tz tokenizer
		toks := tz.tokenize([]byte(tt.text), true)
		var got []string
		for i, tok := range toks {
			got = append(got, tz.words[i]+flagString(tok.flags&^(fStop|fCap)))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("tokenize(%q) = %s; want %s", tt.text, g, tt.want)
		}
	}
}

// flagString shows token flags compactly: K skip, Q quote, C cut, G group,
// I in-word brackets, P public, ^ paragraph start, s sentence start, N name.
func flagString(f uint16) string {
	var b strings.Builder
	if f&fParagraph != 0 {
		b.WriteByte('^')
		f &^= fSentence
	}
	for _, x := range []struct {
		f uint16
		c byte
	}{{fSkip, 'K'}, {fQuote, 'Q'}, {fCut, 'C'}, {fGroup, 'G'}, {fInWord, 'I'}, {fPublic, 'P'}, {fSentence, 's'}, {fNameCont, 'N'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "/" + b.String()
}

func TestStem(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"warned", "warning"}, {"warns", "warn"}, {"policies", "policy"}, {"argued", "argues"},
		{"stopped", "stop"}, {"department's", "department"}, {"officers'", "officers"}, {"boxes", "box"},
		{"processes", "process"}, {"quickly", "quick"},
	}
	for _, tt := range tests {
		if a, b := string(stem([]byte(tt.a))), string(stem([]byte(tt.b))); a != b {
			t.Errorf("stem(%q) = %q, stem(%q) = %q; want equal", tt.a, a, tt.b, b)
		}
	}
	different := []struct{ a, b string }{{"policy", "police"}, {"us", "u"}, {"is", "i"}}
	for _, tt := range different {
		if a, b := string(stem([]byte(tt.a))), string(stem([]byte(tt.b))); a == b {
			t.Errorf("stem(%q) = stem(%q) = %q; want different", tt.a, tt.b, a)
		}
	}
}

// checkTokens verifies the invariants of tokens of text: spans inside the
// text, non-empty, strictly increasing, on rune boundaries, non-empty words.
func checkTokens(text []byte, toks []Token) error {
	prev := 0
	for i, tok := range toks {
		if tok.Start < prev || tok.End <= tok.Start || tok.End > len(text) {
			return fmt.Errorf("token %d %q: span [%d,%d) after %d in %d bytes", i, tok.Word, tok.Start, tok.End, prev, len(text))
		}
		if tok.Word == "" {
			return fmt.Errorf("token %d: empty word", i)
		}
		if !utf8.RuneStart(text[tok.Start]) && utf8.Valid(text) {
			return fmt.Errorf("token %d: starts inside a rune", i)
		}
		prev = tok.End
	}
	return nil
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "The Cable", "re\u0301fugie\u0301s", "ﬁ", "[T]he member(s)", "one … two", "“quote” «x»",
		"abc\xffdef", "½ ¼", "ǅ", "U.S.", "(((a)))", "[a [b] c]", "a\u0301\u0302\u0303\u0304", "ß", "İstanbul",
		"\u00a0word\u2028line", "x" + strings.Repeat("\u0301", 40),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if err := checkTokens(text, Normalize(text)); err != nil {
			t.Fatalf("Normalize(%q): %v", text, err)
		}
	})
}
