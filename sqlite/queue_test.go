package sqlite

import (
	"context"
	"testing"

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
	storetest.DriveQueues(t, s, func() (m storetest.QueueMarks, err error) {
		err = s.wconn.QueryRowContext(ctx, `SELECT count(*),
				coalesce(sum(q.holds <> (t.status = 'INITIAL' OR t.status = 'RUNNING')), 0),
				(SELECT count(*) FROM (SELECT 1 FROM task_queue WHERE holds GROUP BY tenant, instance_id HAVING count(*) > 1))
			FROM task_queue AS q JOIN tasks AS t ON t.id = q.task_id`).Scan(&m.Rows, &m.Wrong, &m.Doubled)
		return m, err
	})
}
