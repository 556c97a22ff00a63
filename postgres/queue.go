package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// The queues of exclusive tasks are shared by every process on the database.
// A transaction that changes the queue of an instance, or the status of a
// task queued on it, or plans it, first locks the instance's row in
// instances (lockQueue), so such transactions on one instance are serialized
// and each plans on what the previous ones committed. Locks are taken in a
// fixed order: instances rows, sorted by id, then tasks rows.

// lockQueue locks the instances rows of the tenant that a plan on instances
// involves, and returns the queue entries on them: the instances, and
// transitively every instance of a task queued on one of them, so that a
// multi-instance task is planned against all of its instances. The closure
// is first read without locks, so that it is usually locked in one sorted
// statement; it is then read again under the locks, and instances it gained
// meanwhile are locked in a further sorted step, until it stays the same.
// locked holds the instances the transaction has locked so far; lockQueue
// adds to it.
func lockQueue(ctx context.Context, tx pgx.Tx, tenant string, instances []string, locked map[string]bool) ([]taskcenter.QueueEntry, error) {
	set := make(map[string]bool, len(instances))
	for _, id := range instances {
		set[id] = true
	}
	for {
		entries, err := queueOn(ctx, tx, tenant, slices.Sorted(maps.Keys(set)))
		if err != nil {
			return nil, err
		}
		grown := false
		for _, e := range entries {
			for _, id := range e.InstanceIDs {
				if !set[id] {
					set[id], grown = true, true
				}
			}
		}
		if grown {
			continue
		}
		var missing []string
		for id := range set {
			if !locked[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return entries, nil
		}
		slices.Sort(missing)
		if err := lockInstances(ctx, tx, tenant, missing); err != nil {
			return nil, err
		}
		for _, id := range missing {
			locked[id] = true
		}
		// Read again: the queues may have changed before the locks were granted.
	}
}

// lockInstances locks the instances rows of the tenant with the given ids,
// in id order so that concurrent lockers cannot deadlock.
func lockInstances(ctx context.Context, tx pgx.Tx, tenant string, ids []string) error {
	const q = `SELECT id FROM instances WHERE tenant = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`
	rows, _ := tx.Query(ctx, q, tenant, ids)
	if _, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return fmt.Errorf("lock instances: %w", err)
	}
	return nil
}

// queueOn returns the tasks queued on any of the instances of the tenant.
func queueOn(ctx context.Context, tx pgx.Tx, tenant string, instances []string) ([]taskcenter.QueueEntry, error) {
	const q = `SELECT t.id, t.status, t.run_after, t.instance_ids FROM tasks t
		WHERE t.id IN (SELECT q.task_id FROM task_queue q WHERE q.tenant = $1 AND q.instance_id = ANY($2))
		ORDER BY t.id`
	rows, _ := tx.Query(ctx, q, tenant, instances)
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskcenter.QueueEntry, error) {
		var e taskcenter.QueueEntry
		var status string
		var runAfter *time.Time
		err := row.Scan(&e.ID, &status, &runAfter, &e.InstanceIDs)
		e.Status, e.RunAfter = taskcenter.Status(status), timeOf(runAfter)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("load queue: %w", err)
	}
	return entries, nil
}

// syncQueue keeps task_queue in step with an exclusive task's status: the
// task is queued on its instances while WAITING, INITIAL or RUNNING. The
// caller holds the locks of the task's instances.
func syncQueue(ctx context.Context, tx pgx.Tx, t *taskcenter.Task) error {
	if t.Status == taskcenter.StatusWaiting || taskcenter.HoldsInstances(t.Status) {
		const q = `INSERT INTO task_queue (tenant, instance_id, task_id)
			SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING`
		if _, err := tx.Exec(ctx, q, t.Tenant, t.InstanceIDs, t.ID); err != nil {
			return fmt.Errorf("queue task: %w", err)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM task_queue WHERE task_id = $1`, t.ID); err != nil {
		return fmt.Errorf("dequeue task: %w", err)
	}
	return nil
}

// replan locks the queues of t's instances (see lockQueue for locked),
// promotes the waiting tasks that PlanPromotions lets start, appending an
// event (actor ActorEngine) for each but silent, and returns t as stored
// afterwards and the ids of the tasks it promoted.
func replan(ctx context.Context, tx pgx.Tx, t *taskcenter.Task, now time.Time, silent int64, locked map[string]bool) (*taskcenter.Task, []int64, error) {
	entries, err := lockQueue(ctx, tx, t.Tenant, t.InstanceIDs, locked)
	if err != nil {
		return nil, nil, err
	}
	var promoted []int64
	for _, id := range taskcenter.PlanPromotions(entries, now) {
		ok, err := promote(ctx, tx, t.Tenant, id, now, id != silent)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			promoted = append(promoted, id)
		}
	}
	after, err := selectTask(ctx, tx, t.Tenant, t.ID, false)
	return after, promoted, err
}

// promote makes a WAITING task INITIAL, with an event unless withEvent is
// false, and reports whether it did: a task no longer WAITING is left alone.
func promote(ctx context.Context, tx pgx.Tx, tenant string, id int64, now time.Time, withEvent bool) (bool, error) {
	t, err := selectTask(ctx, tx, tenant, id, true)
	if err != nil {
		return false, fmt.Errorf("promote task %d: %w", id, err)
	}
	if t.Status != taskcenter.StatusWaiting {
		return false, nil
	}
	if err := t.Transition(taskcenter.StatusInitial, now); err != nil {
		return false, err
	}
	t.UpdatedAt = now
	saved, err := saveTask(ctx, tx, t)
	if err != nil || !withEvent {
		return err == nil, err
	}
	ev := &taskcenter.Event{TaskID: id, At: now, From: taskcenter.StatusWaiting, To: taskcenter.StatusInitial,
		Progress: saved.Progress, Actor: taskcenter.ActorEngine}
	return true, insertEvent(ctx, tx, tenant, ev)
}
