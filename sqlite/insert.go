package sqlite

import (
	"context"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The statements of inserts.
var (
	// insertTaskSQL inserts one task, as insertRow encodes it.
	insertTaskSQL = `INSERT INTO tasks (tenant, type, instance_ids, async_request_id, created_at, exclusive, ` +
		strings.Join(stateColumns, ", ") + `) VALUES (` + placeholders(6+len(stateColumns)) + `)`
	// linkInstancesSQL records the instances of the tasks with ids in a range.
	linkInstancesSQL = `INSERT OR IGNORE INTO task_instances (tenant, instance_id, task_id)
		SELECT t.tenant, i.value, t.id FROM tasks AS t CROSS JOIN json_each(t.instance_ids) AS i
		WHERE t.id BETWEEN ? AND ?`
	// linkRemovedSQL copies to task_instances_removed (011) the links of
	// the tasks whose ids a JSON array holds, which have become REMOVED.
	linkRemovedSQL = `INSERT OR IGNORE INTO task_instances_removed (tenant, instance_id, task_id)
		SELECT tenant, instance_id, task_id FROM task_instances WHERE task_id IN (SELECT value FROM json_each(?))`
	// unlinkRemovedSQL drops those links again, of tasks no longer REMOVED.
	unlinkRemovedSQL = `DELETE FROM task_instances_removed WHERE task_id IN (SELECT value FROM json_each(?))`
	// tasksByRequestSQL returns the tasks of [tenant, async request id]
	// pairs; the redundant <> '' lets SQLite use the partial unique index.
	tasksByRequestSQL = `SELECT DISTINCT ` + taskColumnsOfT + ` FROM json_each(?) AS j
		CROSS JOIN tasks AS t ON t.tenant = j.value->>0 AND t.async_request_id = j.value->>1
		WHERE t.async_request_id <> ''`
	// unknownInstancesSQL returns the [tenant, instance] pairs that name no instance.
	unknownInstancesSQL = `SELECT j.value->>0, j.value->>1 FROM json_each(?) AS j
		WHERE NOT EXISTS (SELECT 1 FROM instances AS i WHERE i.tenant = j.value->>0 AND i.id = j.value->>1)`
)

// TaskInsert stores one task, as TaskInsertMany does.
func (s *Store) TaskInsert(ctx context.Context, p *tc.TaskInsertParams) (*tc.Task, bool, error) {
	res, err := s.TaskInsertMany(ctx, []*tc.TaskInsertParams{p})
	if err != nil {
		return nil, false, err
	}
	return res[0].Task, res[0].Created, res[0].Err
}

// TaskInsertMany stores new tasks, their instances and first events in one
// transaction: request ids and instances are checked in one query each, the
// queues planned once, and tasks and events written by statements prepared
// once and run per row. The single writer makes the checks atomic with the
// inserts. A queued exclusive task that may start at once is stored INITIAL
// with one submission event, not a WAITING one and a promotion.
func (s *Store) TaskInsertMany(ctx context.Context, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	var out []tc.TaskResult
	err := s.write(ctx, func(tx *writeTx) (err error) {
		out, err = insertTasks(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requestKey is an async request id of a tenant.
type requestKey struct{ tenant, id string }

func insertTasks(ctx context.Context, tx *writeTx, ps []*tc.TaskInsertParams) ([]tc.TaskResult, error) {
	existing, err := tasksByRequest(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	unknown, err := unknownInstances(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	out := make([]tc.TaskResult, len(ps))
	first := map[requestKey]int{} // the item of the batch that inserts a request id
	again := map[int]int{}        // items naming a request id an earlier item inserts
	var inserts []int
	var tasks []*tc.Task
	for i, p := range ps {
		k := requestKey{p.Task.Tenant, p.Task.AsyncRequestID}
		if k.id != "" {
			if found, ok := existing[k]; ok {
				out[i].Task = cloneTask(found)
				continue
			}
			if j, ok := first[k]; ok {
				again[i] = j
				continue
			}
		}
		if id := firstUnknown(p.Task, unknown); id != "" {
			out[i].Err = tc.UnknownInstance(id)
			continue
		}
		if k.id != "" {
			first[k] = i
		}
		t := cloneTask(p.Task)
		t.InstanceIDs, t.UpdatedAt, t.Claims = nonNil(t.InstanceIDs), t.CreatedAt, 0
		inserts, tasks = append(inserts, i), append(tasks, t)
	}
	if len(tasks) > 0 {
		if err := storeTasks(ctx, tx, tasks); err != nil {
			return nil, err
		}
		events := make([][]any, len(tasks))
		for k, t := range tasks {
			i := inserts[k]
			out[i].Task, out[i].Created = t, true
			events[k] = []any{t.ID, t.Tenant, millis(t.CreatedAt), tc.Status(""), t.Status, t.Progress, "", ps[i].Actor}
		}
		if err := appendEvents(ctx, tx, events); err != nil {
			return nil, err
		}
	}
	for i, j := range again {
		out[i].Task = cloneTask(out[j].Task)
	}
	return out, nil
}

// storeTasks plans the queues of new tasks, inserts them in order, and
// links and queues them. It sets each task's ID and leaves it as stored.
func storeTasks(ctx context.Context, tx *writeTx, tasks []*tc.Task) error {
	if err := planNew(ctx, tx, tasks); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, insertTaskSQL)
	if err != nil {
		return dbError("insert tasks", err)
	}
	defer stmt.Close()
	for _, t := range tasks {
		row, err := insertRow(t)
		if err != nil {
			return err
		}
		res, err := stmt.ExecContext(ctx, row...)
		if err != nil {
			return dbError("insert tasks", err)
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return dbError("insert tasks", err)
		}
		tx.count(t, t.Status, 1)
		if _, err := storedForm(t); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, linkInstancesSQL, tasks[0].ID, tasks[len(tasks)-1].ID)
	if err != nil {
		return dbError("link instances", err)
	}
	var exclusive []*tc.Task
	var removed []int64
	for _, t := range tasks {
		if t.Exclusive {
			exclusive = append(exclusive, t)
		}
		if t.Status == tc.StatusRemoved {
			removed = append(removed, t.ID)
		}
	}
	if err := linkRemoved(ctx, tx, removed); err != nil {
		return err
	}
	return syncQueue(ctx, tx, exclusive)
}

// linkRemoved copies the instance links of tasks that have become REMOVED
// to task_instances_removed, where an instance's count finds them.
func linkRemoved(ctx context.Context, tx *writeTx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, linkRemovedSQL, jsonText(ids))
	return dbError("link removed tasks", err)
}

// planNew plans the queues of the instances of new exclusive tasks as if
// they were queued already, after every stored task and in order: a new
// task that may start at once becomes INITIAL before its insert, so it is
// stored with one submission event, not a WAITING one and a promotion.
// Stored tasks that the plan starts are promoted as usual. When every new
// task is blocked (allBlocked), there is nothing to plan.
func planNew(ctx context.Context, tx *writeTx, tasks []*tc.Task) error {
	var exclusive []*tc.Task
	var now time.Time
	for _, t := range tasks {
		if t.Exclusive {
			exclusive = append(exclusive, t)
			now = later(now, t.CreatedAt)
		}
	}
	if len(exclusive) == 0 {
		return nil
	}
	if blocked, err := allBlocked(ctx, tx, exclusive, now); err != nil || blocked {
		return err
	}
	queue, err := loadQueue(ctx, tx, queueKeys(exclusive), now)
	if err != nil {
		return err
	}
	// Ids above any stored one stand for the new tasks in the plan.
	const newID = int64(1) << 62
	for k, t := range exclusive {
		// As in task_queue: a task is there on its instances, so one without
		// any is not.
		if len(t.InstanceIDs) > 0 && (t.Status == tc.StatusWaiting || tc.HoldsInstances(t.Status)) {
			queue[newID+int64(k)] = queued{tenant: t.Tenant, QueueEntry: tc.QueueEntry{
				ID: newID + int64(k), Status: t.Status, RunAfter: t.RunAfter, InstanceIDs: t.InstanceIDs}}
		}
	}
	var stored []int64
	for _, id := range plan(queue, now) {
		if id < newID {
			stored = append(stored, id)
			continue
		}
		if err := exclusive[id-newID].Transition(tc.StatusInitial, now); err != nil {
			return err
		}
	}
	_, err = promote(ctx, tx, stored, now)
	return err
}

// insertRow encodes a new task as the arguments of insertTaskSQL.
func insertRow(t *tc.Task) ([]any, error) {
	state, err := stateValues(t)
	if err != nil {
		return nil, err
	}
	return append([]any{t.Tenant, t.Type, jsonText(t.InstanceIDs), t.AsyncRequestID,
		millis(t.CreatedAt), t.Exclusive}, state...), nil
}

// tasksByRequest returns the stored tasks that the async request ids of ps
// name.
func tasksByRequest(ctx context.Context, tx *writeTx, ps []*tc.TaskInsertParams) (map[requestKey]*tc.Task, error) {
	var pairs [][2]string
	for _, p := range ps {
		if p.Task.AsyncRequestID != "" {
			pairs = append(pairs, [2]string{p.Task.Tenant, p.Task.AsyncRequestID})
		}
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, tasksByRequestSQL, jsonText(pairs))
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	tasks, err := scanTasks(rows)
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	found := make(map[requestKey]*tc.Task, len(tasks))
	for _, t := range tasks {
		found[requestKey{t.Tenant, t.AsyncRequestID}] = t
	}
	return found, nil
}

// unknownInstances returns the instances that the tasks of ps name and
// their tenants do not have.
func unknownInstances(ctx context.Context, tx *writeTx, ps []*tc.TaskInsertParams) (map[queueKey]bool, error) {
	tasks := make([]*tc.Task, len(ps))
	for i, p := range ps {
		tasks[i] = p.Task
	}
	return selectKeys(ctx, tx, "check instances", unknownInstancesSQL, queueKeys(tasks))
}

// firstUnknown returns the first instance of t that its tenant does not
// have, or "".
func firstUnknown(t *tc.Task, unknown map[queueKey]bool) string {
	for _, id := range t.InstanceIDs {
		if unknown[queueKey{t.Tenant, id}] {
			return id
		}
	}
	return ""
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
