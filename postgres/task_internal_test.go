package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
)

// TestTaskInsertWaitsForConcurrentDuplicate forces the race that the
// read-before-insert cannot see: a second insert of the same request id
// starts while the first is still uncommitted, waits for it (on the request
// id's lock) and must then return the first task.
func TestTaskInsertWaitsForConcurrentDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: "cdb-1", Tenant: "ta", Status: taskcenter.InstanceNormal})
	require.NoError(t, err)
	params := func() *taskcenter.TaskInsertParams {
		return &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{
			Tenant: "ta", Type: taskcenter.TypeReboot, Status: taskcenter.StatusInitial,
			InstanceIDs: []string{"cdb-1"}, AsyncRequestID: "race", CreatedAt: time.Now(),
		}}
	}

	first, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer first.Rollback(ctx)
	task, created, err := insertOne(ctx, first, params())
	require.NoError(t, err)
	require.True(t, created)

	second, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer second.Rollback(ctx)
	var pid int
	require.NoError(t, second.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	type result struct {
		task    *taskcenter.Task
		created bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		task, created, err := insertOne(ctx, second, params())
		done <- result{task, created, err}
	}()
	waitForLock(t, s, pid)
	require.NoError(t, first.Commit(ctx))

	got := <-done
	require.NoError(t, got.err)
	require.False(t, got.created)
	require.Equal(t, task.ID, got.task.ID)
	require.NoError(t, second.Commit(ctx))
}

// insertOne inserts one task in the transaction as TaskInsert does.
func insertOne(ctx context.Context, tx pgx.Tx, p *taskcenter.TaskInsertParams) (*taskcenter.Task, bool, error) {
	res, err := insertTasks(ctx, tx, []*taskcenter.TaskInsertParams{p})
	if err != nil {
		return nil, false, err
	}
	return res[0].Task, res[0].Created, res[0].Err
}

// waitForLock polls until the backend pid waits for a lock.
func waitForLock(t *testing.T, s *Store, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var waiting bool
		err := s.pool.QueryRow(context.Background(),
			`SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&waiting)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			require.NoError(t, err)
		}
		if waiting {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the second insert never waited for the first")
}

// TestPruneTakesTaskRows checks that a pruned task leaves none of its rows
// behind: its instance links, queue entries and events go with it by a
// trigger, not by foreign keys.
func TestPruneTakesTaskRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: "cdb-1", Tenant: "ta", Status: taskcenter.InstanceNormal})
	require.NoError(t, err)
	now := time.Now()
	insert := func(exclusive bool) *taskcenter.Task {
		task, _, err := s.TaskInsert(ctx, &taskcenter.TaskInsertParams{Actor: "test", Task: &taskcenter.Task{
			Tenant: "ta", Type: taskcenter.TypeReboot, Status: taskcenter.StatusWaiting, Exclusive: exclusive,
			InstanceIDs: []string{"cdb-1"}, CreatedAt: now,
		}})
		require.NoError(t, err)
		return task
	}
	ended, kept := insert(true), insert(true)
	_, err = s.TaskUpdate(ctx, &taskcenter.TaskUpdateParams{Tenant: "ta", ID: ended.ID, Actor: "test", Now: now,
		Update: func(t *taskcenter.Task) error { return t.Transition(taskcenter.StatusKilled, now) }})
	require.NoError(t, err)
	rows := func(id int64) (n int) {
		err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM task_instances WHERE task_id = $1)
			+ (SELECT count(*) FROM task_queue WHERE task_id = $1)
			+ (SELECT count(*) FROM task_events WHERE task_id = $1)`, id).Scan(&n)
		require.NoError(t, err)
		return n
	}
	require.Positive(t, rows(ended.ID))
	keptRows := rows(kept.ID)
	require.Equal(t, 4, keptRows, "an instance link, a queue entry and two events: submitted, promoted")

	n, err := s.TaskPrune(ctx, now.Add(time.Millisecond), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, rows(ended.ID))
	require.Equal(t, keptRows, rows(kept.ID))
}

