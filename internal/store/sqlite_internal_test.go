package store

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestCheckSQLitePragmas shows that OpenSQLite's check reads every setting
// back: SQLite ignores a journal mode it cannot apply, and the store must
// then refuse to start rather than run without WAL.
func TestCheckSQLitePragmas(t *testing.T) {
	t.Parallel()
	full := []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "temp_store(MEMORY)"}
	tests := []struct {
		name    string
		memory  bool
		pragmas []string
		want    string // in the error; "" for none
	}{
		{"all in force", false, full, ""},
		{"rollback journal", false, []string{"synchronous(FULL)", "foreign_keys(1)"}, `pragma journal_mode is "delete", want "wal"`},
		{"in memory, WAL ignored", true, full, `pragma journal_mode is "memory", want "wal"`},
		{"synchronous normal", false, []string{"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"}, `pragma synchronous is "1", want "2"`},
		{"foreign keys off", false, []string{"journal_mode(WAL)", "synchronous(FULL)"}, `pragma foreign_keys is "0", want "1"`},
		{"temporary files on disk", false, []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"}, `pragma temp_store is "0", want "2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{}
			for _, p := range tt.pragmas {
				q.Add("_pragma", p)
			}
			path := filepath.Join(t.TempDir(), "d.db")
			if tt.memory {
				path = ":memory:"
			}
			db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			err = checkSQLitePragmas(context.Background(), db)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("checkSQLitePragmas: %v; want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("checkSQLitePragmas: %v; want an error containing %s", err, tt.want)
			}
		})
	}
}
