package web_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Errors on a page (issue 13) start with a capital and appear once. The
// pattern: an error about one field is shown beside the field; the top of
// the page then holds a summary sentence pointing to it, never the same
// message again. An error about no field is shown at the top only.

// shownErrorRE finds every error a page shows: the page's (layout.html,
// id="error") and those beside fields (class="field-error").
var shownErrorRE = regexp.MustCompile(`<p class="error" role="alert" id="error">([^<]*)</p>|<span class="field-error"[^>]*>([^<]*)</span>`)

// shownErrors lists the errors a page shows, unescaped.
func shownErrors(body string) []string {
	var out []string
	for _, m := range shownErrorRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]+m[2]))
	}
	return out
}

// errorsShownWrong says what is wrong with the errors a page shows: one
// that does not start with a capital (or a digit), or one shown twice.
func errorsShownWrong(body string) []string {
	var bad []string
	seen := map[string]bool{}
	for _, e := range shownErrors(body) {
		r, _ := utf8.DecodeRuneInString(strings.TrimSpace(e))
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
			bad = append(bad, "does not start with a capital: "+e)
		}
		if seen[e] {
			bad = append(bad, "shown twice: "+e)
		}
		seen[e] = true
	}
	return bad
}

// checkErrorsShown fails the test when a page's errors are wrong.
func checkErrorsShown(t *testing.T, what, body string) {
	t.Helper()
	for _, b := range errorsShownWrong(body) {
		t.Errorf("%s: an error %s", what, b)
	}
}

// TestErrorsShownCheckFails: the check above finds what it looks for.
func TestErrorsShownCheckFails(t *testing.T) {
	cases := []struct {
		body string
		bad  int
	}{
		{`<p class="error" role="alert" id="error">Title must be at most 200 characters</p>`, 0},
		{`<p class="error" role="alert" id="error">title must be at most 200 characters</p>`, 1},
		{`<span class="field-error" id="t-err" role="alert">no person &#34;x&#34;</span>`, 1},
		{`<p class="error" role="alert" id="error">No person</p><span class="field-error" role="alert">No person</span>`, 1},
		{`<p class="error" role="alert" id="error">The form was not accepted: see the message beside the field.</p><span class="field-error" role="alert">No person</span>`, 0},
	}
	for _, c := range cases {
		if got := errorsShownWrong(c.body); len(got) != c.bad {
			t.Errorf("errorsShownWrong(%s) = %q; want %d", c.body, got, c.bad)
		}
	}
}
