package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

func reportCmd(e *env) *cobra.Command {
	var f storeFlags
	var filter dissent.StatsFilter
	var threshold int
	var format string
	c := &cobra.Command{
		Use:   "report",
		Short: "Print the public transparency report: counts and timeliness, nobody named, small counts withheld",
		Long: `report prints the statistics of SPEC §6 for publication: counts by month, organization, outcome and
signature count, and the shares of messages acknowledged within 2 working days and replied within 30
and 60. It names no one and no message; a count under --threshold is withheld, and so is the next
smallest count of its group when it alone could be recovered from the total.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if threshold < 2 {
				return fmt.Errorf("--threshold must be at least 2")
			}
			if format != "json" && format != "csv" && format != "text" {
				return fmt.Errorf("--format: want json, csv or text, not %q", format)
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				r, err := d.svc.PublicReport(cmd.Context(), dissent.System, filter, threshold)
				if err != nil {
					return err
				}
				switch format {
				case "json":
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(r)
				case "csv":
					return writeReportCSV(e.stdout, r)
				}
				return writeReportText(e.stdout, r)
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&filter.Org, "org", "", "only messages from this organization")
	c.Flags().StringVar(&filter.From, "from", "", "only messages submitted on or after this date (YYYY-MM-DD, the office's zone)")
	c.Flags().StringVar(&filter.To, "to", "", "only messages submitted on or before this date (YYYY-MM-DD)")
	c.Flags().IntVar(&threshold, "threshold", dissent.DefaultReportThreshold, "the smallest count shown; smaller ones are withheld")
	c.Flags().StringVar(&format, "format", "text", "json, csv or text")
	return c
}

func cell(c dissent.ReportCount) string {
	if c.Withheld {
		return "withheld"
	}
	if c.Count == nil {
		return ""
	}
	return strconv.Itoa(*c.Count)
}

func shareText(s dissent.ReportShare) string {
	switch {
	case s.Withheld:
		return "withheld (too few due)"
	case s.Percent == nil:
		return "— (none due yet)"
	}
	return fmt.Sprintf("%.0f %% of %d", *s.Percent, *s.Due)
}

func groups(r dissent.PublicReport) []struct {
	name   string
	counts []dissent.ReportCount
} {
	return []struct {
		name   string
		counts []dissent.ReportCount
	}{{"month", r.ByMonth}, {"organization", r.ByOrg}, {"outcome", r.ByOutcome}, {"signatures", r.Signers}, {"topic", r.ByTopic}, {"tier", r.ByTier}}
}

// writeReportCSV writes one row a count: group,label,count.
func writeReportCSV(w io.Writer, r dissent.PublicReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"group", "label", "count"})
	_ = cw.Write([]string{"total", "submitted", cell(r.Submitted)})
	for _, g := range groups(r) {
		for _, c := range g.counts {
			_ = cw.Write([]string{g.name, c.Label, cell(c)})
		}
	}
	for _, s := range []struct {
		label string
		s     dissent.ReportShare
	}{{"acknowledged within 2 working days", r.AckWithin2}, {"replied within 30 working days", r.ReplyWithin30}, {"replied within 60 working days", r.ReplyWithin60}} {
		_ = cw.Write([]string{"timeliness", s.label, shareText(s.s)})
	}
	cw.Flush()
	return cw.Error()
}

func writeReportText(w io.Writer, r dissent.PublicReport) error {
	fmt.Fprintf(w, "Dissent channel — public report as of %s (counts under %d withheld)\n", r.AsOf, r.Threshold)
	fmt.Fprintf(w, "Messages submitted: %s\n", cell(r.Submitted))
	for _, g := range groups(r) {
		fmt.Fprintf(w, "\nBy %s:\n", g.name)
		for _, c := range g.counts {
			fmt.Fprintf(w, "  %-24s %s\n", c.Label, cell(c))
		}
	}
	fmt.Fprintf(w, "\nAcknowledged within 2 working days: %s\n", shareText(r.AckWithin2))
	fmt.Fprintf(w, "Replied within 30 working days:     %s\n", shareText(r.ReplyWithin30))
	_, err := fmt.Fprintf(w, "Replied within 60 working days:     %s\n", shareText(r.ReplyWithin60))
	return err
}
