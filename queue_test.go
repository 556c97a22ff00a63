package taskcenter_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

func TestPlanPromotions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := func(id int64, s tc.Status, runAfter time.Duration, inst ...string) tc.QueueEntry {
		return tc.QueueEntry{ID: id, Status: s, RunAfter: now.Add(runAfter), InstanceIDs: inst}
	}
	cases := []struct {
		name    string
		entries []tc.QueueEntry
		want    []int64
	}{
		{"free instance", []tc.QueueEntry{e(1, tc.StatusWaiting, 0, "a")}, []int64{1}},
		{"oldest first", []tc.QueueEntry{e(3, tc.StatusWaiting, 0, "a"), e(2, tc.StatusWaiting, 0, "a")}, []int64{2}},
		{"busy instance", []tc.QueueEntry{e(1, tc.StatusRunning, 0, "a"), e(2, tc.StatusWaiting, 0, "a")}, nil},
		{"ready holds too", []tc.QueueEntry{e(1, tc.StatusInitial, 0, "a"), e(2, tc.StatusWaiting, 0, "a")}, nil},
		{"not yet due", []tc.QueueEntry{e(1, tc.StatusWaiting, time.Minute, "a"), e(2, tc.StatusWaiting, 0, "a")}, []int64{2}},
		{"other instances go", []tc.QueueEntry{e(1, tc.StatusRunning, 0, "a"), e(2, tc.StatusWaiting, 0, "b")}, []int64{2}},
		{"multi-instance waits for all", []tc.QueueEntry{e(1, tc.StatusRunning, 0, "b"), e(2, tc.StatusWaiting, 0, "a", "b")}, nil},
		{"an older blocked task keeps its place", []tc.QueueEntry{
			e(1, tc.StatusRunning, 0, "b"), e(2, tc.StatusWaiting, 0, "a", "b"), e(3, tc.StatusWaiting, 0, "a"),
		}, nil},
		{"paused and ended hold nothing", []tc.QueueEntry{
			e(1, tc.StatusPaused, 0, "a"), e(2, tc.StatusSucceed, 0, "a"), e(3, tc.StatusWaiting, 0, "a"),
		}, []int64{3}},
		{"several at once", []tc.QueueEntry{
			e(1, tc.StatusWaiting, 0, "a"), e(2, tc.StatusWaiting, 0, "b"), e(3, tc.StatusWaiting, 0, "a", "c"),
		}, []int64{1, 2}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, tc.PlanPromotions(c.entries, now), c.name)
	}
}
