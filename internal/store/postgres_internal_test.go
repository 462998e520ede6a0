package store

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type pgErr struct{ code string }

func (e *pgErr) Error() string    { return "ERROR: something (SQLSTATE " + e.code + ")" }
func (e *pgErr) SQLState() string { return e.code }

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgErr{"40001"}, true},
		{fmt.Errorf("lock message: %w", &pgErr{"40P01"}), true},
		{errors.New("commit: ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)"), true},
		{&pgErr{"23505"}, false},
		{errors.New("boom"), false},
		{errors.New("(SQLSTATE 4"), false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
}

func TestIsUnique(t *testing.T) {
	for _, err := range []error{
		&pgErr{"23505"}, // pgx: ERROR: duplicate key value violates unique constraint "…" (SQLSTATE 23505)
		errors.New("constraint failed: UNIQUE constraint failed: orgs.id (2067)"),
	} {
		if !isUnique(err) {
			t.Errorf("isUnique(%v) = false; want true", err)
		}
	}
	if isUnique(&pgErr{"23503"}) {
		t.Error("isUnique(foreign key violation) = true; want false")
	}
}

// TestMigrationsMirror: every SQLite migration has a PostgreSQL twin with the
// same number and name that makes the same tables, columns and indexes, so
// that the shared SQL finds the same names on both backends.
func TestMigrationsMirror(t *testing.T) {
	files := func(d Dialect) []string {
		es, err := fs.ReadDir(migrations, "migrations/"+string(d))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	lite, pg := files(SQLite), files(Postgres)
	if !slices.Equal(lite, pg) {
		t.Fatalf("migrations/sqlite has %v; migrations/postgres has %v; want the same files", lite, pg)
	}
	for _, name := range lite {
		a, b := schemaNames(t, SQLite, name), schemaNames(t, Postgres, name)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the dialects differ:\nonly in sqlite:   %v\nonly in postgres: %v", name, missing(a, b), missing(b, a))
		}
	}
}

var (
	createTable = regexp.MustCompile(`(?is)CREATE TABLE (\w+) \((.*?)\n\);`)
	addColumn   = regexp.MustCompile(`(?i)ALTER TABLE (\w+) (ADD|DROP) COLUMN (\w+)`)
	createIndex = regexp.MustCompile(`(?i)CREATE (UNIQUE )?INDEX (\w+) ON (\w+)\s*\(([^)]*)\)`)
	dropStmt    = regexp.MustCompile(`(?i)DROP (TABLE|INDEX) (\w+)`)
	sqlComment  = regexp.MustCompile(`--[^\n]*`)
)

// schemaNames lists the tables, columns, indexes and drops a migration names,
// in both its Up and Down parts.
func schemaNames(t *testing.T, d Dialect, name string) []string {
	b, err := fs.ReadFile(migrations, "migrations/"+string(d)+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	src := sqlComment.ReplaceAllString(string(b), "")
	var out []string
	for _, m := range createTable.FindAllStringSubmatch(src, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			f := strings.Fields(strings.TrimSpace(line))
			if len(f) == 0 {
				continue
			}
			switch strings.ToUpper(f[0]) {
			case "PRIMARY", "FOREIGN", "UNIQUE", "CHECK", "CONSTRAINT":
				out = append(out, "table "+m[1]+" "+strings.Join(strings.Fields(strings.TrimRight(strings.TrimSpace(line), ",")), " "))
			default:
				out = append(out, "column "+m[1]+"."+f[0])
			}
		}
	}
	for _, m := range addColumn.FindAllStringSubmatch(src, -1) {
		out = append(out, strings.ToLower(m[2])+" column "+m[1]+"."+m[3])
	}
	for _, m := range createIndex.FindAllStringSubmatch(src, -1) {
		out = append(out, "index "+strings.ToLower(m[1])+m[2]+" on "+m[3]+"("+strings.Join(strings.Fields(m[4]), " ")+")")
	}
	for _, m := range dropStmt.FindAllStringSubmatch(src, -1) {
		out = append(out, "drop "+strings.ToLower(m[1])+" "+m[2])
	}
	slices.Sort(out)
	return out
}

func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
