package exposure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Messages used by the hand-made cases.
const (
	msgResettlement = `We, the undersigned officers of the Bureau of Population, Refugees, and Migration, write to register our profound disagreement with the decision to suspend the resettlement program for Afghan interpreters.

This decision abandons people who risked their lives for our mission and undermines the credibility of every future commitment we make to local partners. The Secretary said in March that "we will never leave our partners behind, whatever the cost," yet the Department has now done precisely that.

Our embassy in Islamabad estimates that more than 14,000 applicants (most of them with families) are waiting in hiding for an interview that will not come. We urge the Department to reinstate the program immediately and to fund the processing backlog before the winter closes the mountain passes.`

	msgArms = `The proposed sale of precision-guided munitions to the coalition contradicts our obligations under the Leahy Law. Our monitors documented at least forty strikes on markets, weddings and hospitals in Hodeidah since January, and the coalition has not opened a single credible investigation.

Approving the sale now would make the United States complicit in the next massacre and would squander the leverage we still hold over the ceasefire talks. We recommend that the Department suspend the notification to Congress until an independent inquiry reports.`

	msgHealth = `The abrupt freeze on malaria grants has already emptied the district warehouses in northern Malawi. Nurses at the Lilongwe clinic told our team that children now wait four days for a diagnosis that used to take an hour. Restoring the cold chain will cost more next year than keeping it running would have cost this year.`
)

func testMessages() []Document {
	return []Document{
		{Name: "resettlement.txt", Text: []byte(msgResettlement)},
		{Name: "arms.txt", Text: []byte(msgArms)},
		{Name: "health.txt", Text: []byte(msgHealth)},
	}
}

// want describes an expected passage by its text in the article and in
// the message, which the test turns into offsets.
type want struct {
	message       string
	article, text string // passage text in the article and in the message
	kind          Kind
}

func TestMatchEditKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		article string
		want    []want
	}{
		{
			name:    "verbatim",
			article: "KABUL — Officials wrote that “this decision abandons people who risked their lives for our mission.” A spokesman declined to comment.",
			want: []want{{"resettlement.txt",
				"this decision abandons people who risked their lives for our mission",
				"This decision abandons people who risked their lives for our mission", Verbatim}},
		},
		{
			name:    "bracketed substitution",
			article: "The cable is blunt: “[The suspension] abandons people who risked their lives for our mission,” it says.",
			want: []want{{"resettlement.txt",
				"[The suspension] abandons people who risked their lives for our mission",
				"This decision abandons people who risked their lives for our mission", Edited}},
		},
		{
			name:    "bracketed capital",
			article: "They added that “[t]he Department has now done precisely that.”",
			want: []want{{"resettlement.txt",
				"[t]he Department has now done precisely that",
				"the Department has now done precisely that", Edited}},
		},
		{
			name:    "parenthetical insertion, message's own parenthesis dropped",
			article: "“Our embassy in Islamabad (which moved to a smaller compound in 2022) estimates that more than 14,000 applicants are waiting in hiding,” the officials wrote.",
			want: []want{{"resettlement.txt",
				"Our embassy in Islamabad (which moved to a smaller compound in 2022) estimates that more than 14,000 applicants are waiting in hiding",
				"Our embassy in Islamabad estimates that more than 14,000 applicants (most of them with families) are waiting in hiding", Edited}},
		},
		{
			name:    "ellipsis",
			article: "Their request is simple: “We urge the Department to reinstate the program immediately … before the winter closes the mountain passes.”",
			want: []want{{"resettlement.txt",
				"We urge the Department to reinstate the program immediately … before the winter closes the mountain passes",
				"We urge the Department to reinstate the program immediately and to fund the processing backlog before the winter closes the mountain passes", Edited}},
		},
		{
			name:    "three-dot ellipsis and bracketed ellipsis",
			article: "“Our monitors documented at least forty strikes ... in Hodeidah since January, and the coalition has not opened […] credible investigation.”",
			want: []want{{"arms.txt",
				"Our monitors documented at least forty strikes ... in Hodeidah since January, and the coalition has not opened […] credible investigation",
				"Our monitors documented at least forty strikes on markets, weddings and hospitals in Hodeidah since January, and the coalition has not opened a single credible investigation", Edited}},
		},
		{
			name:    "other quotation marks and capitals",
			article: "Le câble est clair : «THIS DECISION ABANDONS PEOPLE WHO RISKED THEIR LIVES FOR OUR MISSION», écrivent les diplomates.",
			want: []want{{"resettlement.txt",
				"THIS DECISION ABANDONS PEOPLE WHO RISKED THEIR LIVES FOR OUR MISSION",
				"This decision abandons people who risked their lives for our mission", Verbatim}},
		},
		{
			name:    "quote split by the reporter's prose",
			article: "“This decision abandons people who risked their lives,” the cable says, before adding that it “undermines the credibility of every future commitment we make to local partners.”",
			want: []want{
				{"resettlement.txt", "This decision abandons people who risked their lives", "This decision abandons people who risked their lives", Verbatim},
				{"resettlement.txt", "undermines the credibility of every future commitment we make to local partners", "undermines the credibility of every future commitment we make to local partners", Verbatim},
			},
		},
		{
			name: "two messages in one article",
			article: "Two cables reached the department this month. One warns that “approving the sale now would make the United States complicit in the next massacre.” " +
				"Another, on Afghanistan, says “we urge the Department to reinstate the program immediately and to fund the processing backlog.”",
			want: []want{
				{"arms.txt", "approving the sale now would make the United States complicit in the next massacre", "Approving the sale now would make the United States complicit in the next massacre", Verbatim},
				{"resettlement.txt", "we urge the Department to reinstate the program immediately and to fund the processing backlog", "We urge the Department to reinstate the program immediately and to fund the processing backlog", Verbatim},
			},
		},
		{
			name:    "light paraphrase",
			article: "Aid groups are alarmed. According to the cable, nurses at the Lilongwe clinic told the team that children now wait four days for a diagnosis which once took an hour. The ministry did not reply.",
			// The reporter's lead-in is not part of the passage.
			want: []want{{"health.txt",
				"nurses at the Lilongwe clinic told the team that children now wait four days for a diagnosis which once took an hour",
				"Nurses at the Lilongwe clinic told our team that children now wait four days for a diagnosis that used to take an hour", Paraphrase}},
		},
		{
			name:    "a public statement the message quotes raises nothing",
			article: "“We will never leave our partners behind, whatever the cost,” the Secretary said in March.",
		},
		{
			name:    "a few shared words outside quotes raise nothing",
			article: "Interpreters who risked their lives for the mission are still waiting, officials in Islamabad said.",
		},
		{
			name:    "a clean article on the same topic raises nothing",
			article: "The State Department said on Tuesday that it was reviewing the resettlement program for Afghan interpreters, after lawmakers of both parties urged it to clear a backlog of applications before the winter.",
		},
	}
	ix := NewIndex(testMessages(), Options{})
	msgs := map[string]string{}
	for _, m := range testMessages() {
		msgs[m.Name] = string(m.Text)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.Match(Document{Name: "article.txt", Text: []byte(tt.article)})
			var want []Finding
			for _, w := range tt.want {
				a := strings.Index(tt.article, w.article)
				m := strings.Index(msgs[w.message], w.text)
				if a < 0 || m < 0 {
					t.Fatalf("bad test: %q or %q not found", w.article, w.text)
				}
				p := Passage{a, a + len(w.article), m, m + len(w.text), w.kind}
				k := slices.IndexFunc(want, func(f Finding) bool { return f.Message == w.message })
				if k < 0 {
					want = append(want, Finding{Article: "article.txt", Message: w.message})
					k = len(want) - 1
				}
				want[k].Passages = append(want[k].Passages, p)
			}
			slices.SortFunc(want, func(a, b Finding) int { return strings.Compare(a.Message, b.Message) })
			if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".Score"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("Match mismatch (-want +got):\n%s\ngot passages:\n%s", diff, describe(tt.article, msgs, got))
			}
			for _, f := range got {
				if f.Score <= 0 || f.Score > 1 {
					t.Errorf("Match: %s score %v; want in (0, 1]", f.Message, f.Score)
				}
			}
		})
	}
}

// describe shows the texts of the passages found, for failure messages.
func describe(article string, msgs map[string]string, fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		for _, p := range f.Passages {
			fmt.Fprintf(&b, "  %s %s\n    article: %q\n    message: %q\n", f.Message, p.Kind,
				article[p.ArticleStart:p.ArticleEnd], msgs[f.Message][p.MessageStart:p.MessageEnd])
		}
	}
	return b.String()
}

