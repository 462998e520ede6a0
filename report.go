package dissent

import (
	"context"
	"time"
)

// The public transparency report of SPEC §6: the statistics of the channel
// with nothing that names a person or a message, and every count small
// enough to point at someone suppressed. A count n with 0 < n < Threshold
// is withheld; where a group of counts adds up to a published total and only
// one count of it is withheld, the next smallest is withheld too, so that no
// withheld count can be recovered by subtraction. Shares and medians are
// published only when they rest on at least Threshold messages.

// DefaultReportThreshold is the smallest count the public report shows.
const DefaultReportThreshold = 5

// ReportCount is one published count; Count is nil when it is withheld.
type ReportCount struct {
	Label    string `json:"label"`
	Count    *int   `json:"count"`
	Withheld bool   `json:"withheld,omitempty"`
}

// ReportShare is a share of messages that met a deadline, published only
// when at least Threshold messages were due.
type ReportShare struct {
	Percent  *float64 `json:"percent"`
	Due      *int     `json:"due"`
	Withheld bool     `json:"withheld,omitempty"`
}

// PublicReport is the transparency report.
type PublicReport struct {
	From      string        `json:"from,omitempty"`
	To        string        `json:"to,omitempty"`
	Org       string        `json:"org,omitempty"`
	AsOf      string        `json:"as_of"`
	Threshold int           `json:"threshold"`
	Submitted ReportCount   `json:"submitted"`
	ByMonth   []ReportCount `json:"by_month"`
	ByOrg     []ReportCount `json:"by_organization"`
	ByOutcome []ReportCount `json:"by_outcome"`
	Signers   []ReportCount `json:"signature_counts"`
	ByTopic   []ReportCount `json:"by_topic"`
	ByTier    []ReportCount `json:"by_tier"`
	// Timeliness: acknowledged within 2 working days, replied within 30
	// and within 60.
	AckWithin2      ReportShare `json:"acknowledged_within_2_working_days"`
	ReplyWithin30   ReportShare `json:"replied_within_30_working_days"`
	ReplyWithin60   ReportShare `json:"replied_within_60_working_days"`
	MedianAckDays   *float64    `json:"median_working_days_to_acknowledge"`
	MedianReplyDays *float64    `json:"median_working_days_to_reply"`
}

// Suppress turns statistics into the public report with threshold k (at
// least 2; smaller values take DefaultReportThreshold). It is a pure
// function of st.
func Suppress(st Stats, k int) PublicReport {
	if k < 2 {
		k = DefaultReportThreshold
	}
	r := PublicReport{From: st.Filter.From, To: st.Filter.To, Org: st.Filter.Org, AsOf: st.AsOf.UTC().Format(time.RFC3339), Threshold: k}
	total := suppressGroup([]StatsCount{{"submitted", st.Submitted}}, k)
	r.Submitted = total[0]
	for _, g := range []struct {
		in  []StatsCount
		out *[]ReportCount
	}{{st.ByMonth, &r.ByMonth}, {st.ByOrg, &r.ByOrg}, {st.ByState, &r.ByOutcome}, {st.Signers, &r.Signers},
		{st.ByTopic, &r.ByTopic}, {st.ByTier, &r.ByTier}} {
		*g.out = suppressGroup(g.in, k)
	}
	tl := st.Timeliness
	r.AckWithin2 = share(tl.AckOnTime, tl.AckDue, k)
	r.ReplyWithin30 = share(tl.Reply30, tl.Reply30Due, k)
	r.ReplyWithin60 = share(tl.Reply60, tl.Reply60Due, k)
	if tl.Acknowledged >= k {
		r.MedianAckDays = &tl.MedianAckDays
	}
	if tl.Replied >= k {
		r.MedianReplyDays = &tl.MedianReplyDays
	}
	return r
}

// suppressGroup withholds the counts in (0, k) of a group, and then, while
// exactly one count is withheld, the smallest published non-zero count too.
func suppressGroup(in []StatsCount, k int) []ReportCount {
	out := make([]ReportCount, len(in))
	withheld := 0
	for i, c := range in {
		out[i].Label = c.Label
		if c.N > 0 && c.N < k {
			out[i].Withheld = true
			withheld++
			continue
		}
		n := c.N
		out[i].Count = &n
	}
	if withheld == 1 && len(in) > 1 {
		// The complementary cell: the smallest published non-zero count.
		best := -1
		for i, c := range in {
			if !out[i].Withheld && c.N > 0 && (best < 0 || c.N < in[best].N) {
				best = i
			}
		}
		if best >= 0 {
			out[best].Count, out[best].Withheld = nil, true
		}
	}
	return out
}

func share(n, due, k int) ReportShare {
	if due < k {
		return ReportShare{Withheld: due > 0}
	}
	p := Percent(n, due)
	d := due
	return ReportShare{Percent: &p, Due: &d}
}

// PublicReport computes the transparency report over every submitted
// message. Only the command line (the System actor, which holds the data
// directory), the compliance monitor and the channel office may make it:
// it is for publication, but its inputs are not. No text is opened.
func (s *Service) PublicReport(ctx context.Context, a Actor, f StatsFilter, k int) (PublicReport, error) {
	if err := permit(a, ActMakeReport); err != nil {
		return PublicReport{}, err
	}
	if a.ID != System.ID {
		// Everyone's report covers every message, whoever asks for it.
		a = System
	}
	st, err := s.statistics(ctx, a, f)
	if err != nil {
		return PublicReport{}, err
	}
	return Suppress(st, k), nil
}

// PublishedReport is the transparency report as the deployment publishes it
// at /report and GET /api/v1/report: over every submitted message, with the
// default threshold. It is public by design (SPEC §6): it names no one and
// no message, and withholds every small count.
func (s *Service) PublishedReport(ctx context.Context) (PublicReport, error) {
	return s.PublicReport(ctx, System, StatsFilter{}, DefaultReportThreshold)
}
