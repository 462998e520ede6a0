package web

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// diffOp is one run of a word-level difference: Kind is "eq", "del" or
// "ins", and Text the words (with the spaces between them) of the run.
type diffOp struct {
	Kind, Text string
}

// maxDiffCells bounds the LCS table (about 16 MB of int32). Beyond it, the
// changed middle (after the common beginning and end are taken off) shows
// as one deletion and one insertion.
const maxDiffCells = 4_000_000

// diffWords splits s into words and the runs of white space between them,
// so that joining the tokens gives s back.
func diffWords(s string) []string {
	var out []string
	start := 0
	prevSpace := false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if i > start && sp != prevSpace {
			out = append(out, s[start:i])
			start = i
		}
		prevSpace = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// wordDiff returns the word-level difference from a to b as runs: the
// "eq" and "del" runs join to a, the "eq" and "ins" runs join to b. It uses
// a longest common subsequence of the tokens.
func wordDiff(a, b string) []diffOp {
	if !utf8.ValidString(a) || !utf8.ValidString(b) {
		a, b = strings.ToValidUTF8(a, "\uFFFD"), strings.ToValidUTF8(b, "\uFFFD")
	}
	x, y := diffWords(a), diffWords(b)
	var ops []diffOp
	add := func(kind, text string) {
		if text == "" {
			return
		}
		if n := len(ops); n > 0 && ops[n-1].Kind == kind {
			ops[n-1].Text += text
			return
		}
		ops = append(ops, diffOp{kind, text})
	}
	// The common beginning and end cost nothing.
	p := 0
	for p < len(x) && p < len(y) && x[p] == y[p] {
		p++
	}
	q := 0
	for q < len(x)-p && q < len(y)-p && x[len(x)-1-q] == y[len(y)-1-q] {
		q++
	}
	add("eq", strings.Join(x[:p], ""))
	xm, ym := x[p:len(x)-q], y[p:len(y)-q]
	n, m := len(xm), len(ym)
	if n*m > maxDiffCells {
		add("del", strings.Join(xm, ""))
		add("ins", strings.Join(ym, ""))
	} else if n > 0 || m > 0 {
		// l[i][j] is the LCS length of xm[i:] and ym[j:].
		w := m + 1
		l := make([]int32, (n+1)*w)
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if xm[i] == ym[j] {
					l[i*w+j] = l[(i+1)*w+j+1] + 1
				} else {
					l[i*w+j] = max(l[(i+1)*w+j], l[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n && j < m {
			switch {
			case xm[i] == ym[j]:
				add("eq", xm[i])
				i, j = i+1, j+1
			case l[(i+1)*w+j] >= l[i*w+j+1]:
				add("del", xm[i])
				i++
			default:
				add("ins", ym[j])
				j++
			}
		}
		add("del", strings.Join(xm[i:], ""))
		add("ins", strings.Join(ym[j:], ""))
	}
	add("eq", strings.Join(x[len(x)-q:], ""))
	return tidyDiff(ops)
}

// tidyDiff makes a difference easier to read: a run of white space alone
// between two changes joins them, and each stretch of changes shows as one
// deletion followed by one insertion.
func tidyDiff(ops []diffOp) []diffOp {
	var out []diffOp
	var del, ins strings.Builder
	flush := func() {
		if del.Len() > 0 {
			out = append(out, diffOp{"del", del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, diffOp{"ins", ins.String()})
		}
		del.Reset()
		ins.Reset()
	}
	for i, o := range ops {
		switch {
		case o.Kind == "del":
			del.WriteString(o.Text)
		case o.Kind == "ins":
			ins.WriteString(o.Text)
		case i > 0 && i < len(ops)-1 && strings.TrimSpace(o.Text) == "":
			del.WriteString(o.Text)
			ins.WriteString(o.Text)
		default:
			flush()
			out = append(out, o)
		}
	}
	flush()
	return out
}