func TestMatchPublicText(t *testing.T) {
	t.Parallel()
	report := "Independent investigators found that the coalition struck markets, weddings and hospitals in Hodeidah on at least forty occasions since January."
	msg := "Our objection is simple. Independent investigators found that the coalition struck markets, weddings and hospitals in Hodeidah on at least forty occasions since January. " +
		"Selling the coalition more precision-guided bombs before a credible inquiry would betray every assurance our ambassador gave the families of the victims."
	article := "A United Nations report was blunt: “independent investigators found that the coalition struck markets, weddings and hospitals in Hodeidah on at least forty occasions since January.”"
	leak := "The cable warns that “selling the coalition more precision-guided bombs before a credible inquiry would betray every assurance our ambassador gave the families of the victims.”"
	msgs := []Document{{Name: "m.txt", Text: []byte(msg)}}
	tests := []struct {
		name    string
		opts    Options
		article string
		want    int // findings
	}{
		{"without the public text, the shared passage is found", Options{}, article, 1},
		{"with the public text, it is not", Options{Public: []Document{{Name: "report", Text: []byte(report)}}}, article, 0},
		{"the message's own words are still found", Options{Public: []Document{{Name: "report", Text: []byte(report)}}}, leak, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewIndex(msgs, tt.opts).Match(Document{Name: "a", Text: []byte(tt.article)})
			if len(got) != tt.want {
				t.Errorf("Match = %d findings; want %d\n%s", len(got), tt.want, describe(tt.article, map[string]string{"m.txt": msg}, got))
			}
		})
	}
}

func TestMatchSharedBoilerplate(t *testing.T) {
	t.Parallel()
	boiler := "This message is submitted through the Dissent Channel in accordance with the procedures of the Foreign Affairs Manual, and its authors ask that it be distributed to the Secretary."
	own := []string{
		"The decision to close the consulate in Erbil leaves thousands of visa applicants without any place to apply.",
		"Cutting the exchange programs in Central Asia will cost us a generation of young leaders who admire American universities.",
		"The new export rules on surveillance software are too weak to stop sales to governments that jail their journalists.",
	}
	var msgs []Document
	for i, o := range own {
		msgs = append(msgs, Document{Name: fmt.Sprintf("m%d.txt", i), Text: []byte(boiler + " " + o)})
	}
	ix := NewIndex(msgs, Options{})
	tests := []struct {
		name, article string
		want          []string // messages found
	}{
		{"boilerplate shared by three messages", "One cable opens: “" + boiler + "”", nil},
		{"the words of one message", "It warns that “cutting the exchange programs in Central Asia will cost us a generation of young leaders.”", []string{"m1.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range ix.Match(Document{Name: "a", Text: []byte(tt.article)}) {
				got = append(got, f.Message)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Match found %v; want %v", got, tt.want)
			}
		})
	}
}

func TestMatchOffsetsAreBytesOfTheOriginal(t *testing.T) {
	t.Parallel()
	// Multi-byte characters before and inside the passage, and a message
	// in decomposed form (e + combining acute) against a composed article.
	msg := "Le ministère a décidé de suspendre le programme d’accueil des réfugiés afghans sans consulter l’ambassade à Islamabad."
	msgNFD := strings.ReplaceAll(msg, "é", "e\u0301")
	article := "Ｐａｒｉｓ — « Le ministère a décidé de suspendre le programme d'accueil des réfugiés afghans sans consulter l'ambassade », dit le texte."
	ix := NewIndex([]Document{{Name: "m", Text: []byte(msgNFD)}}, Options{})
	got := ix.Match(Document{Name: "a", Text: []byte(article)})
	if len(got) != 1 || len(got[0].Passages) != 1 {
		t.Fatalf("Match = %+v; want one passage", got)
	}
	p := got[0].Passages[0]
	if a, want := article[p.ArticleStart:p.ArticleEnd], "Le ministère a décidé de suspendre le programme d'accueil des réfugiés afghans sans consulter l'ambassade"; a != want {
		t.Errorf("article passage = %q; want %q", a, want)
	}
	if m, want := msgNFD[p.MessageStart:p.MessageEnd], strings.ReplaceAll("Le ministère a décidé de suspendre le programme d’accueil des réfugiés afghans sans consulter l’ambassade", "é", "e\u0301"); m != want {
		t.Errorf("message passage = %q; want %q", m, want)
	}
	if p.Kind != Verbatim {
		t.Errorf("kind = %s; want verbatim", p.Kind)
	}
}

