// Package window splits a created-at window into whole UTC days, which the
// stores total from their task_counts rows, and the few milliseconds at its
// edges, which they count row by row.
package window

import "time"

// Day is the length of a counter's day in milliseconds.
const Day = int64(24 * time.Hour / time.Millisecond)

// Range is a half-open interval [From, To) of unix milliseconds, counted
// row by row, added or (Sign -1) subtracted.
type Range struct {
	From, To int64
	Sign     int
}

// Split is how a window's total is made: the counters of days [FromDay,
// ToDay), when FromDay < ToDay, plus each of Exact.
type Split struct {
	FromDay, ToDay int64
	Exact          []Range
}

// Unbounded are the day bounds of an open side of a window; every stored day
// lies strictly between them.
const (
	MinDay = -1 << 31
	MaxDay = 1<<31 - 1
)

// DayOf is the day number of a unix millisecond, floored: the day the stores
// file a task's creation under.
func DayOf(ms int64) int64 {
	if ms >= 0 {
		return ms / Day
	}
	return (ms+1)/Day - 1
}

// SplitWindow splits the window [after, before) given in unix milliseconds; an
// unbounded side is nil. A partial edge day is counted row by row on its
// smaller side: the part inside the window is added, or the whole day taken
// from the counters and the part outside subtracted. Time is a stand-in for
// rows there, so at worst half a day per edge is read row by row.
func SplitWindow(after, before *int64) Split {
	s := Split{FromDay: MinDay + 1, ToDay: MaxDay}
	if after != nil && before != nil && *after >= *before {
		return Split{FromDay: 0, ToDay: 0} // empty
	}
	if after != nil && before != nil && DayOf(*after) == DayOf(*before-1) {
		return sameDay(*after, *before)
	}
	if after != nil {
		d := DayOf(*after)
		start, end := d*Day, (d+1)*Day
		switch {
		case *after == start:
			s.FromDay = d
		case *after-start < end-*after:
			s.FromDay = d
			s.Exact = append(s.Exact, Range{start, *after, -1})
		default:
			s.FromDay = d + 1
			s.Exact = append(s.Exact, Range{*after, end, 1})
		}
	}
	if before != nil {
		d := DayOf(*before)
		start, end := d*Day, (d+1)*Day
		switch {
		case *before == start:
			s.ToDay = d
		case *before-start <= end-*before:
			s.ToDay = d
			s.Exact = append(s.Exact, Range{start, *before, 1})
		default:
			s.ToDay = d + 1
			s.Exact = append(s.Exact, Range{*before, end, -1})
		}
	}
	return s
}

// sameDay splits a window that lies within one day.
func sameDay(after, before int64) Split {
	d := DayOf(after)
	start, end := d*Day, (d+1)*Day
	if before-after <= Day/2 {
		return Split{FromDay: d, ToDay: d, Exact: []Range{{after, before, 1}}}
	}
	s := Split{FromDay: d, ToDay: d + 1}
	if after > start {
		s.Exact = append(s.Exact, Range{start, after, -1})
	}
	if before < end {
		s.Exact = append(s.Exact, Range{before, end, -1})
	}
	return s
}
