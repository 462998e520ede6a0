package servicetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// BackendEnv names the variable that selects the store the Service runs on:
// unset or "sqlite" for a SQLite file in the test's directory; "postgres"
// for a new database on the server named by DISSENT_TEST_POSTGRES (CI runs
// the Service's and the API's tests a second time so).
const BackendEnv = "DISSENT_TEST_BACKEND"

func openStore(t testing.TB, backend, dir string, sealer dissent.Sealer) (*store.DB, error) {
	t.Helper()
	switch b := backend; b {
	case "", "sqlite":
		path := filepath.Join(dir, "dissent.db")
		storetest.FreshSQLite(t, path, sealer) // the schema, made once per test binary
		return store.OpenSQLite(context.Background(), path, sealer)
	case "postgres":
		return store.OpenPostgres(context.Background(), storetest.Postgres(t), sealer)
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", BackendEnv, b)
		return nil, nil
	}
}
