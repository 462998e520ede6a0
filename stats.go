package dissent

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Statistics of SPEC §6, from metadata only: counts, clocks and signature
// counts, never text and never names. Every reader's statistics count every
// submitted message, whatever the reader's recusal: a count that left out
// the messages an officer is recused from would tell them that someone they
// supervise takes part in one (issue 11).

// StatsFilter narrows the statistics to an organization and a period of
// submission (civil dates in the channel office's zone, both included).
type StatsFilter struct {
	Org  string
	From string // YYYY-MM-DD or ""
	To   string // YYYY-MM-DD or ""
}

// StatsCount is one bar of a chart.
type StatsCount struct {
	Label string
	N     int
}

// Timeliness measures the channel office against its clocks. A message is
// due for a measure once its outcome is known: it was acknowledged (or
// replied), or its deadline has passed while it still waited. Messages
// withdrawn or redirected before their deadline are not due.
type Timeliness struct {
	AckDue, AckOnTime        int // acknowledged by the end of the 2nd working day
	Reply30Due, Reply30      int // replied by the end of the 30th working day
	Reply60Due, Reply60      int // replied by the end of the 60th working day
	Acknowledged, Replied    int
	MedianAckDays            float64 // working days from submission to acknowledgement
	MedianReplyDays          float64 // working days from submission to reply
	OverdueAck, OverdueReply int     // open now and past their deadline (extensions counted)
}

// Share returns n/of as a whole percentage ("—" when of is 0), for tables.
func Share(n, of int) string {
	if of == 0 {
		return "—"
	}
	return strconv.Itoa((200*n+of)/(2*of)) + " %"
}

// Percent returns n/of in [0, 100], 0 when of is 0, for charts.
func Percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// Stats are the statistics of one filter at one time.
type Stats struct {
	Filter     StatsFilter
	AsOf       time.Time
	Submitted  int
	ByMonth    []StatsCount // month of submission, "2006-01", oldest first, at most StatsMonths
	ByOrg      []StatsCount
	ByState    []StatsCount // the outcome so far
	OpenByAge  []StatsCount // open cases by working days since submission
	Signers    []StatsCount // signature counts
	ByTopic    []StatsCount // policy topic; NoTerm for none
	ByTier     []StatsCount // distribution tier; NoTerm for none
	Timeliness Timeliness
	// Overdue lists open messages past a deadline, longest overdue first,
	// at most StatsOverdueMax: ids and clocks only.
	Overdue []InboxItem
	Orgs    []string // the organizations present, for a filter form
}

// NoTerm labels the messages without a topic or tier in the statistics.
const NoTerm = "(none)"

// termCounts lists the counts by term, in name order with NoTerm last.
func termCounts(by map[string]int) []StatsCount {
	keys := make([]string, 0, len(by))
	for k := range by {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]StatsCount, 0, len(by))
	for _, k := range keys {
		out = append(out, StatsCount{k, by[k]})
	}
	if n := by[""]; n > 0 {
		out = append(out, StatsCount{NoTerm, n})
	}
	return out
}

// StatsMonths caps the months ByMonth shows (the latest ones).
const StatsMonths = 24

// StatsOverdueMax caps Stats.Overdue.
const StatsOverdueMax = 100

var (
	ageBuckets = []struct {
		max   int
		label string
	}{{2, "0–2"}, {10, "3–10"}, {30, "11–30"}, {60, "31–60"}, {1 << 30, "over 60"}}
	signerBuckets = []struct {
		max   int
		label string
	}{{1, "1"}, {4, "2–4"}, {9, "5–9"}, {49, "10–49"}, {99, "50–99"}, {1 << 30, "100 or more"}}
	outcomeStates = []State{StateSubmitted, StateAcknowledged, StateReplied, StateClosed, StateRedirected, StateWithdrawn}
)

