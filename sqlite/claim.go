package sqlite

import (
	"context"
	"encoding/json"

	tc "github.com/taskcenter/taskcenter"
)

// claimEventsSQL appends the events of claims of a JSON array of ids.
const claimEventsSQL = `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
	SELECT id, tenant, ?, 'INITIAL', 'RUNNING', progress, message, ?
	FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`

// TaskClaim leases up to p.Max ready tasks, oldest first. The single writer
// makes the selection and the update one atomic step; one UPDATE claims
// every task (what taskcenter.Claim does, in SQL) and one INSERT writes
// their events, rather than a read and a write per task.
func (s *Store) TaskClaim(ctx context.Context, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	if p.Max <= 0 {
		return nil, nil
	}
	var claimed []*tc.Task
	err := s.write(ctx, func(tx *writeTx) (err error) {
		if claimed, err = claimReady(ctx, tx, p); err != nil || len(claimed) == 0 {
			return err
		}
		ids := make([]int64, len(claimed))
		for i, t := range claimed {
			ids[i] = t.ID
		}
		list, _ := json.Marshal(ids)
		_, err = tx.ExecContext(ctx, claimEventsSQL, millis(p.Now), p.WorkerID, string(list))
		return dbError("claim tasks", err)
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// claimSQL are the claim statements, for one tenant or all (the first
// index) and for any type or those of a JSON array (the second): constant
// texts, so that each is prepared once.
var claimSQL = [2][2]string{
	{claimQuery(false, false), claimQuery(false, true)},
	{claimQuery(true, false), claimQuery(true, true)},
}

func claimQuery(allTenants, byType bool) string {
	ready := "status = 'INITIAL' AND run_after <= ?"
	if !allTenants {
		ready += " AND tenant = ?"
	}
	if byType {
		ready += " AND type IN (SELECT value FROM json_each(?))"
	}
	return `UPDATE tasks SET status = 'RUNNING',
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, attempts = attempts + 1,
			claims = claims + 1, updated_at = ?, lease_owner = ?,
			lease_expires_at = CASE WHEN timeout_ms > 0 THEN min(? + timeout_ms, ?) ELSE ? END, claimed_at = ?,
			cancel_requested = 0, pause_requested = 0
		WHERE id IN (SELECT id FROM tasks WHERE ` + ready + ` ORDER BY id LIMIT ?)
		RETURNING ` + taskColumns
}

// claimReady makes the oldest ready tasks RUNNING and returns them by id.
func claimReady(ctx context.Context, tx *writeTx, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	now, lease := millis(p.Now), millis(p.Now.Add(p.Lease))
	args := []any{now, now, p.WorkerID, now, lease, lease, now, now}
	allTenants := p.Tenant == tc.AllTenants
	if !allTenants {
		args = append(args, p.Tenant)
	}
	byType := len(p.Types) > 0
	if byType {
		args = append(args, jsonText(p.Types))
	}
	rows, err := tx.QueryContext(ctx, claimSQL[b2i(allTenants)][b2i(byType)], append(args, p.Max)...)
	if err != nil {
		return nil, dbError("claim tasks", err)
	}
	tasks, err := scanTasks(rows)
	for _, t := range tasks {
		tx.moved(t, tc.StatusInitial, tc.StatusRunning)
	}
	return tasks, dbError("claim tasks", err)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
