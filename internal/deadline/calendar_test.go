package deadline

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, even where the system has no tzdata
)

func loadLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newCalendar(t testing.TB, loc *time.Location, closures ...string) *Calendar {
	t.Helper()
	c, err := New(loc, closures)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at parses an RFC 3339 time, or a local "2006-01-02 15:04" time in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	if tt, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return tt
	}
	tt, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

// endOfDay returns 23:59:59.999999999 of the date "2006-01-02" in loc.
func endOfDay(t testing.TB, loc *time.Location, date string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 999999999, loc)
}

func TestDue(t *testing.T) {
	t.Parallel()
	ny := loadLocation(t, "America/New_York")
	nyc := newCalendar(t, ny)
	utc := newCalendar(t, time.UTC)
	mondayClosed := newCalendar(t, ny, "2023-11-06")
	// Closures on a Saturday and on a holiday take no working day away.
	idleClosures := newCalendar(t, ny, "2023-11-04", "2023-11-10", "2023-11-23")
	christmasEve := newCalendar(t, ny, "2024-12-24") // closed by executive order

	tests := []struct {
		name string
		c    *Calendar
		t    string // RFC 3339, or local time in the calendar's zone
		n    int
		want string // date whose last instant is due, in the calendar's zone
	}{
		// SPEC §3: submitted Friday 3 November 2023.
		{"spec acknowledge", nyc, "2023-11-03 10:00", 2, "2023-11-07"},
		{"spec reply skips Veterans Day observed and Thanksgiving", nyc, "2023-11-03 10:00", 30, "2023-12-19"},
		{"spec outer limit skips Christmas, New Year, MLK", nyc, "2023-11-03 10:00", 60, "2024-02-02"},
		{"spec one day", nyc, "2023-11-03 10:00", 1, "2023-11-06"},

		// The day of submission never counts, working day or not.
		{"working Monday itself", nyc, "2023-11-06 08:00", 1, "2023-11-07"},
		{"submitted Saturday", nyc, "2023-11-04 09:00", 1, "2023-11-06"},
		{"submitted Saturday two days", nyc, "2023-11-04 09:00", 2, "2023-11-07"},
		{"submitted Sunday", nyc, "2023-11-05 21:00", 1, "2023-11-06"},
		{"submitted Thanksgiving", nyc, "2023-11-23 10:00", 1, "2023-11-24"},
		{"submitted Thanksgiving two days", nyc, "2023-11-23 10:00", 2, "2023-11-27"},
		{"submitted Veterans Day observed", nyc, "2023-11-10 10:00", 1, "2023-11-13"},

		// New Year's Day 2022, a Saturday, was observed on Friday 31 December 2021.
		{"New Year observed in the old year", nyc, "2021-12-30 12:00", 1, "2022-01-03"},
		{"New Year observed, two days", nyc, "2021-12-29 12:00", 2, "2022-01-03"},
		{"New Year 1991 on a Tuesday", nyc, "1990-12-31 12:00", 1, "1991-01-02"},
		{"New Year 2100 on a Friday", nyc, "2099-12-30 12:00", 2, "2100-01-04"},

		// Juneteenth from 2021 only.
		{"Juneteenth 2020 not a holiday", nyc, "2020-06-18 12:00", 1, "2020-06-19"},
		{"Juneteenth 2021 observed Friday 18", nyc, "2021-06-17 12:00", 1, "2021-06-21"},
		{"Juneteenth 2022 observed Monday 20", nyc, "2022-06-17 12:00", 1, "2022-06-21"},
		{"Juneteenth 2023 on a Monday", nyc, "2023-06-16 12:00", 1, "2023-06-20"},

		// The zone decides the day: just before and at local midnight.
		{"Thursday's last instant", nyc, "2023-11-02T23:59:59.999999999-04:00", 1, "2023-11-03"},
		{"Friday's first instant", nyc, "2023-11-03T00:00:00-04:00", 1, "2023-11-06"},
		{"Thursday evening in New York", nyc, "2023-11-03T03:00:00Z", 1, "2023-11-03"},
		{"Friday already in UTC", utc, "2023-11-03T03:00:00Z", 1, "2023-11-06"},
		{"Friday evening in New York", nyc, "2023-11-04T03:00:00Z", 2, "2023-11-07"},
		{"Saturday already in UTC", utc, "2023-11-04T03:00:00Z", 2, "2023-11-07"},
		{"Monday evening in New York, after DST", nyc, "2023-11-07T03:00:00Z", 1, "2023-11-07"},
		{"Tuesday already in UTC", utc, "2023-11-07T03:00:00Z", 1, "2023-11-08"},

		// Extra closures are data.
		{"Monday closed", mondayClosed, "2023-11-03 10:00", 2, "2023-11-08"},
		{"Monday closed, submitted that Monday", mondayClosed, "2023-11-06 10:00", 1, "2023-11-07"},
		{"Monday closed, reply", mondayClosed, "2023-11-03 10:00", 30, "2023-12-20"},
		{"idle closures", idleClosures, "2023-11-03 10:00", 2, "2023-11-07"},
		{"idle closures, reply", idleClosures, "2023-11-03 10:00", 30, "2023-12-19"},
		{"Christmas Eve 2024 closed", christmasEve, "2024-12-23 10:00", 1, "2024-12-26"},
		{"Christmas Eve 2024 open", nyc, "2024-12-23 10:00", 1, "2024-12-24"},

		// n <= 0 gives the end of the day of t.
		{"zero days", nyc, "2023-11-03 10:00", 0, "2023-11-03"},
		{"negative days", nyc, "2023-11-04 10:00", -5, "2023-11-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.c.Location()
			in := at(t, loc, tt.t)
			want := endOfDay(t, loc, tt.want)
			got := tt.c.Due(in, tt.n)
			if !got.Equal(want) || got.Location() != loc {
				t.Errorf("Due(%v, %d) = %v; want %v", in, tt.n, got, want)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	ny := loadLocation(t, "America/New_York")
	nyc := newCalendar(t, ny)
	utc := newCalendar(t, time.UTC)
	mondayClosed := newCalendar(t, ny, "2023-11-06")

	tests := []struct {
		c    *Calendar
		t    string
		want bool
	}{
		{nyc, "2023-11-03 10:00", true},  // Friday
		{nyc, "2023-11-04 10:00", false}, // Saturday
		{nyc, "2023-11-05 10:00", false}, // Sunday
		{nyc, "2023-11-10 10:00", false}, // Veterans Day (Saturday 11) observed
		{nyc, "2023-11-23 10:00", false}, // Thanksgiving
		{nyc, "2023-11-24 10:00", true},  // the day after is no federal holiday
		{nyc, "2021-12-30 10:00", true},
		{nyc, "2021-12-31 10:00", false}, // New Year's Day 2022 observed
		{nyc, "2022-01-03 10:00", true},
		{nyc, "2020-06-19 10:00", true}, // Juneteenth before 2021
		{nyc, "2021-06-18 10:00", false},
		{nyc, "2022-06-20 10:00", false},
		{nyc, "2023-06-19 10:00", false},
		{nyc, "2024-06-19 10:00", false},
		{nyc, "2021-01-20 10:00", true},     // Inauguration Day is not included
		{nyc, "2025-01-20 10:00", false},    // MLK Day, also Inauguration Day
		{nyc, "2024-12-24 10:00", true},     // closed only by executive order
		{nyc, "2023-11-04T03:00:00Z", true}, // Friday evening in New York
		{utc, "2023-11-04T03:00:00Z", false},
		{nyc, "2023-11-06 10:00", true},
		{mondayClosed, "2023-11-06 10:00", false},
		{mondayClosed, "2023-11-07 10:00", true},
	}
	for _, tt := range tests {
		in := at(t, tt.c.Location(), tt.t)
		if got := tt.c.IsWorkingDay(in); got != tt.want {
			t.Errorf("IsWorkingDay(%v) = %v; want %v", in, got, tt.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	t.Parallel()
	ny := loadLocation(t, "America/New_York")
	nyc := newCalendar(t, ny)
	utc := newCalendar(t, time.UTC)
	mondayClosed := newCalendar(t, ny, "2023-11-06")

	tests := []struct {
		c        *Calendar
		from, to string
		want     int
	}{
		{nyc, "2023-11-03 10:00", "2023-11-03 23:00", 0}, // same day
		{nyc, "2023-11-03 10:00", "2023-11-02 10:00", 0}, // to before from
		{nyc, "2023-11-03 10:00", "2023-11-05 10:00", 0}, // a weekend
		{nyc, "2023-11-03 10:00", "2023-11-06 00:00", 1},
		{nyc, "2023-11-03 10:00", "2023-11-07 10:00", 2},
		{nyc, "2023-11-03 10:00", "2023-12-19 10:00", 30},
		{nyc, "2023-11-03 10:00", "2024-02-02 10:00", 60},
		{nyc, "2023-11-04 10:00", "2023-11-07 10:00", 2}, // from a Saturday
		{nyc, "2021-12-30 10:00", "2022-01-03 10:00", 1}, // across New Year observed
		{nyc, "2023-01-01 00:00", "2023-12-31 23:00", 249},
		{nyc, "1990-01-01 00:00", "2100-12-31 00:00", 27769}, // as rickar/cal's WorkdaysInRange counts
		{mondayClosed, "2023-11-03 10:00", "2023-11-07 10:00", 1},
		// Friday evening to Monday evening in New York; Saturday to Tuesday in UTC.
		{nyc, "2023-11-04T03:00:00Z", "2023-11-07T03:00:00Z", 1},
		{utc, "2023-11-04T03:00:00Z", "2023-11-07T03:00:00Z", 2},
	}
	for _, tt := range tests {
		from, to := at(t, tt.c.Location(), tt.from), at(t, tt.c.Location(), tt.to)
		if got := tt.c.WorkingDaysBetween(from, to); got != tt.want {
			t.Errorf("WorkingDaysBetween(%v, %v) = %d; want %d", from, to, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	ny := loadLocation(t, "America/New_York")
	for _, closures := range [][]string{nil, {}, {"2023-11-06"}, {"2023-11-06", "2023-11-06", "1999-12-31"}} {
		if _, err := New(ny, closures); err != nil {
			t.Errorf("New(%v, %q) error: %v", ny, closures, err)
		}
	}
	if _, err := New(nil, nil); err == nil {
		t.Errorf("New(nil, nil) = _, nil; want an error")
	}
	for _, bad := range []string{
		"", "2023-11-6", "2023-13-01", "2023-02-29", "2023-11-31", "11/06/2023", "06-11-2023",
		" 2023-11-06", "2023-11-06 ", "2023-11-06T00:00:00Z", "20231106", "+2023-11-06", "tomorrow",
	} {
		_, err := New(ny, []string{"2023-11-07", bad})
		if err == nil {
			t.Errorf("New(%v, [2023-11-07 %q]) = _, nil; want an error", ny, bad)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("New(%v, [2023-11-07 %q]) error %q; want it to quote the closure", ny, bad, err)
		}
	}
}

// TestEndOfDay checks that Due gives the last instant of a day in zones
// that change their offset at or around midnight, where 23:59:59.999999999
// may occur twice or the next midnight not at all.
func TestEndOfDay(t *testing.T) {
	t.Parallel()
	zones := []string{
		"UTC",
		"America/New_York",
		"America/Havana",      // DST ends 01:00 -> 00:00: midnight twice
		"America/Santiago",    // DST starts 24:00 -> 01:00, ends 24:00 -> 23:00
		"America/Sao_Paulo",   // DST started at midnight until 2019
		"Asia/Beirut",         // changes at midnight
		"Australia/Lord_Howe", // half-hour DST
		"Pacific/Apia",        // skipped Friday 30 December 2011
		"Pacific/Kiritimati",  // UTC+14, skipped 31 December 1994
	}
	first, last := dayOfCivil(1990, 1, 1), dayOfCivil(2040, 12, 31)
	for _, name := range zones {
		loc := loadLocation(t, name)
		c := newCalendar(t, loc)
		for d := first; d <= last; d++ {
			y, m, dd := d.date()
			if c.dayOf(time.Date(y, m, dd, 12, 0, 0, 0, loc)) != d {
				continue // the zone skipped this date
			}
			e := c.endOf(d)
			if got, next := c.dayOf(e), c.dayOf(e.Add(time.Nanosecond)); got != d || next <= d || e.Location() != loc {
				t.Errorf("%s: endOf(%d-%02d-%02d) = %v, which is on %v, and a nanosecond later on %v",
					name, y, m, dd, e, time.Unix(int64(got)*secondsPerDay, 0).UTC().Format(time.DateOnly),
					time.Unix(int64(next)*secondsPerDay, 0).UTC().Format(time.DateOnly))
			}
		}
	}
}

// TestEndOfDayJumpOverMidnight checks a change of offset that no clock
// reading of 24:00 catches: from 23:30 at UTC+0 straight to 00:30 at UTC+1.
func TestEndOfDayJumpOverMidnight(t *testing.T) {
	t.Parallel()
	jump := time.Date(2023, 11, 6, 23, 30, 0, 0, time.UTC)
	loc := zoneWithOneChange(t, "Jump", jump, 0, 3600)
	c := newCalendar(t, loc)
	for _, tt := range []struct {
		date string
		want time.Time
	}{
		{"2023-11-05", time.Date(2023, 11, 5, 23, 59, 59, 999999999, time.UTC)},
		{"2023-11-06", jump.Add(-time.Nanosecond)},
		{"2023-11-07", time.Date(2023, 11, 7, 22, 59, 59, 999999999, time.UTC)},
	} {
		d, err := time.Parse(time.DateOnly, tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.endOf(dayOfCivil(d.Date())); !got.Equal(tt.want) {
			t.Errorf("endOf(%s) = %v; want %v", tt.date, got, tt.want.In(loc))
		}
	}
}

// zoneWithOneChange returns a zone named name whose offset from UTC changes
// once, at the instant at, from before to after seconds; it builds the zone
// as TZif version 1 data (RFC 8536).
func zoneWithOneChange(t testing.TB, name string, at time.Time, before, after int32) *time.Location {
	t.Helper()
	var b []byte
	be32 := func(v int32) { b = binary.BigEndian.AppendUint32(b, uint32(v)) }
	b = append(b, "TZif"...)
	b = append(b, make([]byte, 16)...)            // version 1, reserved
	for _, n := range []int32{0, 0, 0, 1, 2, 8} { // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
		be32(n)
	}
	be32(int32(at.Unix())) // the transition
	b = append(b, 1)       // to type 1
	be32(before)           // type 0
	b = append(b, 0, 0)    //   not DST, name at 0
	be32(after)            // type 1
	b = append(b, 0, 4)    //   not DST, name at 4
	b = append(b, "BEF\x00AFT\x00"...)
	loc, err := time.LoadLocationFromTZData(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDayArithmetic(t *testing.T) {
	t.Parallel()
	// Every day from 1600 to 2400, against the time package.
	d := dayOfCivil(1600, 1, 1)
	for tm := time.Date(1600, 1, 1, 12, 0, 0, 0, time.UTC); tm.Year() <= 2400; tm = tm.AddDate(0, 0, 1) {
		if got := dayOfCivil(tm.Date()); got != d {
			t.Fatalf("dayOfCivil(%v) = %d; want %d", tm, got, d)
		}
		if y, m, dd := d.date(); y != tm.Year() || m != tm.Month() || dd != tm.Day() {
			t.Fatalf("day(%d).date() = %d-%02d-%02d; want %v", d, y, m, dd, tm)
		}
		wantWeekend := tm.Weekday() == time.Saturday || tm.Weekday() == time.Sunday
		if got := d.weekend(); got != wantWeekend {
			t.Fatalf("day(%d).weekend() = %v; want %v (%v)", d, got, wantWeekend, tm)
		}
		d++
	}
}

// workingDaysWalked is WorkingDaysBetween as it was written first, walking
// the days one by one: the reference the counted version must agree with.
func workingDaysWalked(c *Calendar, from, to time.Time) int {
	a, b := c.dayOf(from), c.dayOf(to)
	n := 0
	for d := a + 1; d <= b; d++ {
		if d.weekend() || federalWalked(d) {
			continue
		}
		if _, closed := slices.BinarySearch(c.closures, d); closed {
			continue
		}
		n++
	}
	return n
}

// federalWalked is federal().has, remembered per day: the walk asks about
// the same days many times, and outside the holiday table's years each
// answer is worked out from the holiday rules (federalSlow), which made the
// walk, not the code under test, the cost of TestWorkingDaysBetweenCounted.
// The answers are the same; only how often they are worked out changes.
func federalWalked(d day) bool {
	if v, ok := federalSeen.Load(d); ok {
		return v.(bool)
	}
	h := federal().has(d)
	federalSeen.Store(d, h)
	return h
}

var federalSeen sync.Map // day → bool

// TestWorkingDaysBetweenCounted checks the counted WorkingDaysBetween against
// the day-by-day walk on random spans, in and out of the holiday table's
// years, before the epoch, across closures, in two zones.
func TestWorkingDaysBetweenCounted(t *testing.T) {
	t.Parallel()
	ny := loadLocation(t, "America/New_York")
	cals := []*Calendar{newCalendar(t, ny), newCalendar(t, time.UTC),
		newCalendar(t, ny, "2023-11-06", "2023-11-07", "2024-03-15", "1969-12-31", "2201-06-01")}
	r := rand.New(rand.NewPCG(17, 4))
	starts := []time.Time{time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1899, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2199, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2201, 5, 1, 0, 0, 0, 0, time.UTC)}
	// Under the race detector, several times slower and with nothing to
	// find in this one goroutine's arithmetic, the first 4,000 of the
	// 20,000 spans (each of the 15 pairs of calendar and start over 260 times); .ci/run
	// checks all of them again without it.
	n := 20000
	if raceEnabled {
		n = 4000
	}
	for i := range n {
		c := cals[i%len(cals)]
		from := starts[i%len(starts)].Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
		to := from.Add(time.Duration(r.Int64N(int64(200*24*time.Hour))) - 10*24*time.Hour)
		if got, want := c.WorkingDaysBetween(from, to), workingDaysWalked(c, from, to); got != want {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d; walking the days gives %d", from, to, got, want)
		}
	}
}
