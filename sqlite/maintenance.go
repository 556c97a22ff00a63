package sqlite

import (
	"context"
	"slices"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// TaskPromoteDue makes WAITING tasks whose RunAfter has passed INITIAL:
// others at once, exclusive ones through the queues of their instances,
// which are replanned once for all of them.
func (s *Store) TaskPromoteDue(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *writeTx) error {
		due, err := dueTasks(ctx, tx, now)
		if err != nil {
			return err
		}
		var free []int64
		var exclusive []*tc.Task
		for _, t := range due {
			if t.Exclusive {
				exclusive = append(exclusive, t)
			} else {
				free = append(free, t.ID)
			}
		}
		promoted, err := promote(ctx, tx, free, now)
		if err != nil {
			return err
		}
		n = len(promoted)
		if promoted, err = replan(ctx, tx, queueKeys(exclusive), now); err != nil {
			return err
		}
		var held []int64
		for _, t := range exclusive {
			if _, ok := slices.BinarySearch(promoted, t.ID); ok {
				n++
			} else {
				held = append(held, t.ID)
			}
		}
		if len(held) == 0 {
			return nil
		}
		// Due but their instances are held: they stay queued, and the
		// replan of their release starts them. Without their RunAfter they
		// are not picked here again, where many would hide the rest.
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET run_after = 0 WHERE id IN (SELECT value FROM json_each(?))`,
			jsonText(held))
		return dbError("promote due tasks", err)
	})
	return n, err
}

// dueTasks returns WAITING tasks with a RunAfter that has passed. Exclusive
// tasks queued without a RunAfter are promoted when their instances free up.
func dueTasks(ctx context.Context, tx *writeTx, now time.Time) ([]*tc.Task, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+taskColumns+` FROM tasks
		WHERE status = 'WAITING' AND run_after > 0 AND run_after <= ? ORDER BY id LIMIT 1000`, millis(now))
	if err != nil {
		return nil, dbError("due tasks", err)
	}
	defer rows.Close()
	var due []*tc.Task
	tr := newTaskReader(true, nil)
	for rows.Next() {
		t, err := tr.read(rows)
		if err != nil {
			return nil, dbError("due tasks", err)
		}
		due = append(due, t)
	}
	return due, dbError("due tasks", rows.Err())
}

// TaskExpired returns RUNNING tasks whose lease expired or whose attempt
// outlived its timeout.
// expiredSQL reads the running tasks from the partial index tasks_running:
// the range on lease_expires_at, always true, is what lets SQLite use it;
// without it the OR made every maintenance tick scan the whole table. The
// index is named: SQLite would rather walk the whole table by id, as it did
// for the engine's limit of 1,000 before plans stopped looking at the bound
// LIMIT (stablePlans), and does for any limit since.
const expiredSQL = `SELECT tenant, id FROM tasks INDEXED BY tasks_running WHERE status = 'RUNNING' AND lease_expires_at >= 0
	AND (lease_expires_at < ? OR (timeout_ms > 0 AND claimed_at + timeout_ms < ?)) ORDER BY id LIMIT ?`

func (s *Store) TaskExpired(ctx context.Context, now time.Time, limit int) ([]tc.TaskRef, error) {
	ms := millis(now)
	rows, err := s.reader.QueryContext(ctx, expiredSQL, ms, ms, limit)
	if err != nil {
		return nil, dbError("expired tasks", err)
	}
	defer rows.Close()
	var refs []tc.TaskRef
	for rows.Next() {
		var r tc.TaskRef
		if err := rows.Scan(&r.Tenant, &r.ID); err != nil {
			return nil, dbError("expired tasks", err)
		}
		refs = append(refs, r)
	}
	return refs, dbError("expired tasks", rows.Err())
}

// pruneSQL deletes the oldest ended tasks, up to a limit, that ended before
// a time. Its condition on the status is the text of tasks_ended's (012),
// which SQLite must find in a query to use a partial index.
const pruneSQL = `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks
	WHERE (status = 'SUCCEED' OR status = 'FAILED' OR status = 'KILLED' OR status = 'REMOVED')
		AND ended_at > 0 AND ended_at < ?
	ORDER BY ended_at LIMIT ?)`

// TaskPrune deletes tasks that ended before endedBefore; their events,
// instance links and queue rows go with them.
func (s *Store) TaskPrune(ctx context.Context, endedBefore time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *writeTx) error {
		res, err := tx.ExecContext(ctx, pruneSQL, millis(endedBefore), limit)
		if err != nil {
			return dbError("prune tasks", err)
		}
		n, err = res.RowsAffected()
		return dbError("prune tasks", err)
	})
	return int(n), err
}

// LeaseAcquire takes the named lease when it is free or expired, renews it
// when owner holds it, and reports whether owner holds it now.
func (s *Store) LeaseAcquire(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	var holder string
	err := s.write(ctx, func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE leases.owner = excluded.owner OR leases.expires_at < ?`,
			name, owner, millis(now.Add(ttl)), millis(now))
		if err != nil {
			return dbError("acquire lease", err)
		}
		return dbError("acquire lease", tx.QueryRowContext(ctx, `SELECT owner FROM leases WHERE name = ?`, name).Scan(&holder))
	})
	return holder == owner, err
}
