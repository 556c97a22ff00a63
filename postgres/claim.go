package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

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
	claimed, err := saveTasks(ctx, tx, ready)
	if err != nil {
		return nil, err
	}
	return claimed, insertEvents(ctx, tx, tenants, events)
}

// qualifiedTaskColumns are taskColumns of tasks t.
var qualifiedTaskColumns = func() string {
	cols := strings.Split(taskColumns, ",")
	for i, c := range cols {
		cols[i] = "t." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// saveTasks is saveTask for several tasks in one statement; it returns them
// as stored, by id.
func saveTasks(ctx context.Context, tx pgx.Tx, tasks []*taskcenter.Task) ([]*taskcenter.Task, error) {
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
		WHERE t.id = v.id
		RETURNING `
	n := len(tasks)
	if n == 0 {
		return nil, nil
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
			return nil, err
		}
		ids[i], statuses[i], progress[i], codes[i], messages[i] = t.ID, string(t.Status), t.Progress, t.Code, t.Message
		started[i], ended[i], updated[i] = timeArg(t.StartedAt), timeArg(t.EndedAt), timeArg(t.UpdatedAt)
		contexts[i], attach[i] = contextArg(t.Context), a
		attempts[i], maxAttempts[i], runAfter[i] = t.Attempts, t.MaxAttempts, timeArg(t.RunAfter)
		timeouts[i], owners[i], leaseExpires[i] = t.Timeout.Milliseconds(), t.LeaseOwner, timeArg(t.LeaseExpiresAt)
		cancelRequested[i], pauseRequested[i], claimedAt[i] = t.CancelRequested, t.PauseRequested, timeArg(t.ClaimedAt)
	}
	rows, _ := tx.Query(ctx, q+qualifiedTaskColumns, ids, statuses, progress, codes, messages,
		started, ended, updated, contexts, attach, attempts, maxAttempts, runAfter, timeouts, owners,
		leaseExpires, cancelRequested, pauseRequested, claimedAt)
	saved, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	if err != nil {
		return nil, fmt.Errorf("update tasks: %w", err)
	}
	if len(saved) != n {
		return nil, fmt.Errorf("update tasks: %d of %d saved", len(saved), n)
	}
	slices.SortFunc(saved, func(a, b *taskcenter.Task) int { return cmp.Compare(a.ID, b.ID) })
	return saved, nil
}

// insertEvents appends several events in one statement; tenants[i] is the
// tenant of events[i].
func insertEvents(ctx context.Context, tx pgx.Tx, tenants []string, events []*taskcenter.Event) error {
	const q = `INSERT INTO task_events (task_id, tenant, at, from_status, to_status, progress, message, actor)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
			$6::integer[], $7::text[], $8::text[])`
	n := len(events)
	if n == 0 {
		return nil
	}
	ids, at, progress := make([]int64, n), make([]any, n), make([]int, n)
	from, to, messages, actors := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		ids[i], at[i], progress[i] = e.TaskID, timeArg(e.At), e.Progress
		from[i], to[i], messages[i], actors[i] = string(e.From), string(e.To), e.Message, e.Actor
	}
	if _, err := tx.Exec(ctx, q, ids, tenants, at, from, to, progress, messages, actors); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}
