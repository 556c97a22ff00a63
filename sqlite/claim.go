package sqlite

import (
	"context"
	"encoding/json"
	"slices"

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
// texts, so that each is prepared once. All tenants' tasks of given types
// are claimed by their ids instead (claimIDsSQL, readyOfTypeSQL).
var claimSQL = [2][2]string{
	{claimQuery("tenant = ?"), claimQuery("tenant = ? AND type IN (SELECT value FROM json_each(?))")},
	{claimQuery(""), ""},
}

// claimIDsSQL claims the tasks of a JSON array of ids that are still ready.
var claimIDsSQL = claimStatement("id IN (SELECT value FROM json_each(?)) AND status = 'INITIAL'")

// readyOfTypeSQL is the ids of the oldest ready tasks of one type, from the
// index of ready tasks by type, which holds the time each may run.
const readyOfTypeSQL = `SELECT id FROM tasks INDEXED BY tasks_ready_type
	WHERE status = 'INITIAL' AND type = ? AND run_after <= ? ORDER BY id LIMIT ?`

// claimQuery is the claim of the oldest ready tasks that also meet and.
func claimQuery(and string) string {
	ready := "status = 'INITIAL' AND run_after <= ?"
	if and != "" {
		ready += " AND " + and
	}
	return claimStatement("id IN (SELECT id FROM tasks WHERE " + ready + " ORDER BY id LIMIT ?)")
}

// claimStatement makes the tasks that meet where RUNNING and returns them.
func claimStatement(where string) string {
	return `UPDATE tasks SET status = 'RUNNING',
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, attempts = attempts + 1,
			claims = claims + 1, updated_at = ?, lease_owner = ?,
			lease_expires_at = CASE WHEN timeout_ms > 0 THEN min(? + timeout_ms, ?) ELSE ? END, claimed_at = ?,
			cancel_requested = 0, pause_requested = 0
		WHERE ` + where + `
		RETURNING ` + taskColumns
}

// claimReady makes the oldest ready tasks RUNNING and returns them by id.
func claimReady(ctx context.Context, tx *writeTx, p *tc.TaskClaimParams) ([]*tc.Task, error) {
	now, lease := millis(p.Now), millis(p.Now.Add(p.Lease))
	args := []any{now, now, p.WorkerID, now, lease, lease, now}
	allTenants, byType := p.Tenant == tc.AllTenants, len(p.Types) > 0
	query := claimSQL[b2i(allTenants)][b2i(byType)]
	switch {
	case allTenants && byType:
		ids, err := readyOfTypes(ctx, tx, p.Types, now, p.Max)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		query, args = claimIDsSQL, append(args, jsonText(ids))
	case allTenants:
		args = append(args, now, p.Max)
	case byType:
		args = append(args, now, p.Tenant, jsonText(p.Types), p.Max)
	default:
		args = append(args, now, p.Tenant, p.Max)
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError("claim tasks", err)
	}
	tasks, err := scanTasks(rows)
	for _, t := range tasks {
		tx.moved(t, tc.StatusInitial, tc.StatusRunning)
	}
	return tasks, dbError("claim tasks", err)
}

// readyOfTypes returns the ids of the oldest max tasks of types that are
// ready at now, in order: the oldest of each type, merged. A tenant's claim
// walks the tenant's ready tasks instead, whose index holds their type.
func readyOfTypes(ctx context.Context, tx *writeTx, types []string, now int64, max int) ([]int64, error) {
	var ids []int64
	for _, typ := range slices.Compact(slices.Sorted(slices.Values(types))) {
		rows, err := tx.QueryContext(ctx, readyOfTypeSQL, typ, now, max)
		if err != nil {
			return nil, dbError("claim tasks", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, dbError("claim tasks", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return nil, dbError("claim tasks", err)
		}
		if err := rows.Err(); err != nil {
			return nil, dbError("claim tasks", err)
		}
	}
	slices.Sort(ids)
	return ids[:min(len(ids), max)], nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
