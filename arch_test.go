package dissent_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
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
