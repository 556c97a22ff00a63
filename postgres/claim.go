package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskClaim leases up to p.Max ready tasks, oldest first. The ready rows are
// locked with SKIP LOCKED, so concurrent claims, in any process, take
// different tasks without waiting for each other. A claim does not touch the
// queues: an exclusive task holds its instances when INITIAL as when RUNNING.
func (s *Store) TaskClaim(ctx context.Context, p *taskcenter.TaskClaimParams) ([]*taskcenter.Task, error) {
	if p.Max <= 0 {
		return nil, nil
	}
	var claimed []*taskcenter.Task
	err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
		claimed, err = claimTasks(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, storeErr("claim tasks", err)
	}
	return claimed, nil
}

// claimTasks is TaskClaim inside its transaction.
func claimTasks(ctx context.Context, tx pgx.Tx, p *taskcenter.TaskClaimParams) ([]*taskcenter.Task, error) {
	conds := []string{"status = 'INITIAL'", "(run_after IS NULL OR run_after <= $1)"}
	args := []any{timeArg(p.Now)}
	conds, args = tenantScope(conds, args, "tenant", p.Tenant)
	if len(p.Types) > 0 {
		args = append(args, p.Types)
		conds = append(conds, fmt.Sprintf("type = ANY($%d)", len(args)))
	}
	args = append(args, p.Max)
	q := `SELECT ` + taskColumns + ` FROM tasks` + where(conds) +
		fmt.Sprintf(` ORDER BY id LIMIT $%d FOR UPDATE SKIP LOCKED`, len(args))
	rows, _ := tx.Query(ctx, q, args...)
	ready, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	if err != nil || len(ready) == 0 {
		return nil, err
	}
	events := make([]*taskcenter.Event, len(ready))
	tenants := make([]string, len(ready))
	for i, t := range ready {
		if err := taskcenter.Claim(t, p.WorkerID, p.Now, p.Lease); err != nil {
			return nil, err
		}
		events[i] = &taskcenter.Event{TaskID: t.ID, At: p.Now, From: taskcenter.StatusInitial,
			To: taskcenter.StatusRunning, Progress: t.Progress, Message: t.Message, Actor: p.WorkerID}
		tenants[i] = t.Tenant
	}
	// The rows and their events go to the server together.
	var w writes
	var claimed []*taskcenter.Task
	if err := w.saveTasks(ready, &claimed); err != nil {
		return nil, err
	}
	w.insertEvents(tenants, events)
	return claimed, w.send(ctx, tx)
}
