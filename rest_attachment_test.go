package dissent_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestNoClearTextAtRestAttachments extends TestNoClearTextAtRest
// (internal/auditlog) to attachments and the message model: an annex's name
// and bytes are nowhere in clear in the data
// directory, though the Service reads them back. (Kept apart from the audit
// log's package, which is being redesigned.)
func TestNoClearTextAtRestAttachments(t *testing.T) {
	e := servicetest.New(t)
	p, s := e.Cast(t, 1)
	drafter := p["drafter@state.example"].Actor
	earlier := draft(t, e, p["drafter@state.example"])
	markers := map[string]string{
		"attachment name":  "Annex-Zanzibar-Quokka-7731.pdf",
		"attachment bytes": "The annex says Marmalade-Xylophone-4242 in so many words.",
	}
	// (The related message's id is its own row's key, so it cannot serve as
	// a marker; the related column is sealed like the annexes, and the
	// conformance suite reads it back through the sealer.)
	m := must(e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "T", Body: "B", Related: &[]string{string(earlier.ID)}}))
	a := must(e.Svc.AddAttachment(ctx, drafter, m.ID, markers["attachment name"], []byte(markers["attachment bytes"])))
	must(e.Svc.Invite(ctx, drafter, m.ID, []string{s[0]}))
	_, got, err := e.Svc.GetAttachment(ctx, p[s[0]].Actor, m.ID, a.ID)
	if err != nil || string(got) != markers["attachment bytes"] {
		t.Fatalf("the attachment does not read back: %q, %v", got, err)
	}
	v := must(e.Svc.GetMessage(ctx, drafter, m.ID))
	if len(v.Related) != 1 || v.Attachments[0].Name.Reveal() != markers["attachment name"] {
		t.Fatalf("the model does not read back: %+v", v)
	}
	// Every row of every table, on either backend, as the backup reads them.
	var dump tableDump
	if _, err := e.DB.Dump(ctx, &dump); err != nil {
		t.Fatal(err)
	}
	rows := dump.decoded(t) // binary values decoded from the dump's base64
	for field, mk := range markers {
		if bytes.Contains(rows, []byte(mk)) {
			t.Errorf("the %s marker is in clear in the database's rows", field)
		}
	}
	if !bytes.Contains(rows, []byte(a.SHA256)) {
		t.Fatalf("the dump holds no attachment row (its hash %s is not in it)", a.SHA256)
	}
	if os.Getenv("DISSENT_TEST_BACKEND") == "postgres" {
		return // the data directory holds no database files on PostgreSQL
	}
	files := 0
	err = filepath.Walk(e.Dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for field, mk := range markers {
			if bytes.Contains(b, []byte(mk)) {
				t.Errorf("the %s marker is in clear in %s", field, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Fatalf("looked at %d files; want the database and its WAL at least", files)
	}
}

// tableDump collects a dump's tables in one buffer.
type tableDump struct{ buf bytes.Buffer }

func (d *tableDump) Table(string) (io.Writer, error) { return &d.buf, nil }

// decoded returns the dump's text with every binary value ({"b": base64})
// decoded in place, so that bytes stored in clear in a BLOB would show.
func (d *tableDump) decoded(t *testing.T) []byte {
	t.Helper()
	var out bytes.Buffer
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && (k == "b" || k == "s") && len(x) == 1 {
					b, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						t.Fatalf("dump: bad base64 %.40q", s)
					}
					out.Write(b)
					out.WriteByte('\n')
					continue
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			out.WriteString(x)
			out.WriteByte('\n')
		}
	}
	dec := json.NewDecoder(bytes.NewReader(d.buf.Bytes()))
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("dump: %v", err)
		}
		walk(v)
	}
	return out.Bytes()
}
