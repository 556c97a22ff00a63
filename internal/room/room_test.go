package room

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestMark: a mark holds until room is proven or Lapse passes, and a proof
// read before a later failure does not clear that failure's mark.
func TestMark(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := &Mark{Now: func() time.Time { return now }}
	require.NoError(t, m.Err())
	m.Proven(m.Get()) // nothing to clear

	m.Full()
	require.Equal(t, tc.EUNAVAILABLE, tc.ErrorCode(m.Err()))
	before := m.Get()
	now = now.Add(time.Second)
	m.Full() // a later write found no room either
	m.Proven(before)
	require.Error(t, m.Err(), "a proof older than the last failure clears nothing")
	m.Proven(m.Get())
	require.NoError(t, m.Err())

	m.Full()
	now = now.Add(Lapse - time.Nanosecond)
	require.Error(t, m.Err())
	now = now.Add(time.Nanosecond)
	require.NoError(t, m.Err(), "the mark lapses")
}
