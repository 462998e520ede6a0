package web

import "testing"

func TestErrorSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"title is required", "Title is required"},
		{"feed_url must be an http or https address", "Feed url must be an http or https address"},
		{"reply_days must be at most 60", "Reply days must be at most 60"},
		{"The form was not accepted.", "The form was not accepted."},
		{"émile@example.org is deactivated", "Émile@example.org is deactivated"},
		{"", ""},
		{"x_y", "X_y"}, // one word: no field name followed by a sentence
	} {
		if got := errorSentence(tc.in); got != tc.want {
			t.Errorf("errorSentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
