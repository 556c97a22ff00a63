package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

const taskColumns = `id, tenant, type, status, progress, code, message, instance_ids, async_request_id,
	created_at, started_at, ended_at, updated_at, context, attach_info,
	attempts, max_attempts, run_after, timeout_ms, lease_owner, lease_expires_at,
	cancel_requested, pause_requested, exclusive, claimed_at`

// TaskInsert stores a new task, its instances and its first event in one
// transaction. A task with the same tenant and AsyncRequestID is returned
// instead, with created=false. An exclusive task is queued on its instances
// and planned with their queues, under the locks of their instances rows.
func (s *Store) TaskInsert(ctx context.Context, p *taskcenter.TaskInsertParams) (*taskcenter.Task, bool, error) {
	var task *taskcenter.Task
	var created bool
	err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
		task, created, err = insertTask(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, false, storeErr("insert task", err)
	}
	return task, created, nil
}

// insertTask is TaskInsert inside its transaction.
func insertTask(ctx context.Context, tx pgx.Tx, p *taskcenter.TaskInsertParams) (*taskcenter.Task, bool, error) {
	t := p.Task
	// A repeated submit finds its task without writing or burning an id.
	if existing, err := taskByRequestID(ctx, tx, t.Tenant, t.AsyncRequestID); err != nil || existing != nil {
		return existing, false, err
	}
	if err := checkInstances(ctx, tx, t.Tenant, t.InstanceIDs); err != nil {
		return nil, false, err
	}
	task, err := insertTaskRow(ctx, tx, t)
	if err != nil {
		return nil, false, err
	}
	if task == nil {
		// A concurrent insert with the same request id committed first; the
		// conflict waited for it, so its row is visible now.
		existing, err := taskByRequestID(ctx, tx, t.Tenant, t.AsyncRequestID)
		if err == nil && existing == nil {
			err = errors.New("conflicting task vanished")
		}
		return existing, false, err
	}
	if err := insertTaskInstances(ctx, tx, task); err != nil {
		return nil, false, err
	}
	// A queued exclusive task may start at once; it is then stored INITIAL
	// with one submission event, not a WAITING one and a promotion.
	// The queue rows are invisible to others until the commit, which comes
	// after replan has locked the instances, so they may be written first.
	if task.Exclusive {
		if err := syncQueue(ctx, tx, task); err != nil {
			return nil, false, err
		}
		if task, _, err = replan(ctx, tx, task, t.CreatedAt, task.ID, map[string]bool{}); err != nil {
			return nil, false, err
		}
	}
	ev := &taskcenter.Event{TaskID: task.ID, At: task.CreatedAt, To: task.Status, Progress: task.Progress, Actor: p.Actor}
	if err := insertEvent(ctx, tx, task.Tenant, ev); err != nil {
		return nil, false, err
	}
	return task, true, nil
}

// insertTaskRow inserts the task row and returns it as stored, or nil when a
// task with the same request id exists.
func insertTaskRow(ctx context.Context, tx pgx.Tx, t *taskcenter.Task) (*taskcenter.Task, error) {
	const q = `INSERT INTO tasks (tenant, type, status, progress, code, message, instance_ids, async_request_id,
			created_at, started_at, ended_at, updated_at, context, attach_info,
			attempts, max_attempts, run_after, timeout_ms, lease_owner, lease_expires_at,
			cancel_requested, pause_requested, exclusive, claimed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23)
		ON CONFLICT (tenant, async_request_id) WHERE async_request_id <> '' DO NOTHING
		RETURNING ` + taskColumns
	attach, err := attachArg(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	ids := t.InstanceIDs
	if ids == nil {
		ids = []string{}
	}
	row := tx.QueryRow(ctx, q, t.Tenant, t.Type, string(t.Status), t.Progress, t.Code, t.Message, ids,
		t.AsyncRequestID, timeArg(t.CreatedAt), timeArg(t.StartedAt), timeArg(t.EndedAt),
		contextArg(t.Context), attach, t.Attempts, t.MaxAttempts, timeArg(t.RunAfter),
		t.Timeout.Milliseconds(), t.LeaseOwner, timeArg(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested,
		t.Exclusive, timeArg(t.ClaimedAt))
	task, err := scanTask(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return task, err
}

// taskByRequestID returns the tenant's task with the async request id, or
// nil when there is none or the id is empty.
func taskByRequestID(ctx context.Context, tx pgx.Tx, tenant, requestID string) (*taskcenter.Task, error) {
	if requestID == "" {
		return nil, nil
	}
	const q = `SELECT ` + taskColumns + ` FROM tasks WHERE tenant = $1 AND async_request_id = $2`
	task, err := scanTask(tx.QueryRow(ctx, q, tenant, requestID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return task, err
}

// checkInstances returns EINVALID unless every id names an instance of the tenant.
func checkInstances(ctx context.Context, tx pgx.Tx, tenant string, ids []string) error {
	rows, _ := tx.Query(ctx, `SELECT id FROM instances WHERE tenant = $1 AND id = ANY($2)`, tenant, ids)
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check instances: %w", err)
	}
	known := make(map[string]bool, len(found))
	for _, id := range found {
		known[id] = true
	}
	for _, id := range ids {
		if !known[id] {
			return taskcenter.UnknownInstance(id)
		}
	}
	return nil
}

// insertTaskInstances indexes the task under each of its instances.
func insertTaskInstances(ctx context.Context, tx pgx.Tx, t *taskcenter.Task) error {
	const q = `INSERT INTO task_instances (tenant, instance_id, task_id)
		SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING`
	if _, err := tx.Exec(ctx, q, t.Tenant, t.InstanceIDs, t.ID); err != nil {
		return fmt.Errorf("index task instances: %w", err)
	}
	return nil
}

// TaskGet returns a task of the tenant, or ENOTFOUND.
func (s *Store) TaskGet(ctx context.Context, tenant string, id int64) (*taskcenter.Task, error) {
	task, err := selectTask(ctx, s.pool, tenant, id, false)
	return task, storeErr("get task", err)
}

// selectTask reads one task of the tenant, locking it when forUpdate is set.
func selectTask(ctx context.Context, q querier, tenant string, id int64, forUpdate bool) (*taskcenter.Task, error) {
	conds, args := tenantScope([]string{"id = $1"}, []any{id}, "tenant", tenant)
	sql := `SELECT ` + taskColumns + ` FROM tasks` + where(conds)
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	return scanTask(q.QueryRow(ctx, sql, args...))
}

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
