package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// syncQueue keeps task_queue in step with an exclusive task's status: the
// task is queued on its instances while WAITING, INITIAL or RUNNING.
func syncQueue(ctx context.Context, tx *sql.Tx, t *tc.Task) error {
	if t.Status == tc.StatusWaiting || tc.HoldsInstances(t.Status) {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO task_queue (tenant, instance_id, task_id)
			SELECT ?, value, ? FROM json_each(?)`, t.Tenant, t.ID, mustJSON(t.InstanceIDs))
		return dbError("queue task", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM task_queue WHERE task_id = ?`, t.ID)
	return dbError("dequeue task", err)
}

// replan promotes the waiting tasks that PlanPromotions lets start on the
// instances of t, appending an event for each but silent, and returns t as
// stored afterwards. The single writer makes the plan atomic.
func replan(ctx context.Context, tx *sql.Tx, t *tc.Task, now time.Time, silent int64) (*tc.Task, error) {
	entries, err := loadQueue(ctx, tx, t.Tenant, t.InstanceIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range tc.PlanPromotions(entries, now) {
		if err := promote(ctx, tx, t.Tenant, id, now, id != silent); err != nil {
			return nil, err
		}
	}
	return getTask(ctx, tx, t.Tenant, t.ID)
}

// loadQueue returns the queued tasks on the given instances and, to a fixed
// point, on every other instance those tasks name: a multi-instance task is
// planned only once the holders of all its instances are known.
func loadQueue(ctx context.Context, tx *sql.Tx, tenant string, instances []string) ([]tc.QueueEntry, error) {
	seen := map[string]bool{}
	all := slices.Clone(instances)
	for _, id := range all {
		seen[id] = true
	}
	for {
		entries, err := queueOn(ctx, tx, tenant, all)
		if err != nil {
			return nil, err
		}
		grew := false
		for _, e := range entries {
			for _, id := range e.InstanceIDs {
				if !seen[id] {
					seen[id], grew = true, true
					all = append(all, id)
				}
			}
		}
		if !grew {
			return entries, nil
		}
	}
}

func queueOn(ctx context.Context, tx *sql.Tx, tenant string, instances []string) ([]tc.QueueEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT t.id, t.status, t.run_after, t.instance_ids
		FROM task_queue AS q JOIN tasks AS t ON t.id = q.task_id
		WHERE q.tenant = ? AND q.instance_id IN (SELECT value FROM json_each(?))`,
		tenant, mustJSON(instances))
	if err != nil {
		return nil, dbError("load queue", err)
	}
	defer rows.Close()
	var entries []tc.QueueEntry
	for rows.Next() {
		var e tc.QueueEntry
		var runAfter int64
		var ids string
		if err := rows.Scan(&e.ID, &e.Status, &runAfter, &ids); err != nil {
			return nil, dbError("load queue", err)
		}
		e.RunAfter = fromMillis(runAfter)
		if err := json.Unmarshal([]byte(ids), &e.InstanceIDs); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, dbError("load queue", rows.Err())
}

// promote makes a WAITING task INITIAL, with an event unless withEvent is false.
func promote(ctx context.Context, tx *sql.Tx, tenant string, id int64, now time.Time, withEvent bool) error {
	t, err := getTask(ctx, tx, tenant, id)
	if err != nil {
		return err
	}
	from := t.Status
	if err := t.Transition(tc.StatusInitial, now); err != nil {
		return err
	}
	t.UpdatedAt = now
	if _, err := saveTask(ctx, tx, id, t); err != nil || !withEvent {
		return err
	}
	return appendEvent(ctx, tx, tenant, &tc.Event{TaskID: id, At: now, From: from, To: tc.StatusInitial,
		Progress: t.Progress, Actor: tc.ActorEngine})
}

// mustJSON encodes a list of strings; it cannot fail.
func mustJSON(ids []string) string {
	b, _ := json.Marshal(nonNil(ids))
	return string(b)
}
