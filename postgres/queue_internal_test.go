package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/storetest"
)

// TestQueueHoldersMarked: through everything that moves exclusive tasks in
// and out of their queues (storetest.DriveQueues), a queue row is marked as
// holding its instance (014) exactly when its task is INITIAL or RUNNING,
// and no instance has two holders. A plan reads the holders by the mark
// alone (queueOn).
func TestQueueHoldersMarked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	storetest.DriveQueues(t, s, func(step string) {
		t.Helper()
		var wrong, rows, doubled int
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*),
				count(*) FILTER (WHERE q.holds <> (t.status IN ('INITIAL', 'RUNNING')))
			FROM task_queue q JOIN tasks t ON t.id = q.task_id`).Scan(&rows, &wrong))
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM task_queue
			WHERE holds GROUP BY tenant, instance_id HAVING count(*) > 1) d`).Scan(&doubled))
		require.Zero(t, wrong, "%s: rows of task_queue whose mark is not their task's status", step)
		require.Zero(t, doubled, "%s: instances with two holders", step)
		require.NotZero(t, rows, step)
	})
}
