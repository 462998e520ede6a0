package dissent

import (
	"strconv"
	"strings"
)

// Limits on the shape of Markdown that the pages render (bodies, replies,
// consultation input, endorsements). goldmark, the renderer, takes time
// quadratic in the nesting of block quotes and lists and, within one paragraph, in the
// number of unclosed link, image, emphasis and inline-HTML openers times the
// paragraph's length: a 100,000-character body of "> " or "[a](" cost 15 s
// of CPU per view. Text within these limits renders in well under 100 ms
// (TestMarkdownPathological in internal/web, docs/BENCHMARKS.md).
const (
	// MaxMarkdownNesting bounds how deeply block quotes and lists nest on
	// one line (">", "-", "*", "+" and "1." or "1)" markers at its start).
	MaxMarkdownNesting = 32
	// MaxMarkdownWork bounds the sum, over the paragraphs outside fenced
	// code blocks, of a paragraph's length in bytes times the number of
	// markup openers in it ("[", "<", "*", "_", "!", "`", "~", and "](",
	// which counts four times: an unclosed link destination is the
	// costliest).
	MaxMarkdownWork = 4_000_000
)

// CheckMarkdown refuses Markdown whose shape the renderer cannot handle in
// about linear time, naming the field, the line and the limit.
func CheckMarkdown(field, s string) error {
	work := 0
	para, openers := 0, 0
	endPara := func() {
		work += para * openers
		para, openers = 0, 0
	}
	fence := ""
	for n, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			endPara()
			fence = trimmed[:3]
			continue
		}
		depth := nesting(trimmed)
		if depth > MaxMarkdownNesting {
			return &Error{Kind: KindInvalid, Code: "markdown_too_deep", Field: field, Limit: MaxMarkdownNesting,
				Message: field + ": block quotes and lists nest more than " + strconv.Itoa(MaxMarkdownNesting) + " deep (line " + strconv.Itoa(n+1) + ")"}
		}
		if strings.TrimSpace(strings.TrimLeft(trimmed, "> \t")) == "" {
			endPara()
			continue
		}
		para += len(line) + 1
		openers += strings.Count(line, "](")*3 + strings.Count(line, "[") + strings.Count(line, "<") + strings.Count(line, "*") +
			strings.Count(line, "_") + strings.Count(line, "!") + strings.Count(line, "`") + strings.Count(line, "~")
		if work+para*openers > MaxMarkdownWork {
			return &Error{Kind: KindInvalid, Code: "markdown_too_complex", Field: field, Limit: MaxMarkdownWork,
				Message: field + ": too much link, emphasis or bracket markup for the paragraphs it is in (by line " + strconv.Itoa(n+1) +
					"); break long paragraphs up or use less markup (limit: paragraph length × markup characters, summed, at most " + strconv.Itoa(MaxMarkdownWork) + ")"}
		}
	}
	return nil
}

// checkMarkdownText is checkText for a multiline text the pages render as
// Markdown, with CheckMarkdown's limits on its shape.
func checkMarkdownText(field, s string, limit int, required bool) error {
	if err := checkText(field, s, limit, true, required); err != nil {
		return err
	}
	return CheckMarkdown(field, s)
}

// nesting counts the container markers a line opens with: block quotes,
// bullets and ordered-list numbers, each followed by a space.
func nesting(line string) int {
	depth := 0
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '>':
			depth++
			i++
		case (c == '-' || c == '*' || c == '+') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
			depth++
			i += 2
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j+1 < len(line) && (line[j] == '.' || line[j] == ')') && (line[j+1] == ' ' || line[j+1] == '\t') {
				depth++
				i = j + 2
				continue
			}
			return depth
		default:
			return depth
		}
	}
	return depth
}
