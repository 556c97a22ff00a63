package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskClaim leases up to p.Max ready tasks, oldest first, in one statement
// and one round trip: the ready rows are locked with SKIP LOCKED, so
// concurrent claims, in any process, take different tasks without waiting
// for each other; the same statement makes them RUNNING (what
// taskcenter.Claim does, in SQL) and appends their events. A claim does not
// touch the queues: an exclusive task holds its instances when INITIAL as
// when RUNNING.
//
// The statement runs in a transaction that turns bitmap scans off: the
// ready tasks are few by the statistics, so the planner would read every
// entry of the partial index of ready tasks into a bitmap and sort them,
// and a bitmap scan never marks the entries of tasks claimed since as dead.
// Under a steady load the index then holds mostly such entries (22,304 for
// 901 ready tasks after a few seconds of the engine benchmark), each claim
// visits them all, and the claim's cost grows until a vacuum. A walk of the
// index in id order stops at the claim's last task and marks the dead
// entries it passes, so the next claim skips them.
func (s *Store) TaskClaim(ctx context.Context, p *taskcenter.TaskClaimParams) ([]*taskcenter.Task, error) {
	if p.Max <= 0 {
		return nil, nil
	}
	q, args := claimQuery(p)
	var claimed []*taskcenter.Task
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(claimPlanSQL)
	b.Queue(q, args...).Query(func(rows pgx.Rows) (err error) {
		claimed, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
		return err
	})
	b.Queue(`COMMIT`)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, storeErr("claim tasks", err)
	}
	return claimed, nil
}

// claimPlanSQL is the setting of a claim's transaction (see TaskClaim).
const claimPlanSQL = `SET LOCAL enable_bitmapscan = off`

// claimQuery is the statement of TaskClaim. All tenants' tasks of given
// types are taken type by type, from the index of ready tasks by type, and
// the oldest of them claimed: a walk of all ready tasks in id order would
// read first every ready task of other types. Each type's walk locks up to
// p.Max tasks, and those of them not claimed are free again at the commit
// that ends the claim's transaction: a concurrent claim skips them
// meanwhile. The conditions "type IS NOT NULL" and "id > 0", true of every
// task, each select one index (migration 013).
func claimQuery(p *taskcenter.TaskClaimParams) (string, []any) {
	args := []any{timeArg(p.Now), p.WorkerID, timeArg(p.Now.Add(p.Lease))}
	const ready = "status = 'INITIAL' AND (run_after IS NULL OR run_after <= $1)"
	if p.Tenant == taskcenter.AllTenants && len(p.Types) > 0 {
		args = append(args, slices.Compact(slices.Sorted(slices.Values(p.Types))), p.Max)
		return claimStatement(`SELECT r.id FROM unnest($4::text[]) AS ty (type) CROSS JOIN LATERAL (
				SELECT id FROM tasks WHERE ` + ready + ` AND type IS NOT NULL AND type = ty.type
				ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) AS r
			ORDER BY r.id LIMIT $5`), args
	}
	conds, args := tenantScope([]string{ready, "id > 0"}, args, "tenant", p.Tenant)
	if len(p.Types) > 0 {
		args = append(args, p.Types)
		conds = append(conds, fmt.Sprintf("type = ANY($%d)", len(args)))
	}
	args = append(args, p.Max)
	return claimStatement(`SELECT id FROM tasks` + where(conds) +
		fmt.Sprintf(` ORDER BY id LIMIT $%d FOR UPDATE SKIP LOCKED`, len(args))), args
}

// claimStatement claims the tasks that ready selects and locks, and
// appends their events; $1 is the time, $2 the worker, $3 the lease's end.
func claimStatement(ready string) string {
	return `WITH ready AS (
			` + ready + `
		), claimed AS (
			UPDATE tasks t SET status = 'RUNNING', started_at = coalesce(t.started_at, $1),
				attempts = t.attempts + 1, claims = t.claims + 1, updated_at = $1, lease_owner = $2,
				lease_expires_at = CASE WHEN t.timeout_ms > 0 THEN least($3, $1 + t.timeout_ms * interval '1 millisecond') ELSE $3 END,
				claimed_at = $1, cancel_requested = false, pause_requested = false
			FROM ready WHERE t.id = ready.id
			RETURNING ` + qualifiedTaskColumns + `
		), events AS (
			INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
			SELECT id, tenant, $1, 'INITIAL', 'RUNNING', progress, message, $2 FROM claimed ORDER BY id
		)
		SELECT ` + taskColumns + ` FROM claimed ORDER BY id`
}
