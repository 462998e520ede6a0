package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// directoryPeople is the size of the directory the administrator's pages
// must handle.
const directoryPeople = 80_000

func fillDirectory(b *testing.B, s dissent.Store) {
	b.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "state", Name: "State", TimeZone: "America/New_York", Created: t0}); err != nil {
			return err
		}
		for i := range directoryPeople {
			roles := dissent.Roles{dissent.RoleEmployee}
			if i%1000 == 0 {
				roles = append(roles, dissent.RoleOfficer)
			}
			if _, err := tx.CreatePerson(ctx, dissent.Person{Email: fmt.Sprintf("p%06d@state.example", i), Name: fmt.Sprintf("Name %06d", i),
				OrgID: "state", Roles: roles, Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSearchPeople: one page (51 rows, as the Service asks) of an
// 80,000-person directory, with its roles, on SQLite and (with
// DISSENT_TEST_POSTGRES) PostgreSQL.
func BenchmarkSearchPeople(b *testing.B) {
	backends := map[string]func(b *testing.B) dissent.Store{
		"sqlite": func(b *testing.B) dissent.Store {
			db, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "dissent.db"), seal.New(seal.Generate("test")))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
	}
	if server := os.Getenv("DISSENT_TEST_POSTGRES"); server != "" {
		backends["postgres"] = func(b *testing.B) dissent.Store {
			db, err := store.OpenPostgres(context.Background(), storetest.NewPostgresDatabase(b, server), seal.New(seal.Generate("test")))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}
	}
	for name, open := range backends {
		s := open(b)
		fillDirectory(b, s)
		for _, q := range []struct {
			name string
			q    dissent.PeopleQuery
		}{
			{"first-page", dissent.PeopleQuery{Limit: 51}},
			{"middle-page", dissent.PeopleQuery{After: "p040000@state.example", Limit: 51}},
			{"email-prefix", dissent.PeopleQuery{Prefix: "p0712", Limit: 51}},
			{"name-prefix", dissent.PeopleQuery{Prefix: "name 0712", Limit: 51}},
			{"no-match", dissent.PeopleQuery{Prefix: "zzz", Limit: 51}},
			{"rare-role", dissent.PeopleQuery{Role: dissent.RoleOfficer, Limit: 51}},
			{"common-role", dissent.PeopleQuery{Role: dissent.RoleEmployee, Limit: 51}},
			{"count", dissent.PeopleQuery{}},
		} {
			b.Run(name+"/"+q.name, func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					err := s.View(ctx, func(tx dissent.Tx) error {
						if q.name == "count" {
							_, err := tx.CountPeople(ctx, "")
							return err
						}
						_, err := tx.SearchPeople(ctx, q.q)
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
