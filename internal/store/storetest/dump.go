package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/store"
)

// DBOpener returns a fresh, empty, migrated store of one backend.
type DBOpener func(t *testing.T) *store.DB

// MemoryDump holds a dump in memory: a store.DumpWriter and, through
// Reader, a store.DumpReader.
type MemoryDump struct {
	Names  []string
	Tables map[string]*bytes.Buffer
}

// Table implements store.DumpWriter.
func (d *MemoryDump) Table(name string) (io.Writer, error) {
	if d.Tables == nil {
		d.Tables = map[string]*bytes.Buffer{}
	}
	d.Names = append(d.Names, name)
	d.Tables[name] = new(bytes.Buffer)
	return d.Tables[name], nil
}

// Reader returns a store.DumpReader over the dump.
func (d *MemoryDump) Reader() store.DumpReader { return &memReader{d: d} }

type memReader struct {
	d *MemoryDump
	i int
}

func (r *memReader) Next() (string, io.Reader, error) {
	if r.i == len(r.d.Names) {
		return "", nil, io.EOF
	}
	n := r.d.Names[r.i]
	r.i++
	return n, bytes.NewReader(r.d.Tables[n].Bytes()), nil
}

// Populate fills a store with people in a chain, messages, signatures and
// log entries (what RunDump dumps).
func Populate(t *testing.T, s dissent.Store) { populate(t, s) }

// populate fills a store with people in a chain, messages, signatures and
// log entries.
func populate(t *testing.T, s dissent.Store) {
	t.Helper()
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	newMessage(t, s, f.other, mid(2))
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.InsertSignature(ctx, dissent.Signature{MessageID: m.ID, Version: 1, PersonID: f.other, ContentHash: m.ContentHash, MinCosigners: 3, Signed: t0}, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, dissent.Event{At: t0, ActorRole: dissent.RoleEmployee, Kind: "signature.added", MessageID: m.ID, Detail: "version 1"})
	})
	integrate(t, s)
}

// RunDump checks Dump and Load on one backend: a dump loads into an empty
// store and dumps again to the very same bytes; the loaded store works (new
// rows get new ids); Load refuses a store that holds rows, a table or a
// column the schema lacks, and a newer schema. With other, it also loads
// the dump into the other backend and back.
func RunDump(t *testing.T, open DBOpener, other DBOpener) {
	ctx := context.Background()
	src := open(t)
	populate(t, src)
	var first MemoryDump
	snap, err := src.Dump(ctx, &first)
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	if snap.Schema == 0 || snap.LogSize == 0 || snap.LogRoot == [32]byte{} || len(snap.KEKs) != 1 {
		t.Errorf("Dump's snapshot = schema %d, log size %d, root %x, keks %v; want all set", snap.Schema, snap.LogSize, snap.LogRoot, snap.KEKs)
	}
	rows := map[string]int64{}
	for _, tc := range snap.Tables {
		rows[tc.Name] = tc.Rows
		if tc.Name == "goose_db_version" {
			t.Error("Dump dumped goose's version table")
		}
	}
	if rows["people"] != 4 || rows["messages"] != 2 || rows["log_entries"] != snap.LogSize {
		t.Errorf("Dump's row counts = %v; want 4 people, 2 messages, a leaf per log entry", rows)
	}
	// Tables referenced come first.
	pos := map[string]int{}
	for i, n := range first.Names {
		pos[n] = i
	}
	if pos["orgs"] > pos["people"] || pos["people"] > pos["person_roles"] || pos["messages"] > pos["signatures"] {
		t.Errorf("Dump's table order %v puts a table before one it references", first.Names)
	}

	roundTrip := func(t *testing.T, to DBOpener, d *MemoryDump) *MemoryDump {
		t.Helper()
		dst := to(t)
		counts, err := dst.Load(ctx, snap.Schema, d.Reader())
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if diff := cmp.Diff(rows, counts); diff != "" {
			t.Errorf("Load's row counts differ from Dump's (-dump +load):\n%s", diff)
		}
		var again MemoryDump
		if _, err := dst.Dump(ctx, &again); err != nil {
			t.Fatalf("Dump after Load: %v", err)
		}
		// The loaded store takes new rows after the loaded ones.
		update(t, dst, func(tx dissent.Tx) error {
			id, err := tx.CreatePerson(ctx, dissent.Person{Email: "new@x.example", Name: "New", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}, Created: t0})
			if err == nil && id <= 4 {
				t.Errorf("a person created after Load got id %d, which a loaded person has", id)
			}
			if err != nil {
				return err
			}
			return tx.CreateOrg(ctx, dissent.Org{ID: "dos", Name: "DoS", TimeZone: "UTC", Created: t0})
		})
		view(t, dst, func(tx dissent.Tx) error {
			orgs, err := tx.Orgs(ctx)
			if err != nil || len(orgs) != 3 || orgs[0].ID != "state" || orgs[2].ID != "dos" {
				t.Errorf("Orgs after Load and a new org = %+v, %v; want state, usaid, dos in order", orgs, err)
			}
			return nil
		})
		return &again
	}
	again := roundTrip(t, open, &first)
	for _, n := range first.Names {
		if got, want := again.Tables[n].String(), first.Tables[n].String(); got != want {
			t.Errorf("table %s dumps differently after Load:\n got %.300s\nwant %.300s", n, got, want)
		}
	}
	if other != nil {
		there := roundTrip(t, other, &first)
		back := roundTrip(t, open, there)
		for _, n := range first.Names {
			if got, want := back.Tables[n].String(), first.Tables[n].String(); got != want {
				t.Errorf("table %s dumps differently after a trip through the other backend:\n got %.300s\nwant %.300s", n, got, want)
			}
		}
	}

	// Refusals.
	if _, err := src.Load(ctx, snap.Schema, first.Reader()); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("Load into a store with rows = %v; want ErrNotEmpty", err)
	}
	if _, err := open(t).Load(ctx, snap.Schema+1000, first.Reader()); err == nil || !strings.Contains(err.Error(), "newer dissent") {
		t.Errorf("Load of a newer schema = %v; want a refusal", err)
	}
	bad := MemoryDump{}
	w, _ := bad.Table("no_such_table")
	io.WriteString(w, `{"table":"no_such_table","columns":["x"]}`+"\n")
	if _, err := open(t).Load(ctx, snap.Schema, bad.Reader()); err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("Load of an unknown table = %v; want a refusal", err)
	}
	bad = MemoryDump{}
	w, _ = bad.Table("orgs")
	io.WriteString(w, `{"table":"orgs","columns":["id","nonsense"]}`+"\n")
	if _, err := open(t).Load(ctx, snap.Schema, bad.Reader()); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("Load of an unknown column = %v; want a refusal naming it", err)
	}
}

