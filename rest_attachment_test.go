package dissent_test

import (
	"bytes"
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
