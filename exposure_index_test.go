package dissent_test

import (
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/exposure"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestExposureIndexCatchesUp checks that an instance's index, once built,
// learns of messages submitted later: by adding them when they are still
// unscanned, and by listing every submitted message when another instance
// has scanned them already.
func TestExposureIndexCatchesUp(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter := p["drafter@state.example"]
	officer := p["officer@state.example"].Actor
	// A second instance on the same database.
	other := dissent.NewService(dissent.ServiceConfig{Store: e.DB, AuditLog: e.Log, Now: e.Clock.Now,
		Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
			return deadline.New(loc, closures)
		}})
	other.SetExposureEngine(exposure.Engine(exposure.Options{}))

	ingest := func(svc *dissent.Service, body string) {
		t.Helper()
		if _, _, err := svc.IngestArticle(ctx, dissent.SourceDirectory, 0, dissent.ArticleInput{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	// This instance builds its index before any submission.
	ingest(e.Svc, "A report on the weather in the capital, with nothing quoted.")

	tests := []struct {
		name  string
		body  string
		quote string
		scan  *dissent.Service // scans the message before this instance sees it; nil: nobody
	}{
		{"unscanned: added from the unscanned messages", leakBody,
			"the pause leaves families who waited four years with expired medical clearances", nil},
		{"scanned elsewhere: added from the full list",
			"The consular backlog in Islamabad now exceeds forty thousand cases and grows by nine hundred every week while the section stays closed.",
			"the consular backlog in Islamabad now exceeds forty thousand cases and grows by nine hundred every week", other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := submittedBody(t, e, drafter, tt.body)
			if tt.scan != nil {
				if _, err := tt.scan.ScanExposure(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ingest(e.Svc, "ISLAMABAD — Officials wrote that “"+tt.quote+",” according to a cable seen this week.")
			fs := must(e.Svc.ExposureFindings(ctx, officer))
			found := false
			for _, f := range fs {
				found = found || f.MessageID == m.ID
			}
			if !found {
				t.Errorf("no finding for the message submitted after the index was built; findings = %+v", fs)
			}
		})
	}
}
