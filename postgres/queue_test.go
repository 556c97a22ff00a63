package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// TestExclusiveTransitiveQueues plans a queue whose tasks reach an instance
// two steps away: w2 on b and c waits for the holder of c; a plan started on
// a reaches b through w1 (on a and b, not due yet, so it keeps nothing) and
// must see that c is held before it starts w2.
func TestExclusiveTransitiveQueues(t *testing.T) {
	t.Parallel()
	requireTransitiveQueues(t, setup(t, pgtest.URL(t)))
}

func requireTransitiveQueues(t *testing.T, s tc.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"a", "b", "c"} {
		_, err := s.InstancePut(ctx, &tc.Instance{ID: id, Tenant: "ta", Status: tc.InstanceNormal})
		require.NoError(t, err)
	}
	submit := func(runAfter time.Time, instances ...string) *tc.Task {
		task, _, err := s.TaskInsert(ctx, &tc.TaskInsertParams{Actor: "test", Task: &tc.Task{
			Tenant: "ta", Type: tc.TypeReboot, Status: tc.StatusWaiting, Exclusive: true,
			InstanceIDs: instances, CreatedAt: now, RunAfter: runAfter, Context: []byte(`{}`),
		}})
		require.NoError(t, err)
		return task
	}
	holderC := submit(time.Time{}, "c")
	require.Equal(t, tc.StatusInitial, holderC.Status)
	w2 := submit(time.Time{}, "b", "c")
	require.Equal(t, tc.StatusWaiting, w2.Status)
	holderA := submit(time.Time{}, "a")
	require.Equal(t, tc.StatusInitial, holderA.Status)
	w1 := submit(now.Add(time.Hour), "a", "b")
	require.Equal(t, tc.StatusWaiting, w1.Status)
	n := submit(time.Time{}, "a") // plans a, b through w1, and c through w2
	require.Equal(t, tc.StatusWaiting, n.Status)
	got, err := s.TaskGet(ctx, "ta", w2.ID)
	require.NoError(t, err)
	require.Equal(t, tc.StatusWaiting, got.Status, "c is still held")
}