// TestInstanceCountsFollowLinks: an instance's total, kept by triggers on
// the link tables, follows every write of the links, the engine's or not:
// tasks on several instances, removals and their undoing, a bulk load, a
// link moved by hand, prunes; each before and after a fold.
func TestInstanceCountsFollowLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	now := time.Now()
	keys := []instanceKey{{"ta", "a"}, {"ta", "b"}, {"ta", "c"}, {"tb", "a"}}
	for _, k := range keys {
		_, err := s.InstancePut(ctx, &taskcenter.Instance{ID: k.id, Tenant: k.tenant, Status: taskcenter.InstanceNormal})
		require.NoError(t, err)
	}
	check := func(step string) {
		t.Helper()
		for _, compact := range []bool{false, true} {
			if compact {
				require.NoError(t, s.TaskCountsCompact(ctx))
			}
			for _, k := range keys {
				var want int
				require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM task_instances ti JOIN tasks t ON t.id = ti.task_id
					WHERE ti.tenant = $1 AND ti.instance_id = $2 AND t.status <> 'REMOVED'`, k.tenant, k.id).Scan(&want))
				for _, limit := range []int{0, 2} {
					page, err := s.TaskList(ctx, &taskcenter.TaskFilter{Tenant: k.tenant, InstanceID: k.id, Limit: limit})
					require.NoError(t, err)
					require.Equal(t, want, page.Total, "%s (folded: %v): %s/%s, a page of %d", step, compact, k.tenant, k.id, limit)
				}
			}
		}
	}
	insert := func(tenant string, status taskcenter.Status, instances ...string) *taskcenter.Task {
		task := &taskcenter.Task{Tenant: tenant, Type: taskcenter.TypeModifyParam, Status: status, InstanceIDs: instances, CreatedAt: now}
		if status.Terminal() {
			task.EndedAt = now
		}
		task, _, err := s.TaskInsert(ctx, &taskcenter.TaskInsertParams{Actor: "test", Task: task})
		require.NoError(t, err)
		return task
	}
	setStatus := func(task *taskcenter.Task, status taskcenter.Status) {
		_, err := s.TaskUpdate(ctx, &taskcenter.TaskUpdateParams{Tenant: task.Tenant, ID: task.ID, Actor: "test", Now: now,
			Update: func(t *taskcenter.Task) error {
				t.Status = status
				if status.Terminal() {
					t.EndedAt = now
				}
				return nil
			}})
		require.NoError(t, err)
	}

	both := insert("ta", taskcenter.StatusInitial, "a", "b", "a")
	insert("ta", taskcenter.StatusSucceed, "a")
	removed := insert("ta", taskcenter.StatusRemoved, "a", "c")
	insert("tb", taskcenter.StatusFailed, "a")
	check("inserts")

	setStatus(both, taskcenter.StatusRemoved)
	check("removed")
	setStatus(removed, taskcenter.StatusFailed)
	check("removal undone")

	require.NoError(t, s.BulkLoad(ctx, nil, []*taskcenter.Task{
		{Tenant: "ta", Type: taskcenter.TypeReboot, Status: taskcenter.StatusSucceed, InstanceIDs: []string{"b", "c"}, CreatedAt: now},
		{Tenant: "ta", Type: taskcenter.TypeReboot, Status: taskcenter.StatusRemoved, InstanceIDs: []string{"c"}, CreatedAt: now},
	}))
	check("bulk load")

	// A removed task's links are copied to task_instances_removed (015),
	// where a hand-made move follows them.
	for _, q := range []string{
		`UPDATE task_instances SET instance_id = 'a' WHERE tenant = 'ta' AND instance_id = 'b' AND task_id <> $1`,
		`UPDATE task_instances SET instance_id = 'b' WHERE tenant = 'ta' AND instance_id = 'c' AND task_id = (
			SELECT min(task_id) FROM task_instances WHERE tenant = 'ta' AND instance_id = 'c' AND task_id <> $1)`,
		`UPDATE task_instances SET instance_id = 'c' WHERE task_id = $1 AND instance_id = 'b'`,
		`UPDATE task_instances_removed SET instance_id = 'c' WHERE task_id = $1 AND instance_id = 'b'`,
	} {
		_, err := s.pool.Exec(ctx, q, both.ID)
		require.NoError(t, err)
	}
	check("links moved")

	for _, status := range []taskcenter.Status{taskcenter.StatusKilled, taskcenter.StatusSucceed} {
		setStatus(both, status)
	}
	n, err := s.TaskPrune(ctx, now.Add(time.Hour), 3)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	check("prune")
}
