package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// TestPublicReport: /report and /api/v1/report need no sign-in, hold the
// numbers of `dissent report` (Service.PublicReport), and answer 304 to a
// client that holds the same numbers; a new submission changes the ETag.
func TestPublicReport(t *testing.T) {
	e, c, p, _ := newServer(t, 0)
	addVocab(t, e.Svc, p["admin@state.example"].Actor)
	drafter := p["drafter@state.example"].Actor
	for i := range 6 {
		d := dissent.Draft{Title: "T", Body: "B"}
		if i < 5 {
			topic := "Trade"
			d.Topic = &topic
		}
		m, err := e.Svc.CreateMessage(ctx, drafter, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path, etag string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", c.url+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := get("/api/v1/report", "")
	if code != 200 {
		t.Fatalf("GET /api/v1/report = %d %s", code, body)
	}
	var got dissent.PublicReport
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want, _ := e.Svc.PublicReport(ctx, dissent.System, dissent.StatsFilter{}, dissent.DefaultReportThreshold)
	got.AsOf, want.AsOf = "", ""
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("API report = %s; want the numbers of dissent report %s", gb, wb)
	}
	if *got.Submitted.Count != 6 || len(got.ByTopic) != 2 || !got.ByTopic[1].Withheld {
		t.Errorf("report = %s; want 6 submitted, Trade 5 and (none) withheld", gb)
	}
	etag := h.Get("ETag")
	if code, _, _ := get("/api/v1/report", etag); etag == "" || code != http.StatusNotModified {
		t.Errorf("GET with If-None-Match %s = %d; want 304", etag, code)
	}

	code, page, ph := get("/report", "")
	if code != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, `id="report-table"`) || !strings.Contains(page, "Trade") {
		t.Fatalf("GET /report = %d; want the page with an SVG chart and the table", code)
	}
	if strings.Contains(page, "drafter@") || strings.Contains(page, "Name of") {
		t.Errorf("the public report names someone")
	}
	if code, _, _ := get("/report", ph.Get("ETag")); code != http.StatusNotModified {
		t.Errorf("GET /report again = %d; want 304", code)
	}
	m, _ := e.Svc.CreateMessage(ctx, drafter, dissent.Draft{Title: "T", Body: "B"})
	if _, err := e.Svc.Submit(ctx, drafter, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	if code, _, h2 := get("/report", ph.Get("ETag")); code != 200 || h2.Get("ETag") == ph.Get("ETag") {
		t.Errorf("after a submission /report = %d with ETag %s; want 200 and a new ETag", code, h2.Get("ETag"))
	}
}

// TestStatisticsAndFindingsAPI: /api/v1/statistics holds the CSV's rows and
// the same access; /api/v1/findings answers those who may see findings.
func TestStatisticsAndFindingsAPI(t *testing.T) {
	_, c, p, _ := newServer(t, 0)
	code, out := c.call("GET", "/api/v1/statistics", p["monitor@state.example"].Token, nil)
	rows, _ := out["rows"].([]any)
	if code != 200 || len(rows) < 5 {
		t.Fatalf("monitor's statistics = %d %v", code, out)
	}
	if code, _ := c.call("GET", "/api/v1/statistics", p["drafter@state.example"].Token, nil); code != 403 {
		t.Errorf("drafter's statistics = %d; want 403", code)
	}
	if code, _ := c.call("GET", "/api/v1/statistics?from=2023-13-01", p["monitor@state.example"].Token, nil); code != 400 {
		t.Errorf("bad filter = %d; want 400", code)
	}
	code, out = c.call("GET", "/api/v1/findings", p["officer@state.example"].Token, nil)
	if _, ok := out["findings"]; code != 200 || !ok {
		t.Errorf("officer's findings = %d %v", code, out)
	}
	if code, _ := c.call("GET", "/api/v1/findings", "", nil); code != 401 {
		t.Errorf("findings without a token = %d; want 401", code)
	}
}
