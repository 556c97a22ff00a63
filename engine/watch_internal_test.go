package engine

import (
	"testing"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestPendingBelow: a watch's pending seqs come as ascending ranges, those
// below the change's seq only (a range it cuts ends below it), at most
// MaxPendingRanges of the highest.
func TestPendingBelow(t *testing.T) {
	w := &watch{pending: map[int64]bool{}}
	require.Nil(t, w.pendingBelow(100))
	for _, p := range []int64{5, 7, 8, 9, 20} {
		w.pending[p] = true
	}
	require.Equal(t, []tc.SeqRange{seqs(5, 5), seqs(7, 9), seqs(20, 20)}, w.pendingBelow(100))
	require.Equal(t, []tc.SeqRange{seqs(5, 5), seqs(7, 7)}, w.pendingBelow(8), "cut below 8")
	require.Equal(t, []tc.SeqRange{seqs(5, 5)}, w.pendingBelow(7))
	require.Empty(t, w.pendingBelow(5))
	require.Equal(t, []tc.SeqRange{seqs(5, 5), seqs(7, 9), seqs(20, 20)}, w.pendingBelow(100), "the cut left the shared ranges whole")

	w = &watch{pending: map[int64]bool{}}
	for p := int64(1); p <= 2*tc.MaxPendingRanges; p++ {
		w.pending[2*p] = true
	}
	got := w.pendingBelow(1000)
	require.Len(t, got, tc.MaxPendingRanges)
	require.Equal(t, tc.SeqRange{From: 4 * tc.MaxPendingRanges, To: 4 * tc.MaxPendingRanges}, got[len(got)-1])
	require.NoError(t, tc.CheckPending(1000, got), "a stream's own ids read back")
}

// seqs is the range of seqs from to to.
func seqs(from, to int64) tc.SeqRange { return tc.SeqRange{From: from, To: to} }
