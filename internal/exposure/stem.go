package exposure

import (
	"bytes"

	"github.com/cespare/xxhash/v2"
)

// stopwords are English function words, by hash of the normalized form. They
// weigh less in alignment, seed no n-gram on their own and are ignored by
// the sentence comparison of the paraphrase pass.
var stopwords = hashSet(
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
	"as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
	"can", "could", "did", "do", "does", "doing", "down", "during", "each", "even", "ever", "few", "for",
	"from", "further", "had", "has", "have", "having", "he", "he's", "her", "here", "hers", "herself",
	"him", "himself", "his", "how", "however", "i", "i'm", "if", "in", "into", "is", "it", "it's", "its",
	"itself", "just", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "no", "nor",
	"not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
	"over", "own", "same", "shall", "she", "should", "so", "some", "such", "than", "that", "that's",
	"the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
	"through", "thus", "to", "too", "under", "until", "up", "upon", "very", "was", "we", "were", "what",
	"when", "where", "which", "while", "who", "whom", "whose", "why", "will", "with", "within",
	"without", "would", "yet", "you", "your", "yours", "don't", "doesn't", "didn't", "isn't", "aren't",
	"wasn't", "weren't", "won't", "can't", "cannot", "there's", "we're", "they're", "we've", "they've",
	"let", "let's", "via", "per", "among", "amid", "across", "along", "around", "toward", "towards",
	"onto", "whether", "either", "neither", "every", "many", "several", "one", "ones", "already",
	"still", "quite", "rather", "since", "though", "although", "unless", "whereas", "indeed", "s",
)

// stemHash returns the hash of a light English stem of the normalized word
// w: possessives, plural and verb endings (-s, -es, -ies, -ed, -ing), -ly and
// a final -e are removed, so that "warned", "warning" and "warns" agree.
// It is deliberately weak: it must never join words that a reader would
// not.
func stemHash(w []byte) uint64 {
	return xxhash.Sum64(stem(w))
}

func stem(w []byte) []byte {
	w = bytes.TrimSuffix(w, []byte("'s"))
	w = bytes.TrimSuffix(w, []byte("'"))
	if len(w) <= 3 || !isASCIILower(w) {
		return w
	}
	n := len(w)
	has := func(s string) bool { return n > len(s)+1 && string(w[n-len(s):]) == s }
	switch {
	case has("ies") || has("ied"):
		w = append(w[:n-3:n-3], 'y')
	case has("sses"):
		w = w[:n-2]
	case has("ing") && n >= 6:
		w = undouble(w[:n-3])
	case has("ed") && n >= 5:
		w = undouble(w[:n-2])
	case has("ches") || has("shes") || has("xes") || has("zes"):
		w = w[:n-2]
	case has("ly") && n >= 6:
		w = w[:n-2]
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i':
		w = w[:n-1]
	}
	if n := len(w); n >= 5 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

// undouble turns "stopp" into "stop".
func undouble(w []byte) []byte {
	n := len(w)
	if n >= 4 && w[n-1] == w[n-2] {
		switch w[n-1] {
		case 'l', 's', 'z', 'a', 'e', 'i', 'o', 'u':
		default:
			return w[:n-1]
		}
	}
	return w
}

func isASCIILower(w []byte) bool {
	for _, c := range w {
		if c < 'a' || c > 'z' {
			if c != '\'' && c != '-' {
				return false
			}
		}
	}
	return true
}
