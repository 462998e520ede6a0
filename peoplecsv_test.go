package dissent_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

func TestParsePeopleCSV(t *testing.T) {
	t.Parallel()
	const header = "email,name,org,unit,supervisor,roles\n"
	tests := []struct {
		name, in string
		want     int    // people parsed
		wantErr  string // substring of the error; "" for none
		line     int    // line of the first problem
		field    string // column of the first problem
	}{
		{"ok", header + "A@x.example, Ann ,state,,,employee;officer\nb@x.example,Bo,state,paris,a@x.example,employee\n", 2, "", 0, ""},
		{"bom and order", "\ufeffroles,name,email,org,unit,supervisor\nemployee,Ann,a@x.example,state,,\n", 1, "", 0, ""},
		{"blank line", header + "a@x.example,Ann,state,,,employee\n\n", 1, "", 0, ""},
		{"empty", "", 0, "the file is empty", 1, ""},
		{"no people", header, 0, "no people", 2, ""},
		{"missing column", "email,name,org,unit,supervisor\n", 0, `lacks the column "roles"`, 1, "roles"},
		{"bad role", header + "a@x.example,Ann,state,,,wizard\n", 0, `unknown role "wizard"`, 2, "roles"},
		{"no role", header + "a@x.example,Ann,state,,,\n", 0, "at least one role", 2, "roles"},
		{"bad email", header + "a@x.example,Ann,state,,,employee\nnot-an-address,Bo,state,,,employee\n", 0, "email is not an e-mail address", 3, "email"},
		{"bad org id", header + "a@x.example,Ann,State Dept,,,employee\n", 0, "org must be", 2, "org"},
		{"long name", header + "a@x.example," + strings.Repeat("n", 201) + ",state,,,employee\n", 0, "name must be at most 200", 2, "name"},
		{"control character", header + "a@x.example,A\x01n,state,,,employee\n", 0, "control character", 2, "name"},
		{"bad quote", header + "a@x.example,\"Ann,state,,,employee\n", 0, "line", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dissent.ParsePeopleCSV(strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil || len(got) != tt.want {
					t.Fatalf("ParsePeopleCSV = %d people, %v; want %d, nil", len(got), err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParsePeopleCSV error = %v; want one containing %q", err, tt.wantErr)
			}
			if dissent.ErrorKind(err) != dissent.KindInvalid || got != nil {
				t.Errorf("ParsePeopleCSV = %v, kind %v; want nil and an Invalid error", got, dissent.ErrorKind(err))
			}
			var les dissent.LineErrors
			if !errors.As(err, &les) || len(les) == 0 {
				t.Fatalf("ParsePeopleCSV error %v does not list its lines", err)
			}
			if les[0].Line != tt.line || tt.field != "" && les[0].Field != tt.field {
				t.Errorf("first problem at line %d, field %q; want line %d, field %q", les[0].Line, les[0].Field, tt.line, tt.field)
			}
		})
	}
	// Normalized values.
	got, err := dissent.ParsePeopleCSV(strings.NewReader(header + "A@X.example, Ann ,state,,B@x.example,Officer;employee;officer\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := got[0]; p.Email != "a@x.example" || p.Name != "Ann" || p.Supervisor != "b@x.example" || dissent.NormalizeRoles(p.Roles).String() != "employee;officer" {
		t.Errorf("ParsePeopleCSV = %+v; want a normalized row", p)
	}
}

// TestParsePeopleCSVEveryLine: every bad row is reported, not just the first.
func TestParsePeopleCSVEveryLine(t *testing.T) {
	t.Parallel()
	in := "email,name,org,unit,supervisor,roles\nx,Ann,state,,,employee\nb@x.example,Bo,state,,,employee\nc@x.example,Cy,state,,,boss\n"
	_, err := dissent.ParsePeopleCSV(strings.NewReader(in))
	var les dissent.LineErrors
	if !errors.As(err, &les) {
		t.Fatalf("error %v lists no lines", err)
	}
	var lines []int
	for _, e := range les {
		lines = append(lines, e.Line)
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 4 {
		t.Errorf("problems on lines %v; want [2 4]", lines)
	}
}

func FuzzParsePeopleCSV(f *testing.F) {
	f.Add("email,name,org,unit,supervisor,roles\na@x.example,Ann,state,,,employee\n")
	f.Add("email,name,org,unit,supervisor,roles\n\"a@x.example\",\"A, nn\",state,u,b@x.example,employee;officer\n")
	f.Add("roles\n\"")
	f.Add("\ufeffemail,name,org,unit,supervisor,roles\n,,,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps, lines, err := dissent.ParsePeopleCSVLines(strings.NewReader(in))
		if err != nil {
			if ps != nil || dissent.ErrorKind(err) != dissent.KindInvalid {
				t.Fatalf("error %v with %d people, kind %v", err, len(ps), dissent.ErrorKind(err))
			}
			var les dissent.LineErrors
			if !errors.As(err, &les) || len(les) == 0 || len(les) > dissent.MaxImportErrors+1 {
				t.Fatalf("error %v does not list 1..%d lines", err, dissent.MaxImportErrors)
			}
			return
		}
		if len(ps) == 0 || len(ps) != len(lines) {
			t.Fatalf("%d people, %d lines", len(ps), len(lines))
		}
		for i, p := range ps {
			if p.Email == "" || p.Name == "" || p.OrgID == "" || len(p.Roles) == 0 || lines[i] < 2 {
				t.Fatalf("row %d accepted incomplete: %+v at line %d", i, p, lines[i])
			}
			if _, err := dissent.NormalizeEmail("email", p.Email); err != nil {
				t.Fatalf("accepted a bad e-mail %q", p.Email)
			}
		}
	})
}
