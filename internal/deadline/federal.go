package deadline

import (
	"math/bits"
	"sync"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
)

// federalHolidays are the legal public holidays of 5 U.S.C. 6103(a), with
// the observance rule of 6103(b) and Executive Order 11582 built into each
// (Saturday to Friday, Sunday to Monday). Listed one by one rather than taken
// from us.Holidays so that a new version of the library cannot change the
// set silently; a test checks that the two agree. Inauguration Day (6103(c))
// is left out: it is a holiday only for employees around Washington, DC.
//
// The rules are today's, applied to every year: they are right from 1990
// (Juneteenth carries its own start, 2021), but earlier years are not
// history (Martin Luther King Jr. Day, for one, was first observed in 1986).
var federalHolidays = []*cal.Holiday{
	us.NewYear,
	us.MlkDay,
	us.PresidentsDay,
	us.MemorialDay,
	us.Juneteenth,
	us.IndependenceDay,
	us.LaborDay,
	us.ColumbusDay,
	us.VeteransDay,
	us.ThanksgivingDay,
	us.ChristmasDay,
}

// The years whose holidays are computed once and looked up in a bit set.
// Dates outside them are still right, only slower (see federalSlow).
const (
	tableFirstYear = 1900
	tableLastYear  = 2199
)

// holidayTable marks the observed federal holidays from tableFirstYear to
// tableLastYear, one bit per day.
type holidayTable struct {
	first, last day // inclusive
	bits        []uint64
}

// federal returns the table, building it on first use (about a millisecond).
var federal = sync.OnceValue(func() *holidayTable {
	t := &holidayTable{
		first: dayOfCivil(tableFirstYear, 1, 1),
		last:  dayOfCivil(tableLastYear, 12, 31),
	}
	t.bits = make([]uint64, (t.last-t.first)/64+1)
	// An observed date may fall in the year before its holiday (1 January on
	// a Saturday), so the neighbouring years are computed too.
	for y := tableFirstYear - 1; y <= tableLastYear+1; y++ {
		for _, h := range federalHolidays {
			d, ok := observed(h, y)
			if !ok || d < t.first || d > t.last {
				continue
			}
			i := d - t.first
			t.bits[i/64] |= 1 << (i % 64)
		}
	}
	return t
})

// has reports whether d is the observed date of a federal holiday.
func (t *holidayTable) has(d day) bool {
	if d < t.first || d > t.last {
		return federalSlow(d)
	}
	i := d - t.first
	return t.bits[i/64]&(1<<(i%64)) != 0
}

// weekdaysIn counts the observed federal holidays from a to b inclusive
// that fall on a weekday (all of them, as observed dates are moved off
// weekends; checked anyway, so that the count agrees with has and
// weekend whatever the rules).
func (t *holidayTable) weekdaysIn(a, b day) int {
	if a > b {
		return 0
	}
	if a < t.first || b > t.last {
		n := 0
		for d := a; d <= b; d++ {
			if !d.weekend() && t.has(d) {
				n++
			}
		}
		return n
	}
	n := 0
	for w := (a - t.first) / 64; w <= (b-t.first)/64; w++ {
		word := t.bits[w]
		for word != 0 {
			i := bits.TrailingZeros64(word)
			word &= word - 1
			if d := t.first + w*64 + day(i); d >= a && d <= b && !d.weekend() {
				n++
			}
		}
	}
	return n
}

// federalSlow reports whether d is the observed date of a federal holiday,
// computing the holidays of d's year and of the years on either side.
func federalSlow(d day) bool {
	y, _, _ := d.date()
	for _, h := range federalHolidays {
		for hy := y - 1; hy <= y+1; hy++ {
			if o, ok := observed(h, hy); ok && o == d {
				return true
			}
		}
	}
	return false
}

// observed returns the date on which h is observed for year y, which may lie
// in the year before or after, and false if h is not held in year y.
func observed(h *cal.Holiday, y int) (day, bool) {
	_, obs := h.Calc(y)
	if obs.IsZero() {
		return 0, false
	}
	// Calc gives midnight in cal.DefaultLoc; only the civil date matters.
	return dayOfCivil(obs.Date()), true
}
