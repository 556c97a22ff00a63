package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"

	tc "github.com/taskcenter/taskcenter"
)

// TaskClaim leases up to p.Max ready tasks, oldest first. The single writer
// makes the selection and the update one atomic step; one UPDATE claims
// every task (what taskcenter.Claim does, in SQL) and one INSERT writes
// their events, rather than a read and a write per task.
func (s *Store) TaskClaim(ctx context.Context, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	if p.Max <= 0 {
		return nil, nil
	}
	var claimed []*tc.Task
	err := s.write(ctx, func(tx *sql.Tx) (err error) {
		if claimed, err = claimReady(ctx, tx, p); err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]int64, len(claimed))
		for i, t := range claimed {
			ids[i] = t.ID
		}
		list, _ := json.Marshal(ids)
		_, err = tx.ExecContext(ctx, `INSERT INTO task_events
				(task_id, tenant, at, from_status, to_status, progress, message, actor)
			SELECT id, tenant, ?, 'INITIAL', 'RUNNING', progress, message, ?
			FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
			millis(p.Now), p.WorkerID, string(list))
		return dbError("claim tasks", err)
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// claimReady makes the oldest ready tasks RUNNING and returns them by id.
func claimReady(ctx context.Context, tx *sql.Tx, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	var w where
	w.add("status = 'INITIAL'")
	w.add("run_after <= ?", millis(p.Now))
	w.tenant(p.Tenant)
	if len(p.Types) > 0 {
		in(&w, "type", p.Types)
	}
	now := millis(p.Now)
	args := append([]any{now, now, p.WorkerID, millis(p.Now.Add(p.Lease)), now}, w.args...)
	rows, err := tx.QueryContext(ctx, `UPDATE tasks SET status = 'RUNNING',
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, attempts = attempts + 1,
			updated_at = ?, lease_owner = ?, lease_expires_at = ?, claimed_at = ?,
			cancel_requested = 0, pause_requested = 0
		WHERE id IN (SELECT id FROM tasks`+w.String()+` ORDER BY id LIMIT ?)
		RETURNING `+taskColumns, append(args, p.Max)...)
	if err != nil {
		return nil, dbError("claim tasks", err)
	}
	defer rows.Close()
	var tasks []*tc.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, dbError("claim tasks", err)
		}
		tasks = append(tasks, t)
	}
	slices.SortFunc(tasks, func(a, b *tc.Task) int { return cmp.Compare(a.ID, b.ID) })
	return tasks, dbError("claim tasks", rows.Err())
}
