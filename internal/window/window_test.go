package window

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitWindow: for random windows over random points, the counters of
// the whole days plus the signed exact ranges give the points in the window.
func TestSplitWindow(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	points := make([]int64, 2000)
	for i := range points {
		points[i] = rng.Int64N(10*Day) - 3*Day
	}
	perDay, perHour := map[int64]int{}, map[int64]int{}
	for _, p := range points {
		perDay[DayOf(p)]++
		perHour[HourOf(p)]++
	}
	count := func(from, to int64) (n int) {
		for _, p := range points {
			if p >= from && p < to {
				n++
			}
		}
		return n
	}
	edges := []int64{-3 * Day, -Day, -1, 0, 1, Day / 2, Day - 1, Day, 2*Day + 7, 3*Day - 5,
		-Hour, Hour, 5*Hour + 1, Day - Hour, 2*Day + 13*Hour - 1}
	for range 3000 {
		var after, before *int64
		if rng.IntN(5) > 0 {
			a := rng.Int64N(10*Day) - 3*Day
			if rng.IntN(4) == 0 {
				a = edges[rng.IntN(len(edges))]
			}
			after = &a
		}
		if rng.IntN(5) > 0 {
			b := rng.Int64N(10*Day) - 3*Day
			if rng.IntN(4) == 0 {
				b = edges[rng.IntN(len(edges))]
			}
			before = &b
		}
		from, to := int64(-1<<62), int64(1<<62)
		if after != nil {
			from = *after
		}
		if before != nil {
			to = *before
		}
		want := 0
		if from < to {
			want = count(from, to)
		}
		s := SplitWindow(after, before)
		got := 0
		for d, n := range perDay {
			if d >= s.FromDay && d < s.ToDay {
				got += n
			}
		}
		for _, r := range s.Exact {
			require.Less(t, r.From, r.To)
			require.LessOrEqual(t, r.To-r.From, Day/2+1)
			got += r.Sign * count(r.From, r.To)
		}
		require.Equal(t, want, got, "after %v before %v split %+v", after, before, s)

		// Parts says the same, with or without hours: then the edges come
		// from half a day of hours at most, and half hours row by row.
		for _, hourly := range []bool{false, true} {
			got = 0
			for _, p := range Parts(after, before, hourly) {
				require.Less(t, p.From, p.To)
				switch {
				case p.Rows && hourly:
					require.LessOrEqual(t, p.To-p.From, Hour/2+1)
					got += p.Sign * count(p.From, p.To)
				case p.Rows:
					require.LessOrEqual(t, p.To-p.From, Day/2+1)
					got += p.Sign * count(p.From, p.To)
				case p.Hourly:
					require.True(t, hourly)
					require.LessOrEqual(t, p.To-p.From, int64(12))
					for hour, n := range perHour {
						if hour >= p.From && hour < p.To {
							got += p.Sign * n
						}
					}
				default:
					for d, n := range perDay {
						if d >= p.From && d < p.To {
							got += p.Sign * n
						}
					}
				}
			}
			require.Equal(t, want, got, "parts, hourly %v: after %v before %v", hourly, after, before)

			// The counter terms cover, net of their signs, one range of whole
			// hours once: the same points as the terms themselves.
			parts := Parts(after, before, hourly)
			hours := CounterHours(parts)
			require.LessOrEqual(t, len(hours), 1, "%+v", parts)
			counters, restated := 0, 0
			for _, p := range parts {
				if !p.Rows {
					got := 0
					if p.Hourly {
						got = count(p.From*Hour, p.To*Hour)
					} else {
						got = count(max(p.From, -1<<30)*Day, min(p.To, 1<<30)*Day)
					}
					counters += p.Sign * got
				}
			}
			for _, h := range hours {
				require.True(t, h.Hourly)
				require.Equal(t, 1, h.Sign)
				require.Less(t, h.From, h.To)
				require.GreaterOrEqual(t, h.From, int64(MinHour+1))
				require.LessOrEqual(t, h.To, int64(MaxHour))
				restated += count(h.From*Hour, h.To*Hour)
			}
			require.Equal(t, counters, restated, "counter hours of %+v: %+v", parts, hours)
		}
	}
}

func TestHourOf(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(0), HourOf(Hour-1))
	require.Equal(t, int64(24), HourOf(Day))
	require.Equal(t, int64(-1), HourOf(-1))
	require.Equal(t, int64(-2), HourOf(-Hour-1))
}

func TestDayOf(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(0), DayOf(0))
	require.Equal(t, int64(0), DayOf(Day-1))
	require.Equal(t, int64(1), DayOf(Day))
	require.Equal(t, int64(-1), DayOf(-1))
	require.Equal(t, int64(-1), DayOf(-Day))
	require.Equal(t, int64(-2), DayOf(-Day-1))
}

// TestCounterHours: overlapping and subtracted terms net out, open days
// reach the unbounded hours, and rows are left out.
func TestCounterHours(t *testing.T) {
	t.Parallel()
	require.Empty(t, CounterHours(nil))
	require.Empty(t, CounterHours([]Part{{Rows: true, From: 0, To: Hour, Sign: 1}}))
	require.Equal(t, []Part{{Hourly: true, From: 24 + 5, To: 72 + 2, Sign: 1}}, CounterHours([]Part{
		{From: 1, To: 3, Sign: 1},
		{Hourly: true, From: 24, To: 24 + 5, Sign: -1},
		{Rows: true, From: 24*Hour + 5*Hour, To: 24*Hour + 5*Hour + 7, Sign: -1},
		{Hourly: true, From: 72, To: 72 + 2, Sign: 1},
	}))
	require.Equal(t, []Part{{Hourly: true, From: MinHour + 1, To: MaxHour, Sign: 1}},
		CounterHours([]Part{{From: MinDay + 1, To: MaxDay, Sign: 1}}))
	require.Equal(t, []Part{{Hourly: true, From: 0, To: 10, Sign: 1}, {Hourly: true, From: 10, To: 12, Sign: 2}},
		CounterHours([]Part{{Hourly: true, From: 0, To: 12, Sign: 1}, {Hourly: true, From: 10, To: 12, Sign: 1}}))
}
