package taskcenter_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func TestEventCursorText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text   string
		cursor tc.EventCursor
	}{
		{"0", tc.EventCursor{}},
		{"1042", tc.EventCursor{Seq: 1042}},
		{"1042.1030", tc.EventCursor{Seq: 1042, Gaps: []tc.SeqRange{{1030, 1030}}}},
		{"1042.7.1030.1035-1041", tc.EventCursor{Seq: 1042, Gaps: []tc.SeqRange{{7, 7}, {1030, 1030}, {1035, 1041}}}},
	} {
		got, err := tc.ParseEventCursor(c.text)
		require.NoError(t, err, c.text)
		require.Equal(t, c.cursor, got, c.text)
		require.Equal(t, c.text, c.cursor.String())
	}
	for _, bad := range []string{
		"", "-1", "+5", " 5", "5x", "1042.", "1042..7", "1042.0", "1042.1042", "1042.1043", "1042.9-8", "1042.9-9",
		"1042.20.10", "1042.10.11", "1042.10-12.12", "1042.1-", "1042.-4", "99999999999999999999",
		"00", "01042", "1042.07", "1042.7-09",
		"1042" + manyGaps(tc.MaxCursorGaps+1),
	} {
		_, err := tc.ParseEventCursor(bad)
		require.Error(t, err, bad)
		require.Equal(t, tc.EINVALID, tc.ErrorCode(err), bad)
	}
}

// manyGaps writes n gaps 2, 4, 6, ... as a cursor's text does.
func manyGaps(n int) string {
	s := ""
	for i := 1; i <= n; i++ {
		s += "." + strconv.Itoa(2*i)
	}
	return s
}

// lacks is the set of seqs up to limit that a subscriber at c lacks.
func lacks(c tc.EventCursor, limit int64) map[int64]bool {
	out := map[int64]bool{}
	for s := int64(1); s <= limit; s++ {
		if !c.Has(s) {
			out[s] = true
		}
	}
	return out
}

// randomCursor has a seq up to 60 and gaps at random below it.
func randomCursor(r *rand.Rand, gapOdds float64) tc.EventCursor {
	c := tc.EventCursor{Seq: r.Int64N(60)}
	for s := int64(1); s < c.Seq; s++ {
		if r.Float64() < gapOdds {
			if k := len(c.Gaps); k > 0 && c.Gaps[k-1].To == s-1 {
				c.Gaps[k-1].To = s
			} else {
				c.Gaps = append(c.Gaps, tc.SeqRange{From: s, To: s})
			}
		}
	}
	return c
}

// TestEventCursorUnion: a subscriber handed what either of two cursors says
// lacks exactly the seqs both lack, and its cursor reads back as written.
func TestEventCursorUnion(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		a, b := randomCursor(r, 0.3), randomCursor(r, 0.3)
		u := a.Union(b)
		la, lb, lu := lacks(a, 100), lacks(b, 100), lacks(u, 100)
		for s := int64(1); s <= 100; s++ {
			require.Equal(t, la[s] && lb[s], lu[s], "seq %d of %s ∪ %s = %s", s, a, b, u)
		}
		back, err := tc.ParseEventCursor(u.String())
		require.NoError(t, err, u.String())
		require.Equal(t, u.Seq, back.Seq)
		require.Equal(t, len(u.Gaps), len(back.Gaps), u.String())
	}
}

// TestEventCursorBounded: a cursor with more gaps than a message id holds
// merges the closest ones; it lacks every seq it lacked, and the fewest
// others.
func TestEventCursorBounded(t *testing.T) {
	t.Parallel()
	c := tc.EventCursor{Seq: 10_000}
	for i := range int64(tc.MaxCursorGaps + 3) {
		c.Gaps = append(c.Gaps, tc.SeqRange{From: 100 * (i + 1), To: 100*(i+1) + 1})
	}
	// Three pairs are closer than the rest: 2 seqs apart instead of 98.
	for _, i := range []int{5, 20, 40} {
		c.Gaps[i+1] = tc.SeqRange{From: c.Gaps[i].To + 3, To: c.Gaps[i].To + 4}
	}
	b := c.Bounded()
	require.Len(t, b.Gaps, tc.MaxCursorGaps)
	before, after := lacks(c, 10_000), lacks(b, 10_000)
	for s := range before {
		require.True(t, after[s], "seq %d is still lacking", s)
	}
	require.Len(t, after, len(before)+3*2, "the two seqs between each of the three closest pairs")
	_, err := tc.ParseEventCursor(b.String())
	require.NoError(t, err)
}
