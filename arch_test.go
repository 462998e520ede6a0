package dissent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// TestDependencyRules checks the layout rules of STYLE.md with go list: the
// domain imports only the standard library; only internal/store speaks SQL;
// web reaches the state only through the Service; internal packages do not
// import each other, except web → auth and the test helpers; only
// cmd/dissent links a database driver.
func TestDependencyRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/dissent-channel/dissent"
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		for _, imp := range p.Imports {
			isOurs := strings.HasPrefix(imp, mod)
			switch {
			case rel == "" && isOurs, rel == "" && !isStd(imp):
				t.Errorf("the domain package imports %s; it may import only the standard library", imp)
			case imp == "database/sql" && rel != "internal/store" && !strings.HasPrefix(rel, "bench/"):
				t.Errorf("%s imports database/sql; only internal/store may", p.ImportPath)
			case isDriver(imp) && rel != "cmd/dissent" && !strings.HasSuffix(rel, "test") && !strings.HasPrefix(rel, "bench/"):
				t.Errorf("%s links the database driver %s; only cmd/dissent may", p.ImportPath, imp)
			case strings.HasPrefix(rel, "internal/") && strings.HasPrefix(imp, mod+"/internal/"):
				from, to := internalName(rel), internalName(strings.TrimPrefix(imp, mod+"/"))
				if from != to && !allowedInternal(from, to) {
					t.Errorf("%s imports %s; internal packages do not import each other", p.ImportPath, imp)
				}
			}
		}
		if rel == "internal/web" {
			for _, d := range p.Deps {
				for _, banned := range []string{"/internal/store", "/internal/seal", "/internal/auditlog", "database/sql"} {
					if d == mod+banned || d == banned {
						t.Errorf("internal/web depends on %s; it must reach state only through *dissent.Service", d)
					}
				}
			}
		}
	}
	if seen < 5 {
		t.Fatalf("go list listed %d packages; the test is not looking at the module", seen)
	}
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func isDriver(path string) bool {
	return path == "modernc.org/sqlite" || strings.HasPrefix(path, "github.com/jackc/pgx")
}

// internalName is the top package under internal/ ("store" for
// internal/store/storetest).
func internalName(rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) < 2 {
		return rel
	}
	return parts[1]
}

func allowedInternal(from, to string) bool {
	if from == "web" && to == "auth" {
		return true
	}
	// Test helpers wire real parts together.
	return strings.HasSuffix(from, "test") || slices.Contains([]string{"servicetest"}, from)
}

// roleChecks lists, as file:line, every line of the .go files under root
// that tests a set of roles (Roles.Has, or .Has of a Role constant) outside
// the policy: root policy.go and test files are the only places allowed.
func roleChecks(t *testing.T, root string) []string {
	t.Helper()
	re := regexp.MustCompile(`Roles\.Has\(|\.Has\((dissent\.)?Role[A-Z]`)
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || rel == "policy.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if re.MatchString(line) {
				found = append(found, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), i+1, strings.TrimSpace(line)))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestNoRoleChecksOutsidePolicy: authorization is decided in policy.go
// only (Decide, May, permit, and the predicates on another person's
// eligibility); nowhere else does code test what roles someone holds.
// The second half shows that the check finds a role test it must refuse.
func TestNoRoleChecksOutsidePolicy(t *testing.T) {
	t.Parallel()
	for _, f := range roleChecks(t, ".") {
		t.Errorf("a role check outside policy.go (ask Decide, May or a predicate of policy.go): %s", f)
	}

	dir := t.TempDir()
	plant := map[string]string{
		"policy.go":             "package x\nfunc ok(a A) bool { return a.Roles.Has(RoleAdmin) }\n",
		"x_test.go":             "package x\nfunc ok2(a A) bool { return a.Roles.Has(RoleAdmin) }\n",
		"admin.go":              "package x\n\nfunc bad(a A) bool { return a.Roles.Has(RoleAdmin) }\n",
		"internal/web/page.go":  "package web\nfunc bad(rs dissent.Roles) bool { return rs.Has(dissent.RoleOfficer) }\n",
		"internal/web/other.go": "package web\nfunc bad(p dissent.Person) bool { return p.Roles.Has(r) }\n",
		"testdata/x.go":         "package x\nfunc skipped(a A) bool { return a.Roles.Has(RoleAdmin) }\n",
	}
	for name, src := range plant {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := roleChecks(t, dir)
	slices.Sort(got)
	want := []string{
		"admin.go:3: func bad(a A) bool { return a.Roles.Has(RoleAdmin) }",
		"internal/web/other.go:2: func bad(p dissent.Person) bool { return p.Roles.Has(r) }",
		"internal/web/page.go:2: func bad(rs dissent.Roles) bool { return rs.Has(dissent.RoleOfficer) }",
	}
	if !slices.Equal(got, want) {
		t.Errorf("roleChecks on planted files = %q; want %q", got, want)
	}
}

// docFileRE finds a Go file named in the docs: `internal/web/page_read.go`,
// `author.go`, or a bare author.go in prose.
var docFileRE = regexp.MustCompile("(?:^|[\\s`(/])((?:[a-z0-9_]+/)*[a-z0-9_]+\\.go)\\b")

// missingDocFiles returns the Go files that doc names but the tree lacks: a
// path must exist as written (from the repository's root, or under
// internal/ or cmd/); a bare name must be some file's name.
func missingDocFiles(doc string, exists func(string) bool, names map[string]bool) []string {
	var missing []string
	for _, m := range docFileRE.FindAllStringSubmatch(doc, -1) {
		f := m[1]
		switch {
		case !strings.Contains(f, "/"):
			if !names[f] {
				missing = append(missing, f)
			}
		case !exists(f) && !exists("internal/"+f) && !exists("cmd/"+f):
			missing = append(missing, f)
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

// TestDocsNameFilesThatExist: ARCHITECTURE.md and SECURITY.md name only
// Go files the tree has, so that a renamed or deleted file cannot leave the
// docs pointing at nothing (issue 18: ARCHITECTURE.md matches the tree).
func TestDocsNameFilesThatExist(t *testing.T) {
	names := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") && p != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			names[d.Name()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	for _, doc := range []string{"docs/ARCHITECTURE.md", "docs/SECURITY.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if missing := missingDocFiles(string(b), exists, names); len(missing) > 0 {
			t.Errorf("%s names Go files the tree lacks: %s", doc, strings.Join(missing, ", "))
		}
	}
	// The check can fail.
	if got := missingDocFiles("see `internal/web/employee.go` and admin.go", exists, names); !slices.Equal(got, []string{"admin.go", "internal/web/employee.go"}) {
		t.Errorf("planted names: got %v", got)
	}
}
