package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// TestBrowserMessageModel: the administrator adds a marking and a topic on
// the vocabulary page; the drafter chooses them in the editor, attaches a
// file, and sees the classification banner on the case page and the print
// view, and the file listed on the editor and the case page.
func TestBrowserMessageModel(t *testing.T) {
	ctx := chromium(t)
	e := newAuthEnv(t, web.Limits{})
	run := func(what string, acts ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, acts...); err != nil {
			var loc, body string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("main", &body, chromedp.ByQuery))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	msgBrowserSignIn(ctx, t, e, "admin@state.example", false)
	for _, x := range [][2]string{{"classification", "UNCLASSIFIED"}, {"classification", "SECRET"}, {"topic", "Trade"}} {
		run("add "+x[1],
			chromedp.Navigate(e.base+"/admin/vocabulary"),
			chromedp.SetValue(`#vocab-kind`, x[0], chromedp.ByQuery),
			chromedp.SendKeys(`#vocab-name`, x[1], chromedp.ByQuery),
			chromedp.Click(`#vocab-add-button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#flash`, chromedp.ByQuery))
	}
	msgWant(t, "the markings table", text(ctx, t, "#vocab-classification"), "UNCLASSIFIED", "SECRET", "in use")
	msgWant(t, "the topics table", text(ctx, t, "#vocab-topic"), "Trade")

	msgBrowserSignIn(ctx, t, e, "drafter@state.example", false)
	var loc string
	run("create a marked draft",
		chromedp.Navigate(e.base+"/messages/new"),
		chromedp.WaitVisible(`#classification`, chromedp.ByQuery),
		chromedp.SendKeys(`#title`, "Annexed dissent", chromedp.ByQuery),
		chromedp.SendKeys(`#body`, "See the annex.", chromedp.ByQuery),
		chromedp.SetValue(`#classification`, "SECRET", chromedp.ByQuery),
		chromedp.SetValue(`#topic`, "Trade", chromedp.ByQuery),
		chromedp.Click(`#save`, chromedp.ByQuery),
		chromedp.WaitVisible(`#case-meta`, chromedp.ByQuery),
		chromedp.Location(&loc))
	if got := text(ctx, t, "#marking-banner"); got != "SECRET" {
		t.Errorf("case page banner = %q; want SECRET", got)
	}
	msgWant(t, "case page topic", text(ctx, t, "#topic"), "Trade")
	msgWant(t, "case page attachments", text(ctx, t, "#attachments"), "No attachments")

	id := loc[strings.LastIndex(loc, "/")+1:]
	if i := strings.IndexByte(id, '?'); i >= 0 {
		id = id[:i]
	}
	file := filepath.Join(t.TempDir(), "annex-a.txt")
	if err := os.WriteFile(file, []byte("The annex."), 0o600); err != nil {
		t.Fatal(err)
	}
	run("attach a file",
		chromedp.Navigate(e.base+"/messages/"+id+"/edit"),
		chromedp.WaitVisible(`#attach-form`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#file`, []string{file}, chromedp.ByQuery),
		chromedp.Click(`#attach-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#flash`, chromedp.ByQuery))
	msgWant(t, "editor's attachments", text(ctx, t, "#attachment-list"), "annex-a.txt")
	if got := text(ctx, t, "#marking-banner"); got != "SECRET" {
		t.Errorf("editor banner = %q; want SECRET", got)
	}
	run("case page", chromedp.Navigate(e.base+"/messages/"+id), chromedp.WaitVisible(`#case-meta`, chromedp.ByQuery))
	msgWant(t, "case page attachments", text(ctx, t, "#attachment-list"), "annex-a.txt")
	msgWant(t, "case page version", text(ctx, t, "#version"), "2")
	run("print view", chromedp.Navigate(e.base+"/messages/"+id+"/print"), chromedp.WaitVisible(`#print-stamp`, chromedp.ByQuery))
	var banners int
	run("count banners", chromedp.Evaluate(`document.querySelectorAll(".banner-marking").length`, &banners))
	if banners != 2 {
		t.Errorf("print view has %d classification banners; want 2 (top and bottom)", banners)
	}
	// The Service agrees with what the pages showed.
	v, err := e.Svc.GetMessage(context.Background(), e.people["drafter@state.example"].Actor, dissent.MessageID(id))
	if err != nil || v.Classification != "SECRET" || v.Topic != "Trade" || len(v.Attachments) != 1 {
		t.Errorf("GetMessage = %+v, %v", v, err)
	}
}
