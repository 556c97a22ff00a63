package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskcenter/taskcenter"
)

// writes gathers statements that do not depend on each other's results, to
// send them to the server in one round trip (a pipeline). Each statement
// writes many rows from arrays, so a batch of tasks costs a fixed number of
// statements, whatever its size.
type writes struct {
	batch pgx.Batch
}

// send runs the queued statements in the transaction, in order, and returns
// the first failure.
func (w *writes) send(ctx context.Context, tx pgx.Tx) error {
	if w.batch.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &w.batch).Close(); err != nil {
		return fmt.Errorf("write tasks: %w", err)
	}
	w.batch = pgx.Batch{}
	return nil
}

// qualifiedTaskColumns are taskColumns of tasks t, pageColumns and
// pageSummaryColumns the taskColumns and summaryColumns of a page p of them
// (listQuery, countedPageQuery), built once.
var (
	qualifiedTaskColumns = qualified("t", taskColumns)
	pageColumns          = qualified("p", taskColumns)
	pageSummaryColumns   = qualified("p", summaryColumns)
)

// qualified is the comma-separated columns cols, each prefixed with alias.
func qualified(alias, cols string) string {
	names := strings.Split(cols, ",")
	for i, c := range names {
		names[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(names, ", ")
}

// saveTasks queues the update of the mutable fields of the tasks, which
// fails unless it finds every one. The identity, the instances, the request
// id, the creation time and Exclusive never change, and claims changes only
// with a claim. It reads nothing back: a caller that answers with the tasks
// makes them as stored first (asStored).
func (w *writes) saveTasks(tasks []*taskcenter.Task) error {
	const q = `UPDATE tasks t SET status = v.status, progress = v.progress, code = v.code, message = v.message,
			started_at = v.started_at, ended_at = v.ended_at, updated_at = v.updated_at,
			context = v.context::json, attach_info = v.attach_info::jsonb,
			attempts = v.attempts, max_attempts = v.max_attempts, run_after = v.run_after,
			timeout_ms = v.timeout_ms, lease_owner = v.lease_owner, lease_expires_at = v.lease_expires_at,
			cancel_requested = v.cancel_requested, pause_requested = v.pause_requested, claimed_at = v.claimed_at
		FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::integer[], $5::text[],
			$6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[],
			$11::integer[], $12::integer[], $13::timestamptz[], $14::bigint[], $15::text[],
			$16::timestamptz[], $17::boolean[], $18::boolean[], $19::timestamptz[])
			AS v(id, status, progress, code, message, started_at, ended_at, updated_at, context, attach_info,
				attempts, max_attempts, run_after, timeout_ms, lease_owner, lease_expires_at,
				cancel_requested, pause_requested, claimed_at)
		WHERE t.id = v.id`
	n := len(tasks)
	if n == 0 {
		return nil
	}
	var (
		ids, timeouts                          = make([]int64, n), make([]int64, n)
		statuses, messages, contexts, owners   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		progress, codes, attempts, maxAttempts = make([]int, n), make([]int, n), make([]int, n), make([]int, n)
		started, ended, updated, runAfter      = make([]any, n), make([]any, n), make([]any, n), make([]any, n)
		leaseExpires, claimedAt, attach        = make([]any, n), make([]any, n), make([]any, n)
		cancelRequested, pauseRequested        = make([]bool, n), make([]bool, n)
	)
	for i, t := range tasks {
		a, err := attachArg(t.AttachInfo)
		if err != nil {
			return err
		}
		ids[i], statuses[i], progress[i], codes[i], messages[i] = t.ID, string(t.Status), t.Progress, t.Code, t.Message
		started[i], ended[i], updated[i] = timeArg(t.StartedAt), timeArg(t.EndedAt), timeArg(t.UpdatedAt)
		contexts[i], attach[i] = contextArg(t.Context), a
		attempts[i], maxAttempts[i], runAfter[i] = t.Attempts, t.MaxAttempts, timeArg(t.RunAfter)
		timeouts[i], owners[i], leaseExpires[i] = t.Timeout.Milliseconds(), t.LeaseOwner, timeArg(t.LeaseExpiresAt)
		cancelRequested[i], pauseRequested[i], claimedAt[i] = t.CancelRequested, t.PauseRequested, timeArg(t.ClaimedAt)
	}
	w.batch.Queue(q, ids, statuses, progress, codes, messages,
		started, ended, updated, contexts, attach, attempts, maxAttempts, runAfter, timeouts, owners,
		leaseExpires, cancelRequested, pauseRequested, claimedAt).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != int64(n) {
			return fmt.Errorf("update tasks: %d of %d saved", tag.RowsAffected(), n)
		}
		return nil
	})
	return nil
}