func TestMatchJSON(t *testing.T) {
	t.Parallel()
	f := Finding{Article: "a.txt", Message: "m.txt", Score: 0.5, Passages: []Passage{{1, 2, 3, 4, Edited}}}
	got, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"article":"a.txt","message":"m.txt","score":0.5,"passages":[{"article_start":1,"article_end":2,"message_start":3,"message_end":4,"kind":"edited"}]}`
	if string(got) != want {
		t.Errorf("json.Marshal = %s; want %s", got, want)
	}
}

func TestWriteJSONLines(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		{Article: "a.txt", Message: "m.txt", Score: 1, Passages: []Passage{{0, 5, 10, 15, Verbatim}}},
		{Article: "b.txt", Message: "m.txt", Score: 0.25, Passages: []Passage{{1, 2, 3, 4, Paraphrase}}},
	}
	var b bytes.Buffer
	if err := WriteJSONLines(&b, fs); err != nil {
		t.Fatal(err)
	}
	want := `{"article":"a.txt","message":"m.txt","score":1,"passages":[{"article_start":0,"article_end":5,"message_start":10,"message_end":15,"kind":"verbatim"}]}
{"article":"b.txt","message":"m.txt","score":0.25,"passages":[{"article_start":1,"article_end":2,"message_start":3,"message_end":4,"kind":"paraphrase"}]}
`
	if got := b.String(); got != want {
		t.Errorf("WriteJSONLines wrote\n%s\nwant\n%s", got, want)
	}
}

func TestMatchAllOrderAndConcurrency(t *testing.T) {
	t.Parallel()
	articles := []Document{
		{Name: "b.txt", Text: []byte("“Approving the sale now would make the United States complicit in the next massacre,” it says. “We urge the Department to reinstate the program immediately and to fund the processing backlog.”")},
		{Name: "a.txt", Text: []byte("Nurses said “children now wait four days for a diagnosis that used to take an hour.”")},
		{Name: "c.txt", Text: []byte("Nothing to see here.")},
	}
	got := MatchAll(testMessages(), articles, Options{})
	var order []string
	for _, f := range got {
		order = append(order, f.Article+" "+f.Message)
	}
	want := []string{"a.txt health.txt", "b.txt arms.txt", "b.txt resettlement.txt"}
	if !slices.Equal(order, want) {
		t.Errorf("MatchAll order = %q; want %q", order, want)
	}

	// Concurrent Match calls on one index give the same results as
	// sequential ones (run with -race).
	ix := NewIndex(testMessages(), Options{})
	seq := make([][]Finding, len(articles))
	for i, a := range articles {
		seq[i] = ix.Match(a)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i, a := range articles {
				if diff := cmp.Diff(seq[i], ix.Match(a)); diff != "" {
					t.Errorf("concurrent Match(%s) differs:\n%s", a.Name, diff)
				}
			}
		})
	}
	wg.Wait()
}

func TestMatchEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		messages []Document
		article  string
	}{
		{"no messages", nil, "anything at all"},
		{"empty message", []Document{{Name: "m", Text: nil}}, "anything at all"},
		{"empty article", testMessages(), ""},
		{"punctuation only", testMessages(), "“…” — [ ] ( ) ... !!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewIndex(tt.messages, Options{}).Match(Document{Name: "a", Text: []byte(tt.article)}); len(got) != 0 {
				t.Errorf("Match = %+v; want nothing", got)
			}
		})
	}
}

func TestMatchDeterministic(t *testing.T) {
	t.Parallel()
	article := []byte("“This decision abandons people who risked their lives,” the cable says. Nurses told the team that “children now wait four days for a diagnosis.” " +
		"“Approving the sale now would make the United States complicit in the next massacre.”")
	first := NewIndex(testMessages(), Options{}).Match(Document{Name: "a", Text: article})
	for range 5 {
		got := NewIndex(testMessages(), Options{}).Match(Document{Name: "a", Text: bytes.Clone(article)})
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("Match is not deterministic:\n%s", diff)
		}
	}
}
