package deadline_test

import (
	"fmt"
	"time"
	_ "time/tzdata" // America/New_York, even where the system has no zone data

	"github.com/dissent-channel/dissent/internal/deadline"
)

// A message submitted on Friday 3 November 2023 at 10:00 in Washington must
// be acknowledged within 2 working days and answered within 30. The day of
// submission never counts; weekends, Veterans Day (Friday 10 November) and
// Thanksgiving (Thursday 23 November) are skipped. A deadline is the last
// instant of its day in the calendar's zone.
func ExampleCalendar_Due() {
	washington, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	cal, err := deadline.New(washington, nil)
	if err != nil {
		panic(err)
	}
	submitted := time.Date(2023, 11, 3, 10, 0, 0, 0, washington)
	fmt.Println("acknowledge by:", cal.Due(submitted, 2).Format("Mon 2 Jan 2006 15:04:05 MST"))
	fmt.Println("reply by:      ", cal.Due(submitted, 30).Format("Mon 2 Jan 2006 15:04:05 MST"))
	// Output:
	// acknowledge by: Tue 7 Nov 2023 23:59:59 EST
	// reply by:       Tue 19 Dec 2023 23:59:59 EST
}

// An extra closure (here an executive order closing Monday 6 November) is a
// civil date in the calendar's zone; it moves every deadline that spans it.
// A Saturday is never a working day, and the days in a span count the end
// but not the start.
func ExampleNew_closures() {
	washington, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	cal, err := deadline.New(washington, []string{"2023-11-06"})
	if err != nil {
		panic(err)
	}
	submitted := time.Date(2023, 11, 3, 10, 0, 0, 0, washington)
	due := cal.Due(submitted, 2)
	fmt.Println("acknowledge by:", due.Format("Mon 2 Jan 2006"))
	fmt.Println("working days until then:", cal.WorkingDaysBetween(submitted, due))
	fmt.Println("Saturday 4 November is a working day:", cal.IsWorkingDay(time.Date(2023, 11, 4, 12, 0, 0, 0, washington)))

	_, err = deadline.New(washington, []string{"06/11/2023"})
	fmt.Println(err)
	// Output:
	// acknowledge by: Wed 8 Nov 2023
	// working days until then: 2
	// Saturday 4 November is a working day: false
	// parse closure "06/11/2023": want a date as YYYY-MM-DD: parsing time "06/11/2023" as "2006-01-02": cannot parse "06/11/2023" as "2006"
}
