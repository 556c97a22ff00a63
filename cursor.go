package taskcenter

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// EventCursor is a position in the stream of task changes: its subscriber
// has been handed the change of every seq up to Seq but those in Gaps. A gap
// is a seq below Seq whose event was not stored yet when the cursor was
// made: on PostgreSQL a transaction takes its seqs at insert and may commit
// after a later one did. A stream resumed from a cursor replays the changes
// stored above Seq or in a gap, so a change committed late is not lost, and
// none its subscriber had is sent again.
//
// An event stream's message id is its cursor (String), which a reconnect
// sends back as Last-Event-ID.
type EventCursor struct {
	Seq  int64
	Gaps []SeqRange // ascending, disjoint and apart, all in 1..Seq-1
}

// SeqRange is the seqs From to To, both included.
type SeqRange struct{ From, To int64 }

// MaxCursorGaps bounds the gaps a cursor names. One that would name more
// merges the gaps closest to each other: a resumed stream then replays the
// few changes between them, which its subscriber had, rather than lose any.
const MaxCursorGaps = 64

// Has reports whether the subscriber at c has been handed the change of seq.
func (c EventCursor) Has(seq int64) bool {
	if seq > c.Seq {
		return false
	}
	i, _ := slices.BinarySearchFunc(c.Gaps, seq, func(r SeqRange, s int64) int { return cmp.Compare(r.To, s) })
	return i == len(c.Gaps) || c.Gaps[i].From > seq
}

// Union returns the cursor of a subscriber handed every change that c or o
// says was handed: the seqs it still lacks are those both lack.
func (c EventCursor) Union(o EventCursor) EventCursor {
	lo, hi := c, o
	if lo.Seq > hi.Seq {
		lo, hi = hi, lo
	}
	// What lo lacks up to hi.Seq: its gaps, and the seqs above lo.Seq.
	lacks := lo.Gaps
	if lo.Seq < hi.Seq {
		lacks = append(slices.Clip(lacks), SeqRange{lo.Seq + 1, hi.Seq})
	}
	var gaps []SeqRange
	for i, j := 0, 0; i < len(hi.Gaps) && j < len(lacks); {
		a, b := hi.Gaps[i], lacks[j]
		if from, to := max(a.From, b.From), min(a.To, b.To); from <= to {
			gaps = append(gaps, SeqRange{from, to})
		}
		if a.To < b.To {
			i++
		} else {
			j++
		}
	}
	return EventCursor{Seq: hi.Seq, Gaps: gaps}.Bounded()
}

// Bounded returns c with at most MaxCursorGaps gaps: beyond that, the gaps
// with the fewest seqs between them are merged, and those seqs count as not
// handed over.
func (c EventCursor) Bounded() EventCursor {
	n := len(c.Gaps)
	if n <= MaxCursorGaps {
		return c
	}
	between := func(i int) int64 { return c.Gaps[i+1].From - c.Gaps[i].To }
	joins := make([]int, n-1) // join i merges gap i with gap i+1
	for i := range joins {
		joins[i] = i
	}
	slices.SortStableFunc(joins, func(a, b int) int { return cmp.Compare(between(a), between(b)) })
	join := make([]bool, n-1)
	for _, i := range joins[:n-MaxCursorGaps] {
		join[i] = true
	}
	gaps := make([]SeqRange, 0, MaxCursorGaps)
	cur := c.Gaps[0]
	for i := 1; i < n; i++ {
		if join[i-1] {
			cur.To = c.Gaps[i].To
		} else {
			gaps, cur = append(gaps, cur), c.Gaps[i]
		}
	}
	return EventCursor{Seq: c.Seq, Gaps: append(gaps, cur)}
}

// String is the cursor as an event stream's message id: the seq, then each
// gap after a dot, as one seq or a range: "1042", "1042.1030.1035-1038".
func (c EventCursor) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(c.Seq, 10))
	for _, g := range c.Gaps {
		b.WriteByte('.')
		b.WriteString(strconv.FormatInt(g.From, 10))
		if g.To != g.From {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(g.To, 10))
		}
	}
	return b.String()
}

// ParseEventCursor reads a cursor written by String. A seq alone, the id of
// earlier versions, is a cursor without gaps.
func ParseEventCursor(s string) (EventCursor, error) {
	parts := strings.SplitN(s, ".", MaxCursorGaps+2)
	bad := func() (EventCursor, error) {
		return EventCursor{}, Invalidf("", "not an event stream id: %.80q", s)
	}
	if len(parts) > MaxCursorGaps+1 {
		return bad()
	}
	seq, ok := parseSeq(parts[0])
	if !ok {
		return bad()
	}
	c := EventCursor{Seq: seq}
	for _, p := range parts[1:] {
		from, to, isRange := strings.Cut(p, "-")
		g := SeqRange{}
		if g.From, ok = parseSeq(from); !ok || g.From < 1 {
			return bad()
		}
		g.To = g.From
		if isRange {
			if g.To, ok = parseSeq(to); !ok || g.To <= g.From {
				return bad()
			}
		}
		if g.To >= seq || len(c.Gaps) > 0 && g.From <= c.Gaps[len(c.Gaps)-1].To+1 {
			return bad()
		}
		c.Gaps = append(c.Gaps, g)
	}
	return c, nil
}

// parseSeq reads a seq as String writes it: decimal digits, without sign,
// spaces or leading zeros.
func parseSeq(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
