package deadline

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestFederalHolidaysOPM checks the observed holidays of 2021-2026 against
// the dates the Office of Personnel Management publishes, typed in by hand.
func TestFederalHolidaysOPM(t *testing.T) {
	t.Parallel()
	opm := map[int][]string{
		2021: {"01-01", "01-18", "02-15", "05-31", "06-18", "07-05", "09-06", "10-11", "11-11", "11-25", "12-24",
			"12-31"}, // New Year's Day 2022 falls on a Saturday
		2022: {"01-17", "02-21", "05-30", "06-20", "07-04", "09-05", "10-10", "11-11", "11-24", "12-26"},
		2023: {"01-02", "01-16", "02-20", "05-29", "06-19", "07-04", "09-04", "10-09", "11-10", "11-23", "12-25"},
		2024: {"01-01", "01-15", "02-19", "05-27", "06-19", "07-04", "09-02", "10-14", "11-11", "11-28", "12-25"},
		2025: {"01-01", "01-20", "02-17", "05-26", "06-19", "07-04", "09-01", "10-13", "11-11", "11-27", "12-25"},
		2026: {"01-01", "01-19", "02-16", "05-25", "06-19", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"},
	}
	c := newCalendar(t, loadLocation(t, "America/New_York"))
	for year, dates := range opm {
		var want []string
		for _, md := range dates {
			want = append(want, fmt.Sprintf("%d-%s", year, md))
		}
		var got []string
		for d := dayOfCivil(year, 1, 1); d <= dayOfCivil(year, 12, 31); d++ {
			if !d.weekend() && !c.IsWorkingDay(noon(c, d)) {
				got = append(got, formatDay(d))
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("non-working weekdays of %d differ from OPM's holidays (-want +got):\n%s", year, diff)
		}
	}
}

// TestFederalHolidaySet fails when a new version of github.com/rickar/cal
// changes its set of US holidays, so that somebody decides whether the
// channel's calendar should follow.
func TestFederalHolidaySet(t *testing.T) {
	t.Parallel()
	var got, want []string
	for _, h := range federalHolidays {
		got = append(got, h.Name)
	}
	for _, h := range us.Holidays {
		want = append(want, h.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("federalHolidays differ from us.Holidays (-want +got):\n%s", diff)
	}
}

// TestAgainstRickar compares every day of 1990-2100, and the years around
// the edges of the precomputed table, with the library's own business
// calendar, which computes the holidays afresh for every date.
func TestAgainstRickar(t *testing.T) {
	t.Parallel()
	bc := cal.NewBusinessCalendar()
	bc.AddHoliday(us.Holidays...)
	c := newCalendar(t, time.UTC)
	ranges := [][2]int{{1990, 2100}, {tableFirstYear - 3, tableFirstYear + 2}, {tableLastYear - 2, tableLastYear + 3}}
	for _, r := range ranges {
		for d := dayOfCivil(r[0], 1, 1); d <= dayOfCivil(r[1], 12, 31); d++ {
			tm := noon(c, d)
			if got, want := c.IsWorkingDay(tm), bc.IsWorkday(tm); got != want {
				t.Errorf("IsWorkingDay(%v) = %v; want %v", tm, got, want)
			}
		}
	}
}

// TestGolden compares whole years with files in testdata. Run
// go test ./internal/deadline -update to rewrite them after a deliberate
// change, and read the diff before committing it.
//
// Checked by hand in holidays.golden: 2021-12-31 Fri is New Year's Day
// 2022 (a Saturday); 2021-06-18 Fri is Juneteenth (a Saturday), the first
// one; 2022-12-26 Mon is Christmas (a Sunday); 2023-11-10 Fri is Veterans
// Day (a Saturday); 2026-07-03 Fri is Independence Day (a Saturday). In
// due-2023.golden: 2023-11-03 Fri gives ack 2023-11-07, reply 2023-12-19,
// outer 2024-02-02, as SPEC §3 says; 2023-11-23 Thu (Thanksgiving) gives
// ack 2023-11-27, since the day of submission never counts.
func TestGolden(t *testing.T) {
	t.Parallel()
	c := newCalendar(t, loadLocation(t, "America/New_York"))
	tests := []struct {
		file string
		gen  func() string
	}{
		{"holidays.golden", func() string {
			var b strings.Builder
			b.WriteString("# Weekdays closed for US federal holidays, 2021-2026 (observed date, holiday)\n")
			for d := dayOfCivil(2021, 1, 1); d <= dayOfCivil(2026, 12, 31); d++ {
				if d.weekend() || c.IsWorkingDay(noon(c, d)) {
					continue
				}
				fmt.Fprintf(&b, "%s %s  %s\n", formatDay(d), weekday(d), holidayName(d))
			}
			return b.String()
		}},
		{"due-2023.golden", func() string {
			var b strings.Builder
			b.WriteString("# Submitted at noon in New York: working day?, then due dates after 2, 30 and 60 working days\n")
			for d := dayOfCivil(2023, 1, 1); d <= dayOfCivil(2023, 12, 31); d++ {
				tm := noon(c, d)
				work := "closed "
				if c.IsWorkingDay(tm) {
					work = "working"
				}
				fmt.Fprintf(&b, "%s %s  %s", formatDay(d), weekday(d), work)
				for _, n := range []int{2, 30, 60} {
					due := c.Due(tm, n)
					fmt.Fprintf(&b, "  %2d: %s", n, due.Format("2006-01-02 Mon"))
				}
				b.WriteString("\n")
			}
			return b.String()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			got := tt.gen()
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
			}
		})
	}
}

func FuzzDue(f *testing.F) {
	zones := []*time.Location{
		loadLocation(f, "America/New_York"),
		time.UTC,
		loadLocation(f, "Pacific/Kiritimati"),
		loadLocation(f, "Pacific/Pago_Pago"),
		loadLocation(f, "America/Havana"),
		loadLocation(f, "Australia/Lord_Howe"),
	}
	spec := time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC).Unix()
	f.Add(spec, uint8(1), uint8(0), uint16(0))
	f.Add(spec, uint8(29), uint8(0), uint16(3))
	f.Add(spec, uint8(59), uint8(0), uint16(0))
	f.Add(time.Date(2021, 12, 30, 23, 0, 0, 0, time.UTC).Unix(), uint8(1), uint8(2), uint16(1))
	f.Add(time.Date(2023, 11, 4, 3, 0, 0, 0, time.UTC).Unix(), uint8(1), uint8(1), uint16(0))
	f.Add(time.Date(2023, 11, 5, 4, 30, 0, 0, time.UTC).Unix(), uint8(255), uint8(4), uint16(300))

	lo := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, sec int64, n8 uint8, zone uint8, closure uint16) {
		loc := zones[int(zone)%len(zones)]
		tm := time.Unix(lo+floorMod(sec, hi-lo), 0).In(loc)
		n := int(n8) + 1
		var closures []string
		if closure != 0 {
			// One closure somewhere in the next year, maybe on a working day.
			cd := dayOfCivil(tm.Date()) + day(closure%400)
			closures = append(closures, formatDay(cd))
		}
		c, err := New(loc, closures)
		if err != nil {
			t.Fatal(err)
		}

		got := c.Due(tm, n)
		if !got.After(tm) {
			t.Errorf("Due(%v, %d) = %v; want a time after %v", tm, n, got, tm)
		}
		if !c.IsWorkingDay(got) {
			t.Errorf("Due(%v, %d) = %v, not a working day", tm, n, got)
		}
		if got.Location() != loc {
			t.Errorf("Due(%v, %d) = %v; want it in %v", tm, n, got, loc)
		}
		if c.dayOf(got.Add(time.Nanosecond)) == c.dayOf(got) {
			t.Errorf("Due(%v, %d) = %v, not the last instant of its day", tm, n, got)
		}
		if between := c.WorkingDaysBetween(tm, got); between != n {
			t.Errorf("WorkingDaysBetween(%v, Due(%v, %d) = %v) = %d; want %d", tm, tm, n, got, between, n)
		}
		if prev := c.Due(tm, n-1); !prev.Before(got) {
			t.Errorf("Due(%v, %d) = %v, not before Due(%v, %d) = %v", tm, n-1, prev, tm, n, got)
		}
		// A walk through the calendar, one day at a time, by IsWorkingDay.
		want := c.dayOf(tm)
		for k := 0; k < n; {
			want++
			if c.IsWorkingDay(noon(c, want)) {
				k++
			}
		}
		if c.dayOf(got) != want {
			t.Errorf("Due(%v, %d) = %v; want the end of %s", tm, n, got, formatDay(want))
		}
	})
}

