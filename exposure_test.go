package dissent_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// leakBody is a message body with a distinctive passage and, in quotation
// marks, a public statement the message itself quotes.
const leakBody = `We write because the resettlement pause has stranded nine thousand interpreters in Kandahar province.

The Secretary said on 4 May that “our commitments to those who served beside us are unbreakable and permanent.” The pause breaks them.

The pause leaves families who waited four years with expired medical clearances, and each new screening costs the program another eleven months of processing that the embassy cannot absorb. We recommend restoring the interview schedule at once.`

// submitted creates and submits a message with the given body.
// submittedBody submits a message with this body.
func submittedBody(t *testing.T, e *servicetest.Env, drafter servicetest.Actor, body string) dissent.Message {
	t.Helper()
	return submitDraft(t, e, drafter, dissent.Draft{Title: "On the pause", Summary: "Resume.", Body: body})
}

func events(t *testing.T, e *servicetest.Env, id dissent.MessageID, kind string) []dissent.Event {
	t.Helper()
	var out []dissent.Event
	err := e.DB.View(ctx, func(tx dissent.Tx) error {
		evs, err := tx.Events(ctx, id)
		for _, ev := range evs {
			if ev.Kind == kind {
				out = append(out, ev)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestArticleStoredOnce(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	officer := p["officer@state.example"].Actor
	in := dissent.ArticleInput{Title: "Pause strands interpreters", URL: "https://news.example/a", Body: "Officials said on Tuesday the pause continues.\n\nMore soon."}
	a1, created, err := e.Svc.AddArticle(ctx, officer, in)
	if err != nil || !created {
		t.Fatalf("AddArticle = %v, %v; want a new article", created, err)
	}
	// The same text with other white space, from another source.
	again := in
	again.Body = "  Officials said on Tuesday\nthe pause continues. More soon.\n"
	a2, created, err := e.Svc.IngestArticle(ctx, dissent.SourceFeed, 0, again)
	if err != nil || created || a2.ID != a1.ID || a2.Source != dissent.SourceUpload {
		t.Errorf("IngestArticle(same text) = %+v, %v, %v; want article %d, not created", a2, created, err, a1.ID)
	}
	// Another text is another article.
	other := in
	other.Body = "Officials said on Wednesday the pause continues."
	if a3, created, err := e.Svc.AddArticle(ctx, officer, other); err != nil || !created || a3.ID == a1.ID {
		t.Errorf("AddArticle(other text) = %+v, %v, %v", a3, created, err)
	}
}

func TestAddArticleRefused(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	good := dissent.ArticleInput{Title: "T", URL: "https://news.example/a", Body: "Text of the article."}
	for _, who := range []string{"drafter@state.example", "monitor@state.example", "auditor@state.example", "admin@state.example", "principal@state.example"} {
		_, _, err := e.Svc.AddArticle(ctx, p[who].Actor, good)
		wantKind(t, "AddArticle by "+who, err, dissent.KindForbidden)
	}
	director := p["director@state.example"].Actor
	if _, _, err := e.Svc.AddArticle(ctx, director, good); err != nil {
		t.Errorf("AddArticle by the director: %v", err)
	}
	tests := []struct {
		name  string
		in    dissent.ArticleInput
		field string
	}{
		{"empty body", dissent.ArticleInput{Title: "T", Body: "  \n"}, "body"},
		{"oversized body", dissent.ArticleInput{Title: "T", Body: strings.Repeat("a", dissent.MaxArticleBody+1)}, "body"},
		{"no title", dissent.ArticleInput{Body: "Text."}, "title"},
		{"title with a newline", dissent.ArticleInput{Title: "a\nb", Body: "Text."}, "title"},
		{"relative URL", dissent.ArticleInput{Title: "T", URL: "/news/a", Body: "Text."}, "url"},
		{"javascript URL", dissent.ArticleInput{Title: "T", URL: "javascript:alert(1)", Body: "Text."}, "url"},
		{"URL with credentials", dissent.ArticleInput{Title: "T", URL: "https://u:p@news.example/", Body: "Text."}, "url"},
		{"invalid UTF-8", dissent.ArticleInput{Title: "T", Body: "caf\xe9"}, "body"},
	}
	for _, tt := range tests {
		_, _, err := e.Svc.AddArticle(ctx, director, tt.in)
		if de := dissent.AsError(err); de == nil || de.Kind != dissent.KindInvalid || de.Field != tt.field {
			t.Errorf("%s: AddArticle error = %v; want Invalid on %q", tt.name, err, tt.field)
		}
	}
}

func TestExposureFoundAndAttributed(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter, officer := p["drafter@state.example"], p["officer@state.example"].Actor
	m := submittedBody(t, e, drafter, leakBody)
	_ = submittedBody(t, e, p["outsider@state.example"], "We dissent from the fisheries policy in the Pacific, which harms coastal communities and the reefs they depend on for their food and income.")

	quote := "each new screening costs the program another eleven months of processing that the embassy cannot absorb"
	body := "WASHINGTON — A cable sent through the dissent channel warns that “" + quote + ",” according to a copy seen by reporters.\n\nThe department declined to comment."
	art, created, err := e.Svc.AddArticle(ctx, officer, dissent.ArticleInput{Title: "Cable warns", URL: "https://news.example/cable", Body: body})
	if err != nil || !created {
		t.Fatalf("AddArticle: %v, %v", created, err)
	}
	fs := must(e.Svc.ExposureFindings(ctx, officer))
	if len(fs) != 1 || fs[0].MessageID != m.ID || fs[0].ArticleID != art.ID {
		t.Fatalf("ExposureFindings = %+v; want one finding on message %s", fs, m.ID)
	}
	f := fs[0]
	if len(f.Passages) != 1 {
		t.Fatalf("passages = %+v; want 1", f.Passages)
	}
	ps := f.Passages[0]
	if got := body[ps.ArticleStart:ps.ArticleEnd]; got != quote {
		t.Errorf("article passage = %q; want %q", got, quote)
	}
	if got := leakBody[ps.MessageStart:ps.MessageEnd]; got != quote {
		t.Errorf("message passage = %q; want %q", got, quote)
	}
	if ps.Kind != "verbatim" || f.Score <= 0 || f.Score > 1 {
		t.Errorf("kind %q score %v; want verbatim and a score in (0, 1]", ps.Kind, f.Score)
	}
	if fs[0].Article.Body != "" {
		t.Errorf("the list carries the article's body")
	}

	// No event of its own for the finding (the article's entry records
	// its row), so the log does not tell whether an article matched.
	if evs := events(t, e, m.ID, "exposure.found"); len(evs) != 0 {
		t.Errorf("exposure.found events = %+v; want none", evs)
	}

	// The office and the drafter are told, once each, without content; the
	// recused boss and the outsider are not.
	for who, want := range map[string]int{"drafter@state.example": 1, "officer@state.example": 1, "officer2@state.example": 1,
		"boss@state.example": 0, "outsider@state.example": 0} {
		ns, _, err := e.Svc.Notifications(ctx, p[who].Actor)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, n := range ns {
			if n.Kind == dissent.NoteExposureFound && n.MessageID == m.ID {
				got++
			}
		}
		if got != want {
			t.Errorf("%s has %d exposure.found notifications; want %d", who, got, want)
		}
	}

	// Who sees the finding.
	for who, want := range map[string]int{
		"drafter@state.example": 1, "officer@state.example": 1, "director@state.example": 1,
		"outsider@state.example": 0, "monitor@state.example": 0, "admin@state.example": 0,
		"reviewer@state.example": 0, "principal@state.example": 0,
		// The drafter's supervisor's supervisor is an officer: recused.
		"boss@state.example": 0,
	} {
		got := must(e.Svc.ExposureFindings(ctx, p[who].Actor))
		if len(got) != want {
			t.Errorf("ExposureFindings(%s) lists %d; want %d", who, len(got), want)
		}
		v, err := e.Svc.ExposureFinding(ctx, p[who].Actor, f.ID)
		switch {
		case want == 0:
			wantKind(t, "ExposureFinding by "+who, err, dissent.KindNotFound)
		case err != nil || v.MessageBody.Reveal() != leakBody || v.Article.Body != body:
			t.Errorf("ExposureFinding(%s) = %+v, %v", who, v, err)
		}
	}
	_, err = e.Svc.ExposureFinding(ctx, officer, f.ID+1000)
	wantKind(t, "ExposureFinding(missing)", err, dissent.KindNotFound)

	// The officer's and the director's openings are reads the drafter
	// sees; the drafter's own is not.
	log := must(e.Svc.AccessLog(ctx, drafter.Actor, m.ID))
	n := 0
	for _, a := range log {
		if a.Kind == "exposure" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("access log has %d exposure reads; want 2 (officer, director): %+v", n, log)
	}

	// Uploading the article again finds nothing new.
	if _, created, err := e.Svc.AddArticle(ctx, officer, dissent.ArticleInput{Title: "Again", Body: body}); err != nil || created {
		t.Errorf("AddArticle(again) = %v, %v", created, err)
	}
	if fs := must(e.Svc.ExposureFindings(ctx, officer)); len(fs) != 1 {
		t.Errorf("after the same article again: %d findings; want 1", len(fs))
	}
}

// TestExposureEntriesConstant plays whoever controls a feed the office
// polls: an article that quotes a message and one that quotes nothing each
// add exactly one entry to the log, and the new entries' commitments are
// all the public sees, so the log cannot serve as an oracle for a guessed
// sentence.
func TestExposureEntriesConstant(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	submittedBody(t, e, p["drafter@state.example"], leakBody)
	entries := func() int64 {
		var n int64
		err := e.DB.View(ctx, func(tx dissent.Tx) error {
			size, err := tx.LogSize(ctx)
			pending, err2 := tx.PendingEntries(ctx)
			n = size + int64(len(pending))
			return errors.Join(err, err2)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	quote := "each new screening costs the program another eleven months of processing that the embassy cannot absorb"
	for _, tc := range []struct {
		name, body string
		findings   int
	}{
		{"a guess that misses", "Sources say that the interview schedule will resume in the spring, after a review of the program's costs.", 0},
		{"a guess that hits", "Sources quote the cable: “" + quote + ".” The department declined to comment.", 1},
	} {
		before := entries()
		if _, _, err := e.Svc.IngestArticle(ctx, dissent.SourceFeed, 0, dissent.ArticleInput{Title: tc.name, Body: tc.body}); err != nil {
			t.Fatal(err)
		}
		if got := entries() - before; got != 1 {
			t.Errorf("%s: the log grew by %d entries; want 1 whatever the match", tc.name, got)
		}
		if fs := must(e.Svc.ExposureFindings(ctx, p["officer@state.example"].Actor)); len(fs) != tc.findings {
			t.Errorf("%s: %d findings; want %d", tc.name, len(fs), tc.findings)
		}
	}
}

func TestOwnPublicQuotationDoesNotAlert(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	submittedBody(t, e, p["drafter@state.example"], leakBody)
	body := "At a briefing, the Secretary repeated that “our commitments to those who served beside us are unbreakable and permanent,” a line first used on 4 May."
	if _, _, err := e.Svc.AddArticle(ctx, p["officer@state.example"].Actor, dissent.ArticleInput{Title: "Briefing", Body: body}); err != nil {
		t.Fatal(err)
	}
	if fs := must(e.Svc.ExposureFindings(ctx, p["officer@state.example"].Actor)); len(fs) != 0 {
		t.Errorf("an article quoting the public statement the message quotes raised %+v", fs)
	}
}

func TestNewMessageMatchedAgainstStoredArticles(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	officer := p["officer@state.example"].Actor
	quote := "the pause leaves families who waited four years with expired medical clearances"
	body := "KABUL — Diplomats wrote that " + quote + ", in a cable obtained this week."
	if _, _, err := e.Svc.IngestArticle(ctx, dissent.SourceDirectory, 0, dissent.ArticleInput{Body: body}); err != nil {
		t.Fatal(err)
	}
	if n := must(e.Svc.ScanExposure(ctx)); n != 0 {
		t.Errorf("ScanExposure before any submission found %d", n)
	}
	// A draft is not matched; a submitted message is.
	d := must(e.Svc.CreateMessage(ctx, p["drafter@state.example"].Actor, dissent.Draft{Title: "t", Summary: "s", Body: leakBody}))
	if n := must(e.Svc.ScanExposure(ctx)); n != 0 {
		t.Errorf("ScanExposure with a draft found %d", n)
	}
	must(e.Svc.Submit(ctx, p["drafter@state.example"].Actor, d.ID, d.ContentHash))
	if n := must(e.Svc.ScanExposure(ctx)); n != 1 {
		t.Fatalf("ScanExposure after the submission found %d; want 1", n)
	}
	fs := must(e.Svc.ExposureFindings(ctx, officer))
	if len(fs) != 1 || fs[0].MessageID != d.ID || body[fs[0].Passages[0].ArticleStart:fs[0].Passages[0].ArticleEnd] != quote {
		t.Errorf("findings = %+v", fs)
	}
	// A second scan has nothing left to do.
	if n := must(e.Svc.ScanExposure(ctx)); n != 0 {
		t.Errorf("second ScanExposure found %d", n)
	}
}
