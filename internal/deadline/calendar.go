// Package deadline computes working days and due dates for a dissent channel.
//
// A Calendar belongs to one organization: its time zone, Saturdays and
// Sundays off, the US federal holidays on their observed dates, and extra
// closures (an executive-order closing, a snow day) given as data. A
// deadline is the end of the Nth working day after the day of submission,
// counted in the calendar's zone; the day of submission itself never counts.
// Days are always civil dates in the calendar's zone, never in UTC: a message
// sent at 23:00 on a Friday in New York was sent on a Friday, though it was
// already Saturday in UTC.
//
// Calendars are immutable and safe for concurrent use. The functions here
// are pure: the current time is always an argument, never read from a clock.
// The one exception is Sweeper (sweeper.go), the runner that calls the
// Service's deadline sweep on one instance at a time, under a database lease.
package deadline

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A Calendar says which civil dates are working days in one time zone. Use
// New to make one; the zero Calendar is not usable.
type Calendar struct {
	loc *time.Location
	// closures holds the extra closures that remove a working day: sorted,
	// distinct, and without weekends or federal holidays, which are closed
	// anyway.
	closures []day
}

// closureLayout is the only form an extra closure may take.
const closureLayout = "2006-01-02"

// New returns a calendar in the zone loc with Saturdays and Sundays off, the
// US federal holidays on their observed dates (a holiday on a Saturday is
// observed on the Friday before, one on a Sunday on the Monday after, even
// across a new year: New Year's Day 2022 was observed on Friday 31 December
// 2021; Juneteenth from 2021; Inauguration Day, a holiday only around
// Washington, is not included), and the extra closures, each a civil date
// "YYYY-MM-DD" in the zone loc.
//
// Every error New returns is the caller's: a nil loc or a malformed closure,
// which the error quotes.
func New(loc *time.Location, closures []string) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("new calendar: nil location")
	}
	c := &Calendar{loc: loc}
	for _, s := range closures {
		t, err := time.Parse(closureLayout, s)
		if err != nil {
			return nil, fmt.Errorf("parse closure %q: want a date as YYYY-MM-DD: %w", s, err)
		}
		d := dayOfCivil(t.Date())
		if d.weekend() || federal().has(d) {
			continue
		}
		c.closures = append(c.closures, d)
	}
	slices.Sort(c.closures)
	c.closures = slices.Compact(c.closures)
	return c, nil
}

// Location returns the calendar's time zone, in which every civil date is
// taken and every due time is given.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether the civil date of t in the calendar's zone is
// a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := c.dayOf(t)
	if d.weekend() || federal().has(d) {
		return false
	}
	_, closed := slices.BinarySearch(c.closures, d)
	return !closed
}

// Due returns the end of the nth working day after the day of t: the last
// instant of that civil date in the calendar's zone, 23:59:59.999999999
// unless the zone's clock skips midnight that day. The day of t itself never
// counts, whether or not it is a working day.
//
// For n <= 0 Due returns the end of the day of t, which is never later than
// any real deadline. Due takes time proportional to n.
func (c *Calendar) Due(t time.Time, n int) time.Time {
	d := c.dayOf(t)
	if n <= 0 {
		return c.endOf(d)
	}
	fed := federal()
	i, _ := slices.BinarySearch(c.closures, d+1) // first closure after d
	for n > 0 {
		d++
		if d.weekend() || fed.has(d) {
			continue
		}
		for i < len(c.closures) && c.closures[i] < d {
			i++
		}
		if i < len(c.closures) && c.closures[i] == d {
			continue
		}
		n--
	}
	return c.endOf(d)
}

// WorkingDaysBetween counts the working days strictly after the day of from
// up to and including the day of to, both taken in the calendar's zone. It
// is 0 if the day of to is not after the day of from. For every n >= 1,
// WorkingDaysBetween(t, c.Due(t, n)) == n.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := c.dayOf(from), c.dayOf(to)
	if b <= a {
		return 0
	}
	// Counted, not walked day by day (the statistics count it for every
	// message): the weekdays in (a, b], less the federal holidays and the
	// extra closures among them. Closures are never weekends or federal
	// holidays (New), so none is subtracted twice.
	n := weekdaysBefore(b+1) - weekdaysBefore(a+1)
	n -= federal().weekdaysIn(a+1, b)
	lo, _ := slices.BinarySearch(c.closures, a+1)
	hi, _ := slices.BinarySearch(c.closures, b+1)
	return n - (hi - lo)
}

// weekdaysBefore counts the days from Monday to Friday before d since the
// epoch (negative before it), so that the weekdays of [a, b) are
// weekdaysBefore(b) - weekdaysBefore(a).
func weekdaysBefore(d day) int {
	weeks := day(floorDiv(int64(d), 7))
	n := int(weeks) * 5
	for x := weeks * 7; x < d; x++ { // at most six days
		if !x.weekend() {
			n++
		}
	}
	return n
}

// dayOf returns the civil date of t in the calendar's zone.
func (c *Calendar) dayOf(t time.Time) day {
	_, off := t.In(c.loc).Zone()
	return day(floorDiv(t.Unix()+int64(off), secondsPerDay))
}

// endOf returns the last instant of the civil date d in the calendar's zone:
// the instant before the first one whose local date is later than d.
//
// time.Date cannot give it directly: where a zone changes its offset at
// midnight, 24:00 may not exist or may exist twice, as may 23:59:59, and
// time.Date does not promise which instant it picks. So endOf tries the
// instants at which a clock at the offset of noon on d, then at that of noon
// on the next day, reads 24:00, and keeps the one after which the date
// changes. (time.Time.ZoneBounds cannot be trusted to step from change to
// change: past the zone's last listed transition it reports the ends of
// years as bounds.)
func (c *Calendar) endOf(d day) time.Time {
	y, m, dd := d.date()
	noon := [2]time.Time{
		time.Date(y, m, dd, 12, 0, 0, 0, c.loc),
		time.Date(y, m, dd+1, 12, 0, 0, 0, c.loc),
	}
	midnight := int64(d+1) * secondsPerDay // 24:00 of d on a clock at UTC
	for _, t := range noon {
		_, off := t.Zone()
		next := time.Unix(midnight-int64(off), 0).In(c.loc)
		if end := next.Add(-time.Nanosecond); c.dayOf(end) == d && c.dayOf(next) > d {
			return end
		}
	}
	// The offset changed across midnight in a way neither clock catches (say
	// 23:30 straight to 00:30): search for the change between the two noons.
	lo, hi := noon[0], noon[1]
	for hi.Sub(lo) > time.Nanosecond {
		mid := lo.Add(hi.Sub(lo) / 2)
		if c.dayOf(mid) > d {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo
}

// A day is a civil date, counted in days from 1970-01-01 (day 0).
type day int64

const secondsPerDay = 24 * 60 * 60

func dayOfCivil(y int, m time.Month, d int) day {
	// Midnight UTC is a whole number of days from the epoch.
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

// weekend reports whether d is a Saturday or a Sunday.
func (d day) weekend() bool {
	// Day 0, 1970-01-01, was a Thursday.
	wd := time.Weekday(floorMod(int64(d)+int64(time.Thursday), 7))
	return wd == time.Saturday || wd == time.Sunday
}

// floorDiv and floorMod round towards minus infinity, as days before 1970
// need; b must be positive.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
