package dissent

import (
	"context"
	"maps"
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
	acc := newStatsAcc(cal, loc, now, f)
	for _, m := range metas {
		acc.add(m, 1)
	}
	return acc.stats()
}

// statsAcc sums the statistics of one filter at one instant message by
// message. add with d = -1 takes a message back out, so that a change to a
// few messages updates the figures without a pass over all of them
// (statsCache). Every figure is a count, a histogram or a set, so taking a
// message out and putting it back in leaves them as they were.
type statsAcc struct {
	cal Calendar
	loc *time.Location
	now time.Time
	f   StatsFilter

	submitted                       int
	orgs                            map[string]int // messages by organization, whatever the filter: the filter form's choices
	byOrg, byMonth, byTopic, byTier map[string]int
	byState                         map[State]int
	ages, signers                   []int
	ackDays, replyDays              map[int]int // how many messages took each number of working days
	tl                              Timeliness  // counts only: the medians come from ackDays and replyDays
	overdue                         map[MessageID]InboxItem

	// next is the earliest instant after now at which a comparison of now
	// with an instant (a deadline) would turn; zero when none would. The
	// counts by working days depend only on now's civil date.
	next time.Time

	// Memos: the text of each day of submission, and its three due dates.
	days map[int]string
	dues map[int][3]time.Time
}

func newStatsAcc(cal Calendar, loc *time.Location, now time.Time, f StatsFilter) *statsAcc {
	return &statsAcc{cal: cal, loc: loc, now: now, f: f,
		orgs: map[string]int{}, byOrg: map[string]int{}, byMonth: map[string]int{}, byTopic: map[string]int{}, byTier: map[string]int{},
		byState: map[State]int{}, ages: make([]int, len(ageBuckets)), signers: make([]int, len(signerBuckets)),
		ackDays: map[int]int{}, replyDays: map[int]int{}, overdue: map[MessageID]InboxItem{},
		days: map[int]string{}, dues: map[int][3]time.Time{}}
}

// clone copies acc so that the copy can be changed while acc is read.
func (acc *statsAcc) clone() *statsAcc {
	c := *acc
	c.orgs, c.byOrg, c.byMonth, c.byTopic, c.byTier = maps.Clone(acc.orgs), maps.Clone(acc.byOrg), maps.Clone(acc.byMonth), maps.Clone(acc.byTopic), maps.Clone(acc.byTier)
	c.byState, c.ackDays, c.replyDays, c.overdue = maps.Clone(acc.byState), maps.Clone(acc.ackDays), maps.Clone(acc.replyDays), maps.Clone(acc.overdue)
	c.ages, c.signers = slices.Clone(acc.ages), slices.Clone(acc.signers)
	c.days, c.dues = maps.Clone(acc.days), maps.Clone(acc.dues)
	return &c
}

// after reports now.After(t), noting when the answer would turn.
func (acc *statsAcc) after(t time.Time) bool {
	if acc.now.After(t) {
		return true
	}
	if turn := t.Add(time.Nanosecond); acc.next.IsZero() || turn.Before(acc.next) {
		acc.next = turn
	}
	return false
}

// count adds d to by[k], forgetting keys that fall to zero.
func count[K comparable](by map[K]int, k K, d int) {
	if by[k] += d; by[k] == 0 {
		delete(by, k)
	}
}