// insertEvents queues the appending of events; tenants[i] is the tenant of
// events[i].
func (w *writes) insertEvents(tenants []string, events []*taskcenter.Event) {
	const q = `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
			$6::integer[], $7::text[], $8::text[])`
	n := len(events)
	if n == 0 {
		return
	}
	ids, at, progress := make([]int64, n), make([]any, n), make([]int, n)
	from, to, messages, actors := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		ids[i], at[i], progress[i] = e.TaskID, timeArg(e.At), e.Progress
		from[i], to[i], messages[i], actors[i] = string(e.From), string(e.To), e.Message, e.Actor
	}
	w.batch.Queue(q, ids, tenants, at, from, to, progress, messages, actors)
}

// insertTaskInstances queues the indexing of each task under each of its
// instances.
func (w *writes) insertTaskInstances(tasks []*taskcenter.Task) {
	const q = `INSERT INTO task_instances (tenant, instance_id, task_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`
	if tenants, instances, ids := taskInstanceArrays(tasks); len(ids) > 0 {
		w.batch.Queue(q, tenants, instances, ids)
	}
}

// syncQueues queues what keeps task_queue in step with the status of
// exclusive tasks: a task is queued on its instances while WAITING, INITIAL
// or RUNNING. The caller holds the locks of the tasks' instances.
func (w *writes) syncQueues(tasks []*taskcenter.Task) {
	var queue []*taskcenter.Task
	var dequeue []int64
	for _, t := range tasks {
		if t.Status == taskcenter.StatusWaiting || taskcenter.HoldsInstances(t.Status) {
			queue = append(queue, t)
		} else {
			dequeue = append(dequeue, t.ID)
		}
	}
	if tenants, instances, ids := taskInstanceArrays(queue); len(ids) > 0 {
		// A task on several instances is marked shared on each (see
		// lockQueues), and one that holds its instances as their holder
		// (queueOn).
		shared, holds := make([]bool, 0, len(ids)), make([]bool, 0, len(ids))
		for _, t := range queue {
			for range t.InstanceIDs {
				shared = append(shared, len(t.InstanceIDs) > 1)
				holds = append(holds, taskcenter.HoldsInstances(t.Status))
			}
		}
		const q = `INSERT INTO task_queue (tenant, instance_id, task_id, shared, holds)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[], $5::boolean[])
			ON CONFLICT (tenant, instance_id, task_id) DO UPDATE SET holds = excluded.holds
				WHERE task_queue.holds <> excluded.holds`
		w.batch.Queue(q, tenants, instances, ids, shared, holds)
	}
	if len(dequeue) > 0 {
		w.batch.Queue(`DELETE FROM task_queue WHERE task_id = ANY($1)`, dequeue)
	}
}

// taskInstanceArrays returns one (tenant, instance, task) row per instance
// of each task, as arrays.
func taskInstanceArrays(tasks []*taskcenter.Task) (tenants, instances []string, ids []int64) {
	for _, t := range tasks {
		for _, id := range t.InstanceIDs {
			tenants, instances, ids = append(tenants, t.Tenant), append(instances, id), append(ids, t.ID)
		}
	}
	return tenants, instances, ids
}
