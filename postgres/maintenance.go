package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskcenter/taskcenter"
)

// maxDue bounds the WAITING tasks one TaskPromoteDue looks at.
const maxDue = 1000

// dueTask is a WAITING task whose RunAfter has passed, as TaskPromoteDue
// first reads it, without locks.
type dueTask struct {
	id        int64
	tenant    string
	instances []string
	exclusive bool
}

// TaskPromoteDue makes WAITING tasks whose RunAfter has passed INITIAL. The
// others are promoted together in one transaction, skipping rows another
// transaction holds; each exclusive one is planned with the queues of its
// instances in a transaction of its own, under their locks. It returns how
// many due tasks became INITIAL.
func (s *Store) TaskPromoteDue(ctx context.Context, now time.Time) (int, error) {
	due, err := dueTasks(ctx, s.pool, now)
	if err != nil {
		return 0, storeErr("promote due tasks", err)
	}
	var plain []int64
	dueIDs := map[int64]bool{}
	for _, d := range due {
		dueIDs[d.id] = true
		if !d.exclusive {
			plain = append(plain, d.id)
		}
	}
	n := 0
	if len(plain) > 0 {
		err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
			n, err = promotePlain(ctx, tx, plain, now)
			return err
		})
		if err != nil {
			return 0, storeErr("promote due tasks", err)
		}
	}
	counted := map[int64]bool{}
	for _, d := range due {
		if !d.exclusive || counted[d.id] {
			continue
		}
		var promoted []int64
		err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
			promoted, err = promoteExclusive(ctx, tx, d, now)
			return err
		})
		if err != nil {
			return n, storeErr("promote due tasks", err)
		}
		// A plan may start other due tasks of the same queues.
		for _, id := range promoted {
			if dueIDs[id] && !counted[id] {
				counted[id] = true
				n++
			}
		}
	}
	return n, nil
}

// dueTasks reads the oldest WAITING tasks whose RunAfter has passed. An
// exclusive task queued without a RunAfter starts when its instances free
// up, not here.
func dueTasks(ctx context.Context, q *pgxpool.Pool, now time.Time) ([]dueTask, error) {
	const sql = `SELECT id, tenant, instance_ids, exclusive FROM tasks
		WHERE status = 'WAITING' AND run_after <= $1 ORDER BY id LIMIT $2`
	rows, _ := q.Query(ctx, sql, timeArg(now), maxDue)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueTask, error) {
		var d dueTask
		err := row.Scan(&d.id, &d.tenant, &d.instances, &d.exclusive)
		return d, err
	})
}

// promotePlain makes the non-exclusive tasks of ids that are still WAITING
// and due INITIAL, with an event each, and returns how many.
func promotePlain(ctx context.Context, tx pgx.Tx, ids []int64, now time.Time) (int, error) {
	const q = `SELECT ` + taskColumns + ` FROM tasks
		WHERE id = ANY($1) AND status = 'WAITING' AND run_after <= $2 AND NOT exclusive
		ORDER BY id FOR UPDATE SKIP LOCKED`
	rows, _ := tx.Query(ctx, q, ids, timeArg(now))
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	if err != nil || len(tasks) == 0 {
		return 0, err
	}
	events := make([]*taskcenter.Event, len(tasks))
	tenants := make([]string, len(tasks))
	for i, t := range tasks {
		if err := t.Transition(taskcenter.StatusInitial, now); err != nil {
			return 0, err
		}
		t.UpdatedAt = now
		events[i] = &taskcenter.Event{TaskID: t.ID, At: now, From: taskcenter.StatusWaiting,
			To: taskcenter.StatusInitial, Progress: t.Progress, Actor: taskcenter.ActorEngine}
		tenants[i] = t.Tenant
	}
	var w writes
	if err := w.saveTasks(tasks); err != nil {
		return 0, err
	}
	w.insertEvents(tenants, events)
	return len(tasks), w.send(ctx, tx)
}

// promoteExclusive plans the queues of a due exclusive task, under the
// locks of their instances, and returns the ids of the tasks it promoted.
func promoteExclusive(ctx context.Context, tx pgx.Tx, d dueTask, now time.Time) ([]int64, error) {
	locked := map[instanceKey]bool{}
	keys := instanceKeysOf(d.tenant, d.instances)
	if _, err := lockQueues(ctx, tx, keys, now, locked); err != nil {
		return nil, err
	}
	// Under the locks the task's status is settled; it may have moved on.
	t, err := selectTask(ctx, tx, d.tenant, d.id)
	if err != nil || t.Status != taskcenter.StatusWaiting {
		return nil, ignoreNotFound(err)
	}
	tasks, err := replan(ctx, tx, keys, now, nil, locked)
	if err != nil {
		return nil, err
	}
	promoted := make([]int64, len(tasks))
	for i, p := range tasks {
		promoted[i] = p.ID
	}
	if slices.Contains(promoted, t.ID) {
		return promoted, nil
	}
	// Its time has come but its instances are held: it stays queued, and the
	// replan of their release starts it. Without its RunAfter it is not
	// picked here again, where a thousand such tasks would hide the rest.
	_, err = tx.Exec(ctx, `UPDATE tasks SET run_after = NULL WHERE id = $1`, t.ID)
	return promoted, err
}

// TaskExpired returns RUNNING tasks whose lease expired or whose attempt
// outlived its timeout, oldest first. An unset lease or claim time is the
// zero time, long past.
func (s *Store) TaskExpired(ctx context.Context, now time.Time, limit int) ([]taskcenter.TaskRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	const q = `SELECT tenant, id FROM tasks
		WHERE status = 'RUNNING' AND (lease_expires_at IS NULL OR lease_expires_at < $1
			OR (timeout_ms > 0 AND (claimed_at IS NULL OR claimed_at + timeout_ms * interval '1 millisecond' < $1)))
		ORDER BY id LIMIT $2`
	rows, _ := s.pool.Query(ctx, q, timeArg(now), limit)
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskcenter.TaskRef, error) {
		var r taskcenter.TaskRef
		err := row.Scan(&r.Tenant, &r.ID)
		return r, err
	})
	if err != nil {
		return nil, storeErr("expired tasks", err)
	}
	return refs, nil
}

// TaskPrune deletes up to limit tasks that ended before endedBefore, the
// oldest first; their events, instance links and queue rows go with them
// (a trigger of migration 004). Tasks another transaction holds are left
// for later.
func (s *Store) TaskPrune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	const q = `DELETE FROM tasks WHERE id IN (
		SELECT id FROM tasks
		WHERE status IN ('SUCCEED', 'FAILED', 'KILLED', 'REMOVED') AND ended_at < $1
		ORDER BY ended_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)`
	tag, err := s.pool.Exec(ctx, q, timeArg(endedBefore), limit)
	if err != nil {
		return 0, storeErr("prune tasks", err)
	}
	return int(tag.RowsAffected()), nil
}

// LeaseAcquire takes the named lease when it is free or expired, renews it
// when owner holds it, and reports whether owner holds it now. The upsert is
// atomic: of concurrent callers on an expired lease, one takes it.
func (s *Store) LeaseAcquire(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	const q = `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at < $4
		RETURNING owner`
	var holder string
	err := s.pool.QueryRow(ctx, q, name, owner, timeArg(now.Add(ttl)), timeArg(now)).Scan(&holder)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // held by another owner
		return false, nil
	case err != nil:
		return false, storeErr("acquire lease", err)
	}
	return holder == owner, nil
}

// ignoreNotFound is err, but nil for a missing row.
func ignoreNotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}