// add counts m in (d = 1) or takes it back out (d = -1), at acc.now.
func (acc *statsAcc) add(m MessageMeta, d int) {
	if m.SubmittedAt.IsZero() {
		return
	}
	count(acc.orgs, m.OrgID, d)
	// The day of submission in the office's zone, as a number (the key
	// of dues) and as text (for the filter and the months), formatted
	// once per day rather than per message.
	y, mo, dd := m.SubmittedAt.In(acc.loc).Date()
	key := y*10000 + int(mo)*100 + dd
	day, ok := acc.days[key]
	if !ok {
		day = time.Date(y, mo, dd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		acc.days[key] = day
	}
	f := acc.f
	if f.Org != "" && m.OrgID != f.Org || f.From != "" && day < f.From || f.To != "" && day > f.To {
		return
	}
	cal, now, tl := acc.cal, acc.now, &acc.tl
	acc.submitted += d
	count(acc.byOrg, m.OrgID, d)
	count(acc.byState, m.State, d)
	count(acc.byMonth, day[:7], d)
	count(acc.byTopic, m.Topic, d)
	count(acc.byTier, m.Tier, d)
	acc.signers[bucket(signerBuckets, m.SignatureCount)] += d
	open := m.Open()
	if open {
		acc.ages[bucket(ageBuckets, cal.WorkingDaysBetween(m.SubmittedAt, now))] += d
	}

	// Due depends only on the day of submission, which many messages
	// share.
	due, ok := acc.dues[key]
	if !ok {
		due = [3]time.Time{cal.Due(m.SubmittedAt, DefaultAckDays), cal.Due(m.SubmittedAt, DefaultReplyDay), cal.Due(m.SubmittedAt, MaxReplyDays)}
		acc.dues[key] = due
	}
	ackBy := due[0]
	switch {
	case !m.AcknowledgedAt.IsZero():
		tl.AckDue += d
		tl.Acknowledged += d
		if !m.AcknowledgedAt.After(ackBy) {
			tl.AckOnTime += d
		}
		count(acc.ackDays, cal.WorkingDaysBetween(m.SubmittedAt, m.AcknowledgedAt), d)
	case m.State == StateSubmitted && acc.after(ackBy):
		tl.AckDue += d
	}
	for _, r := range []struct {
		by      time.Time
		due, ok *int
	}{{due[1], &tl.Reply30Due, &tl.Reply30}, {due[2], &tl.Reply60Due, &tl.Reply60}} {
		by := r.by
		switch {
		case !m.RepliedAt.IsZero():
			*r.due += d
			if !m.RepliedAt.After(by) {
				*r.ok += d
			}
		case open && acc.after(by):
			*r.due += d
		}
	}
	if !m.RepliedAt.IsZero() {
		tl.Replied += d
		count(acc.replyDays, cal.WorkingDaysBetween(m.SubmittedAt, m.RepliedAt), d)
	}
	if due := urgencyDue(m); !due.IsZero() {
		acc.after(due) // urgencyOf compares now with it
	}
	if u := urgencyOf(cal, m, now); u.Level == UrgencyOverdue {
		if u.Clock == "acknowledge" {
			tl.OverdueAck += d
		} else {
			tl.OverdueReply += d
		}
		if d > 0 {
			acc.overdue[m.ID] = InboxItem{MessageMeta: inZone(m, acc.loc), Urgency: u}
		} else {
			delete(acc.overdue, m.ID)
		}
	}
}

// urgencyDue is the deadline urgencyOf compares now with: zero for none.
func urgencyDue(m MessageMeta) time.Time {
	switch m.State {
	case StateSubmitted:
		return m.AcknowledgeBy
	case StateAcknowledged:
		return m.ReplyBy
	}
	return time.Time{}
}

// stats returns the statistics summed so far.
func (acc *statsAcc) stats() Stats {
	st := Stats{Filter: acc.f, AsOf: acc.now, Submitted: acc.submitted, Timeliness: acc.tl}
	st.Timeliness.MedianAckDays, st.Timeliness.MedianReplyDays = medianOf(acc.ackDays), medianOf(acc.replyDays)
	for o := range acc.orgs {
		st.Orgs = append(st.Orgs, o)
	}
	slices.Sort(st.Orgs)
	for _, o := range st.Orgs {
		if n := acc.byOrg[o]; n > 0 {
			st.ByOrg = append(st.ByOrg, StatsCount{o, n})
		}
	}
	for _, s := range outcomeStates {
		st.ByState = append(st.ByState, StatsCount{string(s), acc.byState[s]})
	}
	for i, b := range ageBuckets {
		st.OpenByAge = append(st.OpenByAge, StatsCount{b.label, acc.ages[i]})
	}
	for i, b := range signerBuckets {
		st.Signers = append(st.Signers, StatsCount{b.label, acc.signers[i]})
	}
	st.ByMonth = months(acc.byMonth)
	st.ByTopic, st.ByTier = termCounts(acc.byTopic), termCounts(acc.byTier)
	for _, it := range acc.overdue {
		st.Overdue = append(st.Overdue, it)
	}
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

// medianOf returns the median of the values counted in by (the mean of
// the middle two for an even count), 0 for none.
func medianOf(by map[int]int) float64 {
	n := 0
	keys := make([]int, 0, len(by))
	for k, c := range by {
		keys = append(keys, k)
		n += c
	}
	if n == 0 {
		return 0
	}
	slices.Sort(keys)
	// nth returns the value at position i (from 0) of the sorted values.
	nth := func(i int) int {
		for _, k := range keys {
			if i < by[k] {
				return k
			}
			i -= by[k]
		}
		return keys[len(keys)-1]
	}
	if n%2 == 1 {
		return float64(nth(n / 2))
	}
	return float64(nth(n/2-1)+nth(n/2)) / 2
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
// The figures come from the Service's statsCache: computed afresh only when
// the calendar, the day or a deadline crossed since; after a change to a few
// messages, only those are counted again.
func (s *Service) statistics(ctx context.Context, a Actor, f StatsFilter) (Stats, error) {
	if err := f.validate(); err != nil {
		return Stats{}, err
	}
	var st Stats
	err := s.store.View(ctx, func(tx Tx) error {
		now := s.now().UTC()
		od, err := readOfficeDays(ctx, tx)
		if err != nil {
			return err
		}
		loc := od.loc
		snap, err := tx.SubmittedSnapshot(ctx)
		if err != nil {
			return err
		}
		key := statsKey{filter: f, calendarKey: od.key()}
		day := officeDay(now, loc)
		e := s.stats.get(key)
		if e != nil && (!keptHolds(e.day, e.acc.now, e.acc.next, day, now) || e.version > snap.Version) {
			e = nil
		}
		if e != nil && e.version < snap.Version {
			// A few messages changed: count them again, out at their old
			// metadata and back in at their new. The other messages'
			// figures are the same at now as at e.acc.now: no deadline of
			// theirs passed in between, and the day is the same.
			ids, ok, err := tx.MetaChanges(ctx, e.version, snap.Version)
			if err != nil {
				return err
			}
			if ok && len(ids) <= statsRecountMax {
				acc := e.acc.clone()
				acc.now = now
				for _, id := range ids {
					if i, ok := e.snap.Index[id]; ok {
						acc.add(*e.snap.Row(i), -1)
					}
					if i, ok := snap.Index[id]; ok {
						acc.add(*snap.Row(i), 1)
					}
				}
				e = s.stats.put(key, snap, day, acc)
			} else {
				e = nil
			}
		}
		if e == nil {
			cal, err := s.calendarOf(loc, od.closures)
			if err != nil {
				return err
			}
			acc := newStatsAcc(cal, loc, now, f)
			for _, c := range snap.Chunks {
				for _, m := range c {
					acc.add(m, 1)
				}
			}
			e = s.stats.put(key, snap, day, acc)
		}
		st = e.copy(now)
		return nil
	})
	return st, err
}

// officeDay is now's civil date in the office's zone, as yyyymmdd: the
// figures kept between views count in working days, so they answer only on
// the day they were made.
func officeDay(now time.Time, loc *time.Location) int {
	y, m, d := now.In(loc).Date()
	return y*10000 + int(m)*100 + d
}

// keptHolds says whether what was computed at, on day keptDay, with next
// the first instant at which a deadline would turn it (zero: none), still
// answers at now on day: the same day, not earlier, before next.
func keptHolds(keptDay int, at, next time.Time, day int, now time.Time) bool {
	return keptDay == day && !now.Before(at) && (next.IsZero() || now.Before(next))
}

// statsCache keeps the statistics of the filters last asked for, with what
// they were summed from, so that a view of the dashboard that follows no
// change costs no pass over every message, and one that follows a change
// counts only the messages that changed. An entry answers only in the
// transaction that reads the same metadata version (or a later one, whose
// changes are then counted in), on the same civil date in the office's zone,
// before the first deadline that would turn a figure (statsAcc.next), and
// for the same calendar.
type statsCache struct {
	recent[statsKey, *statsEntry]
}

// statsCacheMax is how many filters the cache keeps; statsRecountMax is
// how many changed messages it counts again rather than summing afresh.
const (
	statsCacheMax   = 8
	statsRecountMax = 2000
)

type statsKey struct {
	filter StatsFilter
	calendarKey
}

// statsEntry is immutable once in the cache.
type statsEntry struct {
	key     statsKey
	version int64
	day     int          // now's civil date in the office's zone, yyyymmdd
	snap    MetaSnapshot // what acc summed (shared with the store's cache)
	acc     *statsAcc
	stats   Stats
}

func (c *statsCache) get(k statsKey) *statsEntry {
	e, _ := c.recent.get(k)
	return e
}

// put caches what acc summed from snap and returns the entry. A newer
// entry for the same key stays: a slower request must not put back older
// figures.
func (c *statsCache) put(k statsKey, snap MetaSnapshot, day int, acc *statsAcc) *statsEntry {
	e := &statsEntry{key: k, version: snap.Version, day: day, snap: snap, acc: acc, stats: acc.stats()}
	c.recent.put(k, e, statsCacheMax, func(kept *statsEntry) bool {
		return kept.version > e.version || kept.version == e.version && kept.day == e.day && kept.acc.now.After(acc.now)
	})
	return e
}

// copy returns the entry's statistics as of now, sharing nothing with the
// cache. The overdue messages are submitted ones, as SubmittedMeta gives
// them.
func (e *statsEntry) copy(now time.Time) Stats {
	st := e.stats
	st.AsOf = now
	for _, p := range []*[]StatsCount{&st.ByMonth, &st.ByOrg, &st.ByState, &st.OpenByAge, &st.Signers, &st.ByTopic, &st.ByTier} {
		*p = slices.Clone(*p)
	}
	st.Orgs = slices.Clone(st.Orgs)
	st.Overdue = slices.Clone(st.Overdue)
	for i := range st.Overdue {
		st.Overdue[i].Facts = Facts{Submitted: true}
	}
	return st
}
