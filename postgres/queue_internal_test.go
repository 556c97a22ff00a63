package postgres

import (
	"context"
	"testing"

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
	storetest.DriveQueues(t, s, func() (m storetest.QueueMarks, err error) {
		err = s.pool.QueryRow(ctx, `SELECT count(*),
				count(*) FILTER (WHERE q.holds <> (t.status IN ('INITIAL', 'RUNNING'))),
				(SELECT count(*) FROM (SELECT 1 FROM task_queue WHERE holds GROUP BY tenant, instance_id HAVING count(*) > 1) d)
			FROM task_queue q JOIN tasks t ON t.id = q.task_id`).Scan(&m.Rows, &m.Wrong, &m.Doubled)
		return m, err
	})
}
