package dissent

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// PeopleCSVColumns are the columns of the import format (SPEC §8), in
// any order; roles are separated by ";".
var PeopleCSVColumns = []string{"email", "name", "org", "unit", "supervisor", "roles"}

// Limits of an import.
const (
	MaxImportRows   = 1_000_000
	MaxImportErrors = 100 // problems reported at most; the rest are counted
)

// LineError is one problem in an import file: the line (1-based, the
// header is line 1) and the column it is in.
type LineError struct {
	Line    int
	Field   string
	Message string
}

// LineErrors are all the problems found in an import file.
type LineErrors []LineError

func (es LineErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.String())
	}
	return b.String()
}

func (e LineError) String() string {
	s := "line " + strconv.Itoa(e.Line)
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Message
}

// ParsePeopleCSV reads the import format. It checks every row and reports
// every problem it finds (up to MaxImportErrors) as an *Error of
// KindInvalid that wraps LineErrors, each naming the line and the column.
// It checks what a row alone can tell (addresses, names, roles);
// AddPeople checks the rest (organizations, units, supervisors) and adds
// all or none.
func ParsePeopleCSV(r io.Reader) ([]PersonInput, error) {
	ps, _, err := ParsePeopleCSVLines(r)
	return ps, err
}

// ParsePeopleCSVLines is ParsePeopleCSV that also returns the line each
// person came from, so that a later error about people[i] can name it.
func ParsePeopleCSVLines(r io.Reader) ([]PersonInput, []int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(string(first))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	bad := func(es LineErrors) error { return errImport(es) }
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, bad(LineErrors{{Line: 1, Message: "the file is empty; want a header " + strings.Join(PeopleCSVColumns, ",")}})
	}
	if err != nil {
		return nil, nil, bad(LineErrors{csvLineError(err, 1)})
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	for _, c := range PeopleCSVColumns {
		if _, ok := col[c]; !ok {
			return nil, nil, bad(LineErrors{{Line: 1, Field: c, Message: "header lacks the column \"" + c + "\" (want " + strings.Join(PeopleCSVColumns, ",") +
				", separated by commas, semicolons or tabs; this header read as " + strconv.Itoa(len(header)) + " column(s) separated by " + delimiterName(cr.Comma) + ")"}})
		}
	}
	var out []PersonInput
	var lines []int
	var errs LineErrors
	for len(errs) < MaxImportErrors {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// FieldPos is defined only after a successful Read.
			errs = append(errs, csvLineError(err, 0))
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			break // a malformed quote: the rest cannot be trusted
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		p := PersonInput{Email: get("email"), Name: get("name"), OrgID: get("org"), UnitID: get("unit"), Supervisor: get("supervisor")}
		fail := func(err error) {
			e := AsError(err)
			errs = append(errs, LineError{Line: line, Field: e.Field, Message: e.Message})
		}
		var ok = true
		if p.Email, err = NormalizeEmail("email", p.Email); err != nil {
			fail(err)
			ok = false
		}
		if err := checkLabel("name", p.Name, MaxName, true); err != nil {
			fail(err)
			ok = false
		}
		if err := checkID("org", p.OrgID); err != nil {
			fail(err)
			ok = false
		}
		if p.UnitID != "" {
			if err := checkID("unit", p.UnitID); err != nil {
				fail(err)
				ok = false
			}
		}
		if p.Supervisor != "" {
			if p.Supervisor, err = NormalizeEmail("supervisor", p.Supervisor); err != nil {
				fail(err)
				ok = false
			}
		}
		for _, part := range strings.FieldsFunc(get("roles"), func(r rune) bool { return r == ';' || r == ',' || r == '|' }) {
			if strings.TrimSpace(part) == "" {
				continue
			}
			r, err := ParseRole(part)
			if err != nil {
				fail(&Error{Field: "roles", Message: AsError(err).Message})
				ok = false
				continue
			}
			p.Roles = append(p.Roles, r)
		}
		if len(p.Roles) == 0 && ok {
			fail(&Error{Field: "roles", Message: "at least one role is required"})
			ok = false
		}
		if ok {
			out = append(out, p)
			lines = append(lines, line)
		}
		if len(out) > MaxImportRows {
			errs = append(errs, LineError{Line: line, Message: "more than " + strconv.Itoa(MaxImportRows) + " rows; split the file"})
			break
		}
	}
	if len(errs) > 0 {
		return nil, nil, bad(errs)
	}
	if len(out) == 0 {
		return nil, nil, bad(LineErrors{{Line: 2, Message: "no people in the file"}})
	}
	return out, lines, nil
}

func csvLineError(err error, line int) LineError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return LineError{Line: pe.Line, Message: pe.Err.Error()}
	}
	return LineError{Line: line, Message: "the file could not be read"}
}

// sniffDelimiter picks the delimiter of a header line: the one of comma,
// semicolon and tab that splits it into the most of the known columns
// (a spreadsheet saved in a European locale separates with semicolons).
func sniffDelimiter(header string) rune {
	best, most := ',', -1
	for _, d := range []rune{',', ';', '\t'} {
		n := 0
		for _, f := range strings.Split(header, string(d)) {
			f = strings.ToLower(strings.Trim(strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")), `"`))
			if slices.Contains(PeopleCSVColumns, f) {
				n++
			}
		}
		if n > most {
			best, most = d, n
		}
	}
	return best
}

func delimiterName(d rune) string {
	switch d {
	case ';':
		return "semicolons"
	case '\t':
		return "tabs"
	}
	return "commas"
}
