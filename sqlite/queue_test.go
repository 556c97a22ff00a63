package sqlite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/storetest"
)

// TestQueueHoldersMarked: through everything that moves exclusive tasks in
// and out of their queues (storetest.DriveQueues), a queue row is marked as
// holding its instance (013) exactly when its task is INITIAL or RUNNING,
// and no instance has two holders. A plan reads the holders by the mark
// alone (queueOnSQL).
func TestQueueHoldersMarked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	storetest.DriveQueues(t, s, func(step string) {
		t.Helper()
		var wrong, rows, doubled int
		require.NoError(t, s.writer.QueryRowContext(ctx, `SELECT count(*),
				coalesce(sum(q.holds <> (t.status = 'INITIAL' OR t.status = 'RUNNING')), 0)
			FROM task_queue AS q JOIN tasks AS t ON t.id = q.task_id`).Scan(&rows, &wrong))
		require.NoError(t, s.writer.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM task_queue
			WHERE holds GROUP BY tenant, instance_id HAVING count(*) > 1)`).Scan(&doubled))
		require.Zero(t, wrong, "%s: rows of task_queue whose mark is not their task's status", step)
		require.Zero(t, doubled, "%s: instances with two holders", step)
		require.NotZero(t, rows, step)
	})
}