// WriteDir writes the dump to dir: a file "tables" naming the tables in
// order, and NAME.jsonl for each.
func (d *MemoryDump) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tables"), []byte(strings.Join(d.Names, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	for _, n := range d.Names {
		if err := os.WriteFile(filepath.Join(dir, n+".jsonl"), d.Tables[n].Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadDumpDir reads a dump written by WriteDir.
func ReadDumpDir(dir string) (*MemoryDump, error) {
	b, err := os.ReadFile(filepath.Join(dir, "tables"))
	if err != nil {
		return nil, err
	}
	d := &MemoryDump{}
	for _, n := range strings.Fields(string(b)) {
		rows, err := os.ReadFile(filepath.Join(dir, n+".jsonl"))
		if err != nil {
			return nil, err
		}
		w, _ := d.Table(n)
		w.Write(rows)
	}
	return d, nil
}

// LoadOld loads a dump made by an older schema (dir, written by WriteDir at
// version schema) into a fresh store: the load goes through that schema and
// the later migrations then run over the loaded rows, as they would have on
// the original. A dump older than per-message pseudonyms that holds
// messages is refused with store.ErrOldPseudonyms (their tags cannot be
// recomputed); the same dump without its messages migrates.
func LoadOld(t *testing.T, open DBOpener, dir string, schema int64) {
	ctx := context.Background()
	d, err := ReadDumpDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(t).Load(ctx, schema, d.Reader()); !errors.Is(err, store.ErrOldPseudonyms) {
		t.Errorf("Load of a schema %d dump holding messages = %v; want the refusal %v", schema, err, store.ErrOldPseudonyms)
	}
	messageTables := map[string]bool{"messages": true, "message_keys": true, "message_versions": true, "coauthors": true,
		"invitations": true, "signatures": true, "assignments": true, "replies": true, "consultations": true,
		"endorsers": true, "distribution": true, "meetings": true}
	stripped := &MemoryDump{}
	for _, n := range d.Names {
		if !messageTables[n] {
			w, _ := stripped.Table(n)
			w.Write(d.Tables[n].Bytes())
		}
	}
	dst := open(t)
	if _, err := dst.Load(ctx, schema, stripped.Reader()); err != nil {
		t.Fatalf("Load of a schema %d dump without messages: %v", schema, err)
	}
	var after MemoryDump
	snap, err := dst.Dump(ctx, &after)
	if err != nil {
		t.Fatal(err)
	}
	var fresh MemoryDump
	newest, err := open(t).Dump(ctx, &fresh)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Schema != newest.Schema {
		t.Errorf("after Load the schema is %d; want the newest, %d", snap.Schema, newest.Schema)
	}
	view(t, dst, func(tx dissent.Tx) error {
		n, err := tx.CountPeopleWithRole(ctx, dissent.RoleEmployee)
		if err != nil || n != 4 {
			t.Errorf("CountPeopleWithRole(employee) after Load = %d, %v; want 4", n, err)
		}
		return nil
	})
}
