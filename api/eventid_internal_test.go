package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestEventID: an id carries a change's seq and the seqs still pending below
// it, and reads back the same; what no stream sends is refused.
func TestEventID(t *testing.T) {
	for _, c := range []struct {
		id      string
		seq     int64
		pending []tc.SeqRange
	}{
		{"812", 812, nil},
		{"812;790", 812, []tc.SeqRange{seqs(790, 790)}},
		{"812;790,795-797", 812, []tc.SeqRange{seqs(790, 790), seqs(795, 797)}},
	} {
		got := eventID(&tc.TaskChange{Event: &tc.Event{Seq: c.seq}, Pending: c.pending})
		require.Equal(t, c.id, got)
		seq, pending, ok := parseEventID(c.id)
		require.True(t, ok, c.id)
		require.Equal(t, c.seq, seq)
		require.Equal(t, c.pending, pending)
	}
	for _, id := range []string{
		"", "x", "-1", "812;", "812;x", "812;5-", "812;-5", "812;9-5", "812;812", "812;790-900",
		"812;795,790", "812;790,790", "30000;1-20000", "812;1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33",
	} {
		_, _, ok := parseEventID(id)
		require.False(t, ok, id)
	}
}

// seqs is the range of seqs from to to.
func seqs(from, to int64) tc.SeqRange { return tc.SeqRange{From: from, To: to} }
