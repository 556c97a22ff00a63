package sqlite

import (
	"context"
	"slices"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The statements of the queues, each taking a JSON array.
const (
	// queueTasksSQL queues tasks, by id, on their instances, and marks
	// those that hold them (013). The WHERE true is SQLite's: an upsert
	// whose SELECT has a join must have a WHERE, or its ON is read as the
	// join's.
	queueTasksSQL = `INSERT INTO task_queue (tenant, instance_id, task_id, holds)
		SELECT t.tenant, i.value, t.id, t.status IN ('INITIAL', 'RUNNING')
		FROM json_each(?) AS j CROSS JOIN tasks AS t ON t.id = j.value
		CROSS JOIN json_each(t.instance_ids) AS i WHERE true
		ON CONFLICT (tenant, instance_id, task_id) DO UPDATE SET holds = excluded.holds
			WHERE holds <> excluded.holds`
	dequeueTasksSQL = `DELETE FROM task_queue WHERE task_id IN (SELECT value FROM json_each(?))`
	// holdSQL marks promoted tasks as the holders of their instances.
	holdSQL = `UPDATE task_queue SET holds = 1 WHERE task_id IN (SELECT value FROM json_each(?))`
	// queueOnSQL returns, of each [tenant, instance] pair of ?1, the queued
	// task that holds it and its oldest waiting task whose time (?2) has
	// come: all that PlanPromotions needs to plan it (see loadQueue). A
	// task on several pairs comes once per pair, which loadQueue keeps once
	// (cheaper than DISTINCT's temporary b-tree).
	queueOnSQL = `SELECT t.id, t.tenant, t.status, t.run_after, t.instance_ids
		FROM json_each(?1) AS j
		CROSS JOIN task_queue AS q ON q.tenant = j.value->>0 AND q.instance_id = j.value->>1 AND q.holds
		CROSS JOIN tasks AS t ON t.id = q.task_id
		UNION ALL
		SELECT t.id, t.tenant, t.status, t.run_after, t.instance_ids
		FROM json_each(?1) AS j
		CROSS JOIN tasks AS t ON t.id = (SELECT q.task_id FROM task_queue AS q CROSS JOIN tasks AS w ON w.id = q.task_id
			WHERE q.tenant = j.value->>0 AND q.instance_id = j.value->>1
				AND w.status = 'WAITING' AND w.run_after <= ?2
			ORDER BY q.task_id LIMIT 1)`
	// blockedSQL returns those of [tenant, instance] pairs that a queued
	// task holds, or waits for with its time (?) come: a task queued after
	// it cannot start there.
	blockedSQL = `SELECT j.value->>0, j.value->>1 FROM json_each(?) AS j
		WHERE EXISTS (SELECT 1 FROM task_queue AS q CROSS JOIN tasks AS t ON t.id = q.task_id
			WHERE q.tenant = j.value->>0 AND q.instance_id = j.value->>1
				AND (t.status IN ('INITIAL', 'RUNNING') OR (t.status = 'WAITING' AND t.run_after <= ?)))`
	promoteSQL = `UPDATE tasks SET status = 'INITIAL', updated_at = ?, lease_owner = '', lease_expires_at = 0
		WHERE id IN (SELECT value FROM json_each(?)) AND status = 'WAITING'
		RETURNING id, tenant, type, created_at, exclusive`
	promoteEventsSQL = `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
		SELECT id, tenant, ?, 'WAITING', 'INITIAL', progress, '', ?
		FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`
)

// queueKey is one instance of one tenant: the per-instance queues are per
// tenant, as instance ids are.
type queueKey struct{ tenant, instance string }

// queueKeys returns the instances of tasks as queue keys, each once.
func queueKeys(tasks []*tc.Task) []queueKey {
	seen := map[queueKey]bool{}
	var keys []queueKey
	for _, t := range tasks {
		for _, id := range t.InstanceIDs {
			k := queueKey{t.Tenant, id}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// syncQueue keeps task_queue in step with the status of exclusive tasks, as
// stored: a task is queued on its instances while WAITING, INITIAL or
// RUNNING, and dequeued otherwise.
func syncQueue(ctx context.Context, tx *writeTx, tasks []*tc.Task) error {
	var queued, dequeued []int64
	for _, t := range tasks {
		if t.Status == tc.StatusWaiting || tc.HoldsInstances(t.Status) {
			queued = append(queued, t.ID)
		} else {
			dequeued = append(dequeued, t.ID)
		}
	}
	if len(queued) > 0 {
		_, err := tx.ExecContext(ctx, queueTasksSQL, jsonText(queued))
		if err != nil {
			return dbError("queue tasks", err)
		}
	}
	if len(dequeued) > 0 {
		_, err := tx.ExecContext(ctx, dequeueTasksSQL, jsonText(dequeued))
		return dbError("dequeue tasks", err)
	}
	return nil
}

// replan promotes the waiting tasks that PlanPromotions lets start on the
// given instances, in one step for all of them, and returns their ids in
// order. The single writer makes the plan atomic.
func replan(ctx context.Context, tx *writeTx, keys []queueKey, now time.Time) ([]int64, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	queue, err := loadQueue(ctx, tx, keys, now)
	if err != nil {
		return nil, err
	}
	return promote(ctx, tx, plan(queue, now), now)
}

// plan returns the ids of the queued tasks that PlanPromotions starts, in
// order. Instance ids are per tenant, so each tenant's queues are planned
// apart.
func plan(queue map[int64]queued, now time.Time) []int64 {
	byTenant := map[string][]tc.QueueEntry{}
	for _, e := range queue {
		byTenant[e.tenant] = append(byTenant[e.tenant], e.QueueEntry)
	}
	var ids []int64
	for _, entries := range byTenant {
		ids = append(ids, tc.PlanPromotions(entries, now)...)
	}
	slices.Sort(ids)
	return ids
}

// queued is a task of task_queue and its tenant.
type queued struct {
	tc.QueueEntry
	tenant string
}

// loadQueue returns, of the given instances and, to a fixed point, of every
// other instance the tasks it returns name, the queued task that holds each
// and the oldest waiting one whose time (now) has come. PlanPromotions
// starts a waiting task exactly when none of its instances has a holder and
// it is the oldest due task on each: the younger tasks of a queue, and those
// whose time has not come, change nothing in its plan, so a plan reads two
// tasks of an instance however many wait there.
func loadQueue(ctx context.Context, tx *writeTx, keys []queueKey, now time.Time) (map[int64]queued, error) {
	seen := map[queueKey]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	all := map[int64]queued{}
	for len(keys) > 0 {
		entries, err := queueOn(ctx, tx, keys, now)
		if err != nil {
			return nil, err
		}
		keys = nil
		for _, e := range entries {
			if _, ok := all[e.ID]; ok {
				continue
			}
			all[e.ID] = e
			for _, id := range e.InstanceIDs {
				if k := (queueKey{e.tenant, id}); !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	return all, nil
}

func queueOn(ctx context.Context, tx *writeTx, keys []queueKey, now time.Time) ([]queued, error) {
	rows, err := tx.QueryContext(ctx, queueOnSQL, keysJSON(keys), millis(now))
	if err != nil {
		return nil, dbError("load queue", err)
	}
	defer rows.Close()
	var entries []queued
	for rows.Next() {
		var e queued
		var runAfter int64
		var ids string
		if err := rows.Scan(&e.ID, &e.tenant, &e.Status, &runAfter, &ids); err != nil {
			return nil, dbError("load queue", err)
		}
		e.RunAfter = fromMillis(runAfter)
		if e.InstanceIDs, err = decodeIDs(ids); err != nil {
			return nil, dbError("load queue", err)
		}
		entries = append(entries, e)
	}
	return entries, dbError("load queue", rows.Err())
}

// allBlocked reports whether no plan would start any of the new tasks: each
// one that waits with its time come has an instance that a queued task holds
// or waits for with its time come. Adding younger tasks to the queues frees
// nothing for older ones, so the plan can then be skipped: it reads every
// task queued on the instances, where this reads, per instance, up to the
// first task that blocks it.
func allBlocked(ctx context.Context, tx *writeTx, tasks []*tc.Task, now time.Time) (bool, error) {
	blocked, err := selectKeys(ctx, tx, "read blocked queues", blockedSQL, queueKeys(tasks), millis(now))
	if err != nil {
		return false, err
	}
	for _, t := range tasks {
		if t.Status != tc.StatusWaiting || t.RunAfter.After(now) {
			continue
		}
		if !slices.ContainsFunc(t.InstanceIDs, func(id string) bool { return blocked[queueKey{t.Tenant, id}] }) {
			return false, nil
		}
	}
	return true, nil
}

// keysJSON is keys as the JSON array of [tenant, instance] pairs that the
// statements of this package read with json_each.
func keysJSON(keys []queueKey) string {
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k.tenant, k.instance}
	}
	return jsonText(pairs)
}

// selectKeys runs query, which takes keysJSON(keys) and args and returns
// [tenant, instance] rows, and returns the keys it returned; op names it in
// errors.
func selectKeys(ctx context.Context, tx *writeTx, op, query string, keys []queueKey, args ...any) (map[queueKey]bool, error) {
	rows, err := tx.QueryContext(ctx, query, append([]any{keysJSON(keys)}, args...)...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	selected := map[queueKey]bool{}
	for rows.Next() {
		var k queueKey
		if err := rows.Scan(&k.tenant, &k.instance); err != nil {
			return nil, dbError(op, err)
		}
		selected[k] = true
	}
	return selected, dbError(op, rows.Err())
}

// promote makes WAITING tasks INITIAL, as Task.Transition does, with an
// event for each, and returns their ids in order.
func promote(ctx context.Context, tx *writeTx, ids []int64, now time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, promoteSQL, millis(now), jsonText(ids))
	if err != nil {
		return nil, dbError("promote tasks", err)
	}
	defer rows.Close()
	var promoted, held []int64
	for rows.Next() {
		var t tc.Task
		var created int64
		if err := rows.Scan(&t.ID, &t.Tenant, &t.Type, &created, &t.Exclusive); err != nil {
			return nil, dbError("promote tasks", err)
		}
		t.CreatedAt = fromMillis(created)
		tx.moved(&t, tc.StatusWaiting, tc.StatusInitial)
		promoted = append(promoted, t.ID)
		if t.Exclusive {
			held = append(held, t.ID)
		}
	}
	if err := rows.Err(); err != nil || len(promoted) == 0 {
		return nil, dbError("promote tasks", err)
	}
	slices.Sort(promoted)
	if len(held) > 0 {
		if _, err := tx.ExecContext(ctx, holdSQL, jsonText(held)); err != nil {
			return nil, dbError("promote tasks", err)
		}
	}
	_, err = tx.ExecContext(ctx, promoteEventsSQL, millis(now), tc.ActorEngine, jsonText(promoted))
	return promoted, dbError("promote tasks", err)
}
