package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestBatchResultsAsStored: the batch methods build their results in memory
// rather than reading the rows back; each result is what TaskGet returns,
// whatever the precision and zone of the times given.
func TestBatchResultsAsStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "taskcenter.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("east", 3600))
	_, err := s.InstancePut(ctx, &tc.Instance{Tenant: "ta", ID: "a", Status: tc.InstanceNormal, CreatedAt: at, UpdatedAt: at})
	require.NoError(t, err)
	requireStored := func(res []tc.TaskResult) {
		t.Helper()
		for i, r := range res {
			require.NoError(t, r.Err, "item %d", i)
			got, err := s.TaskGet(ctx, "ta", r.Task.ID)
			require.NoError(t, err)
			require.Equal(t, got, r.Task, "item %d", i)
		}
	}

	exclusive := func(task *tc.Task) *tc.TaskInsertParams {
		task.Tenant, task.Type, task.InstanceIDs, task.CreatedAt = "ta", tc.TypeReboot, []string{"a"}, at
		task.Status, task.Exclusive = tc.StatusWaiting, true
		return &tc.TaskInsertParams{Task: task, Actor: "test"}
	}
	ins, err := s.TaskInsertMany(ctx, []*tc.TaskInsertParams{
		exclusive(&tc.Task{Timeout: 1500 * time.Microsecond, AttachInfo: []tc.Attach{}}),
		exclusive(&tc.Task{RunAfter: at.Add(-time.Nanosecond), Context: []byte(`{"k":"v"}`)}),
	})
	require.NoError(t, err)
	requireStored(ins)
	holder, waiting := ins[0].Task, ins[1].Task
	require.Equal(t, tc.StatusInitial, holder.Status, "started at once")
	require.Equal(t, tc.StatusWaiting, waiting.Status, "queued behind it")

	// The holder ends, and an update of the waiting task in the same batch
	// still sees it WAITING: the queue is replanned once, after the last
	// update, and the result is the task as the replan left it.
	later := at.Add(time.Second + time.Nanosecond)
	ups, err := s.TaskUpdateMany(ctx, []*tc.TaskUpdateParams{
		{Tenant: "ta", ID: holder.ID, Actor: "w", Now: later, Update: func(task *tc.Task) error {
			task.StartedAt, task.LeaseExpiresAt, task.Message = later, later.Add(time.Minute), "bye"
			task.AttachInfo = []tc.Attach{{Key: "k", Value: "v"}}
			return task.Transition(tc.StatusKilled, later)
		}},
		{Tenant: "ta", ID: waiting.ID, Actor: "w", Now: later, Update: func(task *tc.Task) error {
			require.Equal(t, tc.StatusWaiting, task.Status)
			task.Progress, task.Context = 5, nil
			return nil
		}},
	})
	require.NoError(t, err)
	requireStored(ups)
	require.Equal(t, tc.StatusKilled, ups[0].Task.Status)
	require.Equal(t, tc.StatusInitial, ups[1].Task.Status, "promoted when the batch ended")
	require.Equal(t, 5, ups[1].Task.Progress)
	require.JSONEq(t, `{}`, string(ups[1].Task.Context))

	// Without a change of status, the columns the indexes read are written
	// all the same when they change, and left alone when they do not.
	ups, err = s.TaskUpdateMany(ctx, []*tc.TaskUpdateParams{
		{Tenant: "ta", ID: holder.ID, Actor: "w", Now: later, Update: func(task *tc.Task) error {
			task.EndedAt = later.Add(time.Hour)
			return nil
		}},
		{Tenant: "ta", ID: waiting.ID, Actor: "w", Now: later, Update: func(task *tc.Task) error {
			task.RunAfter, task.Progress = later.Add(time.Hour), 7
			return nil
		}},
		{Tenant: "ta", ID: waiting.ID, Actor: "w", Now: later, Update: func(task *tc.Task) error {
			task.Progress, task.LeaseOwner = 8, "w"
			return nil
		}},
	})
	require.NoError(t, err)
	requireStored([]tc.TaskResult{ups[0], ups[2]}) // ups[1] is the waiting task before ups[2]
	require.Equal(t, fromMillisUTC(later.Add(time.Hour)), ups[0].Task.EndedAt)
	require.Equal(t, fromMillisUTC(later.Add(time.Hour)), ups[2].Task.RunAfter)
	require.Equal(t, 8, ups[2].Task.Progress)
}

// fromMillisUTC is a time as the store keeps it.
func fromMillisUTC(at time.Time) time.Time { return time.UnixMilli(at.UnixMilli()).UTC() }

// TestBatchEventsInOrder: a batch's events are appended in chunks of
// several rows and the rest one by one; each lands in its task's history
// with its own values, and their seqs follow the order of the batch.
func TestBatchEventsInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "taskcenter.db"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const n = 2*16 + 3 // two chunks of the writer and three single rows
	ps := make([]*tc.TaskInsertParams, n)
	for i := range ps {
		ps[i] = &tc.TaskInsertParams{Actor: fmt.Sprintf("submitter-%d", i), Task: &tc.Task{
			Tenant: "ta", Type: tc.TypeSQLOperation, Status: tc.StatusInitial, CreatedAt: at.Add(time.Duration(i) * time.Millisecond)}}
	}
	ins, err := s.TaskInsertMany(ctx, ps)
	require.NoError(t, err)
	ups := make([]*tc.TaskUpdateParams, n)
	for i, r := range ins {
		require.NoError(t, r.Err)
		ups[n-1-i] = &tc.TaskUpdateParams{Tenant: "ta", ID: r.Task.ID, Actor: fmt.Sprintf("worker-%d", i), Now: at.Add(time.Minute),
			Update: func(task *tc.Task) error {
				task.Progress, task.Message = i, fmt.Sprintf("step %d", i)
				return nil
			}}
	}
	_, err = s.TaskUpdateMany(ctx, ups)
	require.NoError(t, err)

	submitted, updated := make([]int64, n), make([]int64, n)
	for i, r := range ins {
		events, err := s.TaskEvents(ctx, "ta", r.Task.ID)
		require.NoError(t, err)
		require.Len(t, events, 2, "task %d", i)
		first, second := events[0], events[1]
		require.Equal(t, r.Task.ID, first.TaskID)
		require.Equal(t, tc.Status(""), first.From)
		require.Equal(t, tc.StatusInitial, first.To)
		require.Equal(t, fmt.Sprintf("submitter-%d", i), first.Actor)
		require.True(t, first.At.Equal(at.Add(time.Duration(i)*time.Millisecond)), "task %d: %s", i, first.At)
		require.Equal(t, r.Task.ID, second.TaskID)
		require.Equal(t, tc.StatusInitial, second.From)
		require.Equal(t, tc.StatusInitial, second.To)
		require.Equal(t, i, second.Progress)
		require.Equal(t, fmt.Sprintf("step %d", i), second.Message)
		require.Equal(t, fmt.Sprintf("worker-%d", i), second.Actor)
		submitted[i], updated[n-1-i] = first.Seq, second.Seq
	}
	require.IsIncreasing(t, submitted, "submissions in the order of the batch")
	require.IsIncreasing(t, updated, "updates in the order of the batch")
	require.Less(t, submitted[n-1], updated[0])
}
