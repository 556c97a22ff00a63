package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/engine"
)

// QueueMarks is what a store's queue table says of its holders: its rows,
// those whose mark of holding an instance is not their task's status (INITIAL
// or RUNNING holds), and the instances marked with more than one holder.
type QueueMarks struct{ Rows, Wrong, Doubled int }

// DriveQueues runs the engine over a migrated, empty store through what
// moves exclusive tasks in and out of their instances' queues: submissions,
// claims, a retry with a backoff (which keeps the instance), a pause and its
// resume, completions, a cancel, the promotion of a due task and a store
// update that sends a holder back to waiting. It checks the plans' outcomes
// on the way and, after each step, the marks that marks reads from the
// store's own tables: none wrong, no instance with two holders.
func DriveQueues(t *testing.T, s tc.Store, marks func() (QueueMarks, error)) {
	t.Helper()
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		m, err := marks()
		require.NoError(t, err)
		require.Zero(t, m.Wrong, "%s: queue rows whose mark is not their task's status", step)
		require.Zero(t, m.Doubled, "%s: instances with two holders", step)
		require.NotZero(t, m.Rows, step)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	svc := engine.New(s, engine.Config{Now: func() time.Time { return now }, RetryBase: time.Minute})
	submit := func(instances ...string) *tc.Task {
		t.Helper()
		task, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: instances})
		require.NoError(t, err)
		return task
	}
	claim := func() *tc.Task {
		t.Helper()
		tasks, err := svc.ClaimTasks(ctx, &tc.ClaimParams{Tenant: "ta", WorkerID: "w", Max: 1})
		require.NoError(t, err)
		require.Len(t, tasks, 1)
		return tasks[0]
	}
	lease := func(task *tc.Task) tc.TaskLease {
		return tc.TaskLease{Tenant: "ta", ID: task.ID, WorkerID: "w", Attempt: task.Attempts, Claim: task.Claims}
	}

	for _, id := range []string{"i1", "i2", "i3"} {
		_, err := svc.PutInstance(ctx, &tc.Instance{Tenant: "ta", ID: id})
		require.NoError(t, err)
	}
	a, b := submit("i1"), submit("i1")
	c, d := submit("i1", "i2"), submit("i3")
	check("submitted")
	require.Equal(t, a.ID, claim().ID)
	check("claimed")
	ranD := claim()
	require.Equal(t, d.ID, ranD.ID)
	check("claimed")
	// A retry keeps the instance: a is ready again after its backoff.
	_, err := svc.FailTask(ctx, &tc.FailParams{TaskLease: lease(mustGet(t, svc, a.ID)), Code: 1, Message: "x", Retryable: true})
	require.NoError(t, err)
	check("a to be retried")
	require.Equal(t, tc.StatusInitial, mustGet(t, svc, a.ID).Status)
	_, err = svc.PauseTask(ctx, "ta", c.ID, "op")
	require.NoError(t, err)
	check("c paused")
	_, err = svc.ResumeTask(ctx, "ta", c.ID, "op")
	require.NoError(t, err)
	check("c resumed")
	_, err = svc.CompleteTask(ctx, &tc.CompleteParams{TaskLease: lease(ranD)})
	require.NoError(t, err)
	check("d completed")
	now = now.Add(time.Hour)
	ranA := claim()
	require.Equal(t, a.ID, ranA.ID)
	_, err = svc.CompleteTask(ctx, &tc.CompleteParams{TaskLease: lease(ranA)})
	require.NoError(t, err)
	check("a completed")
	require.Equal(t, tc.StatusInitial, mustGet(t, svc, b.ID).Status)
	ranB := claim()
	_, err = svc.CompleteTask(ctx, &tc.CompleteParams{TaskLease: lease(ranB)})
	require.NoError(t, err)
	check("b completed")
	require.Equal(t, tc.StatusInitial, mustGet(t, svc, c.ID).Status, "c is the oldest task due on i1 and on i2")
	e, _, err := svc.SubmitTask(ctx, &tc.SubmitTaskParams{Tenant: "ta", Type: tc.TypeReboot, InstanceIDs: []string{"i2"},
		RunAfter: now.Add(time.Hour)})
	require.NoError(t, err)
	_, err = svc.CancelTask(ctx, "ta", c.ID, "op")
	require.NoError(t, err)
	check("c canceled before e is due")
	require.Equal(t, tc.StatusWaiting, mustGet(t, svc, e.ID).Status)
	_, err = s.TaskPromoteDue(ctx, now.Add(2*time.Hour))
	require.NoError(t, err)
	check("e due")
	require.Equal(t, tc.StatusInitial, mustGet(t, svc, e.ID).Status)
	// A store takes any change of status: a holder sent back to wait
	// leaves its mark.
	_, err = s.TaskUpdate(ctx, &tc.TaskUpdateParams{Tenant: "ta", ID: e.ID, Now: now, Update: func(t *tc.Task) error {
		t.Status, t.RunAfter = tc.StatusWaiting, now.Add(24*time.Hour)
		return nil
	}})
	require.NoError(t, err)
	check("e waiting again")
}

func mustGet(t *testing.T, svc *engine.Service, id int64) *tc.Task {
	t.Helper()
	task, err := svc.GetTask(context.Background(), "ta", id)
	require.NoError(t, err)
	return task
}
