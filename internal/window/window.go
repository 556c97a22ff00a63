// Package window splits a created-at window into whole UTC days, which the
// stores total from their task_counts rows, and the few milliseconds at its
// edges, which they count row by row; a store with hourly counters splits
// those edges again into whole hours and fewer milliseconds (Hourly).
package window

import (
	"maps"
	"slices"
	"time"
)

// Day and Hour are the lengths of the counters' periods in milliseconds.
const (
	Day  = int64(24 * time.Hour / time.Millisecond)
	Hour = int64(time.Hour / time.Millisecond)
)

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

// MinHour and MaxHour bound the hours as MinDay and MaxDay bound the days:
// an open side of a window reaches every stored hour strictly between them.
const (
	MinHour = -1 << 31
	MaxHour = 1<<31 - 1
)

// DayOf is the day number of a unix millisecond, floored: the day the stores
// file a task's creation under.
func DayOf(ms int64) int64 { return periodOf(ms, Day) }

// HourOf is the hour number of a unix millisecond, floored, as DayOf.
func HourOf(ms int64) int64 { return periodOf(ms, Hour) }

func periodOf(ms, unit int64) int64 {
	if ms >= 0 {
		return ms / unit
	}
	return (ms+1)/unit - 1
}

// SplitWindow splits the window [after, before) given in unix milliseconds; an
// unbounded side is nil. A partial edge day is counted row by row on its
// smaller side: the part inside the window is added, or the whole day taken
// from the counters and the part outside subtracted. Time is a stand-in for
// rows there, so at worst half a day per edge is read row by row.
func SplitWindow(after, before *int64) Split {
	return split(after, before, Day)
}

// split is SplitWindow in periods of unit milliseconds: FromDay and ToDay
// are then periods of that length.
func split(after, before *int64, unit int64) Split {
	s := Split{FromDay: MinDay + 1, ToDay: MaxDay}
	if after != nil && before != nil && *after >= *before {
		return Split{FromDay: 0, ToDay: 0} // empty
	}
	if after != nil && before != nil && periodOf(*after, unit) == periodOf(*before-1, unit) {
		return samePeriod(*after, *before, unit)
	}
	if after != nil {
		d := periodOf(*after, unit)
		start, end := d*unit, (d+1)*unit
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
		d := periodOf(*before, unit)
		start, end := d*unit, (d+1)*unit
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

// samePeriod splits a window that lies within one period of unit.
func samePeriod(after, before, unit int64) Split {
	d := periodOf(after, unit)
	start, end := d*unit, (d+1)*unit
	if before-after <= unit/2 {
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

// Part is one term of a window's total: the counters of the periods [From,
// To), days or (Hourly) hours, or (Rows) the tasks created in [From, To)
// milliseconds, counted row by row; added, or subtracted when Sign is -1.
type Part struct {
	Rows, Hourly bool
	From, To     int64
	Sign         int
}

// Hourly splits the exact ranges of s, each within a day, again: into whole
// hours, which hourly counters total, and what is left of their edges, at
// worst half an hour per edge, counted row by row. The signs compose: the
// hours and ranges of a subtracted range are subtracted.
func (s Split) Hourly() []Part {
	var parts []Part
	for _, r := range s.Exact {
		sub := split(&r.From, &r.To, Hour)
		if sub.FromDay < sub.ToDay {
			parts = append(parts, Part{Hourly: true, From: sub.FromDay, To: sub.ToDay, Sign: r.Sign})
		}
		for _, e := range sub.Exact {
			parts = append(parts, Part{Rows: true, From: e.From, To: e.To, Sign: e.Sign * r.Sign})
		}
	}
	return parts
}

// Parts splits the window [after, before) into the terms of its total: its
// whole days, then, when hourly counters serve the filter, the whole hours
// of its partial edge days (Hourly), and the milliseconds left. An empty
// window has none.
func Parts(after, before *int64, hourly bool) []Part {
	s := SplitWindow(after, before)
	var parts []Part
	if s.FromDay < s.ToDay {
		parts = append(parts, Part{From: s.FromDay, To: s.ToDay, Sign: 1})
	}
	if hourly {
		return append(parts, s.Hourly()...)
	}
	for _, r := range s.Exact {
		parts = append(parts, Part{Rows: true, From: r.From, To: r.To, Sign: r.Sign})
	}
	return parts
}

// CounterHours restates the counter terms of parts, days and hours, as
// disjoint ranges of whole hours with their net sign, in order: what a store
// whose counters also hold changes filed by hour, not folded into days yet,
// adds for them. The Rows terms are left out. An open side's days become
// hours up to MinHour or MaxHour, exclusive.
func CounterHours(parts []Part) []Part {
	edges := map[int64]int{}
	for _, p := range parts {
		if p.Rows {
			continue
		}
		from, to := p.From, p.To
		if !p.Hourly {
			from, to = hourOfDay(from), hourOfDay(to)
		}
		edges[from] += p.Sign
		edges[to] -= p.Sign
	}
	var out []Part
	sign := 0
	keys := slices.Sorted(maps.Keys(edges))
	for i, k := range keys {
		sign += edges[k]
		if sign == 0 || i == len(keys)-1 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].To == k && out[n-1].Sign == sign {
			out[n-1].To = keys[i+1]
		} else {
			out = append(out, Part{Hourly: true, From: k, To: keys[i+1], Sign: sign})
		}
	}
	return out
}

// hourOfDay is the first hour of day d, an unbounded day bound
// (SplitWindow's MinDay+1 or MaxDay) the matching unbounded hour bound.
func hourOfDay(d int64) int64 {
	switch {
	case d <= MinDay+1:
		return MinHour + 1
	case d >= MaxDay:
		return MaxHour
	}
	return d * 24
}