// BenchmarkDue measures the reply's outer limit; compare it with
// BenchmarkDueRickar, the library's own business calendar, which computes
// the holidays afresh for each day it steps over.
func BenchmarkDue(b *testing.B) {
	ny := loadLocation(b, "America/New_York")
	c := newCalendar(b, ny, "2023-12-26")
	tm := time.Date(2023, 11, 3, 10, 0, 0, 0, ny)
	for b.Loop() {
		c.Due(tm, 60)
	}
}

func BenchmarkDueRickar(b *testing.B) {
	ny := loadLocation(b, "America/New_York")
	bc := cal.NewBusinessCalendar()
	bc.AddHoliday(us.Holidays...)
	tm := time.Date(2023, 11, 3, 10, 0, 0, 0, ny)
	for b.Loop() {
		cal.DayEnd(bc.WorkdaysFrom(tm, 60))
	}
}

func BenchmarkWorkingDaysBetween(b *testing.B) {
	ny := loadLocation(b, "America/New_York")
	c := newCalendar(b, ny, "2023-12-26")
	from := time.Date(2023, 11, 3, 10, 0, 0, 0, ny)
	to := time.Date(2024, 2, 2, 10, 0, 0, 0, ny)
	for b.Loop() {
		c.WorkingDaysBetween(from, to)
	}
}

// noon returns noon of d in the calendar's zone: an instant on d even where
// the zone changes its offset at midnight.
func noon(c *Calendar, d day) time.Time {
	y, m, dd := d.date()
	return time.Date(y, m, dd, 12, 0, 0, 0, c.loc)
}

func formatDay(d day) string {
	y, m, dd := d.date()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

func weekday(d day) string {
	y, m, dd := d.date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Format("Mon")
}

// holidayName names the holiday observed on d, with its actual date when
// that differs.
func holidayName(d day) string {
	y, _, _ := d.date()
	for _, h := range federalHolidays {
		for hy := y - 1; hy <= y+1; hy++ {
			actual, obs := h.Calc(hy)
			if obs.IsZero() || dayOfCivil(obs.Date()) != d {
				continue
			}
			if a := dayOfCivil(actual.Date()); a != d {
				return fmt.Sprintf("%s (%s %s)", h.Name, weekday(a), formatDay(a))
			}
			return h.Name
		}
	}
	return "extra closure"
}