func (f *StatsFilter) validate() error {
	if f.Org != "" {
		if err := checkID("org", f.Org); err != nil {
			return err
		}
	}
	var from, to time.Time
	var err error
	if f.From != "" {
		if from, err = ParseDate("from", f.From); err != nil {
			return err
		}
	}
	if f.To != "" {
		if to, err = ParseDate("to", f.To); err != nil {
			return err
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return errInvalid("to", "before_from", "to must not be before from")
	}
	return nil
}

// Summarize computes the statistics of the messages at now, on the channel
// office's calendar cal and in its zone loc. It is a pure function: the
// caller has already left out the messages the reader may not see.
func Summarize(metas []MessageMeta, cal Calendar, loc *time.Location, now time.Time, f StatsFilter) Stats {
	st := Stats{Filter: f, AsOf: now}
	byOrg := map[string]int{}
	byState := map[State]int{}
	byMonth := map[string]int{}
	byTopic, byTier := map[string]int{}, map[string]int{}
	orgs := map[string]bool{}
	ages := make([]int, len(ageBuckets))
	signers := make([]int, len(signerBuckets))
	var ackDays, replyDays []int
	dues := map[int][3]time.Time{}
	days := map[int]string{}
	tl := &st.Timeliness
	for _, m := range metas {
		if m.SubmittedAt.IsZero() {
			continue
		}
		orgs[m.OrgID] = true
		// The day of submission in the office's zone, as a number (the key
		// of dues) and as text (for the filter and the months), formatted
		// once per day rather than per message.
		y, mo, dd := m.SubmittedAt.In(loc).Date()
		key := y*10000 + int(mo)*100 + dd
		day, ok := days[key]
		if !ok {
			day = time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			days[key] = day
		}
		if f.Org != "" && m.OrgID != f.Org || f.From != "" && day < f.From || f.To != "" && day > f.To {
			continue
		}
		st.Submitted++
		byOrg[m.OrgID]++
		byState[m.State]++
		byMonth[day[:7]]++
		byTopic[m.Topic]++
		byTier[m.Tier]++
		signers[bucket(signerBuckets, m.SignatureCount)]++
		open := m.Open()
		if open {
			ages[bucket(ageBuckets, cal.WorkingDaysBetween(m.SubmittedAt, now))]++
		}

		// Due depends only on the day of submission, which many messages
		// share.
		due, ok := dues[key]
		if !ok {
			due = [3]time.Time{cal.Due(m.SubmittedAt, DefaultAckDays), cal.Due(m.SubmittedAt, DefaultReplyDay), cal.Due(m.SubmittedAt, MaxReplyDays)}
			dues[key] = due
		}
		ackBy := due[0]
		switch {
		case !m.AcknowledgedAt.IsZero():
			tl.AckDue++
			tl.Acknowledged++
			if !m.AcknowledgedAt.After(ackBy) {
				tl.AckOnTime++
			}
			ackDays = append(ackDays, cal.WorkingDaysBetween(m.SubmittedAt, m.AcknowledgedAt))
		case m.State == StateSubmitted && now.After(ackBy):
			tl.AckDue++
		}
		for _, r := range []struct {
			by      time.Time
			due, ok *int
		}{{due[1], &tl.Reply30Due, &tl.Reply30}, {due[2], &tl.Reply60Due, &tl.Reply60}} {
			by := r.by
			switch {
			case !m.RepliedAt.IsZero():
				*r.due++
				if !m.RepliedAt.After(by) {
					*r.ok++
				}
			case open && now.After(by):
				*r.due++
			}
		}
		if !m.RepliedAt.IsZero() {
			tl.Replied++
			replyDays = append(replyDays, cal.WorkingDaysBetween(m.SubmittedAt, m.RepliedAt))
		}
		if u := urgencyOf(cal, m, now); u.Level == UrgencyOverdue {
			if u.Clock == "acknowledge" {
				tl.OverdueAck++
			} else {
				tl.OverdueReply++
			}
			st.Overdue = append(st.Overdue, InboxItem{MessageMeta: inZone(m, loc), Urgency: u})
		}
	}
	tl.MedianAckDays, tl.MedianReplyDays = median(ackDays), median(replyDays)

	for o := range orgs {
		st.Orgs = append(st.Orgs, o)
	}
	slices.Sort(st.Orgs)
	for _, o := range st.Orgs {
		if n := byOrg[o]; n > 0 {
			st.ByOrg = append(st.ByOrg, StatsCount{o, n})
		}
	}
	for _, s := range outcomeStates {
		st.ByState = append(st.ByState, StatsCount{string(s), byState[s]})
	}
	for i, b := range ageBuckets {
		st.OpenByAge = append(st.OpenByAge, StatsCount{b.label, ages[i]})
	}
	for i, b := range signerBuckets {
		st.Signers = append(st.Signers, StatsCount{b.label, signers[i]})
	}
	st.ByMonth = months(byMonth)
	st.ByTopic, st.ByTier = termCounts(byTopic), termCounts(byTier)
	slices.SortFunc(st.Overdue, func(x, y InboxItem) int { return compareUrgency(&x.MessageMeta, x.Urgency, &y.MessageMeta, y.Urgency) })
	if len(st.Overdue) > StatsOverdueMax {
		st.Overdue = st.Overdue[:StatsOverdueMax]
	}
	return st
}

// months lists every month from the first to the last with a count, zeros
// included, keeping the latest StatsMonths.
func months(by map[string]int) []StatsCount {
	if len(by) == 0 {
		return nil
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first, _ := time.Parse("2006-01", keys[0])
	last, _ := time.Parse("2006-01", keys[len(keys)-1])
	var out []StatsCount
	for t := first; !t.After(last); t = t.AddDate(0, 1, 0) {
		k := t.Format("2006-01")
		out = append(out, StatsCount{k, by[k]})
	}
	if len(out) > StatsMonths {
		out = out[len(out)-StatsMonths:]
	}
	return out
}

func bucket(bs []struct {
	max   int
	label string
}, n int) int {
	for i, b := range bs {
		if n <= b.max {
			return i
		}
	}
	return len(bs) - 1
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return float64(xs[n/2])
	}
	return float64(xs[n/2-1]+xs[n/2]) / 2
}

// Statistics computes the statistics over every submitted message, for the
// channel office and the compliance monitor alike: the same figures for a
// recused officer as for any other. No text is opened and no read is
// recorded.
func (s *Service) Statistics(ctx context.Context, a Actor, f StatsFilter) (Stats, error) {
	if err := permit(a, ActReadStatistics); err != nil {
		return Stats{}, err
	}
	return s.statistics(ctx, a, f)
}

// statistics computes the statistics over every submitted message. The
// reader's relations are not read: nothing in the figures depends on them.
func (s *Service) statistics(ctx context.Context, a Actor, f StatsFilter) (Stats, error) {
	if err := f.validate(); err != nil {
		return Stats{}, err
	}
	var st Stats
	err := s.store.View(ctx, func(tx Tx) error {
		now := s.now().UTC()
		cal, err := s.officeCalendar(ctx, tx)
		if err != nil {
			return err
		}
		_, loc, err := officeOrg(ctx, tx)
		if err != nil {
			return err
		}
		metas, err := tx.SubmittedMeta(ctx, MetaQuery{Now: now})
		if err != nil {
			return err
		}
		st = Summarize(metas, cal, loc, now, f)
		return nil
	})
	return st, err
}
