package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskUpdate locks a task, applies p.Update, keeps the task's identity, saves
// it with UpdatedAt = p.Now and appends an event when the status, the
// progress or the message changed, all in one transaction. When an exclusive
// task changes status, the queues of its instances are replanned in the same
// transaction, under the locks of their instances rows.
func (s *Store) TaskUpdate(ctx context.Context, p *taskcenter.TaskUpdateParams) (*taskcenter.Task, error) {
	var task *taskcenter.Task
	err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
		task, err = updateTask(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, storeErr("update task", err)
	}
	return task, nil
}

// updateTask is TaskUpdate inside its transaction.
func updateTask(ctx context.Context, tx pgx.Tx, p *taskcenter.TaskUpdateParams) (*taskcenter.Task, error) {
	// The instances of an exclusive task are locked before the task: a
	// concurrent plan holding them may be about to promote it. Whether a task
	// is exclusive, its tenant and its instances never change.
	locked := map[string]bool{}
	tenant, instances, exclusive, err := taskQueueKey(ctx, tx, p.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	if exclusive {
		if _, err := lockQueue(ctx, tx, tenant, instances, locked); err != nil {
			return nil, err
		}
	}
	old, err := selectTask(ctx, tx, p.Tenant, p.ID, true)
	if err != nil {
		return nil, err
	}
	t := *old
	t.InstanceIDs = append([]string(nil), old.InstanceIDs...)
	t.AttachInfo = append([]taskcenter.Attach(nil), old.AttachInfo...)
	if err := p.Update(&t); err != nil {
		return nil, err
	}
	t.ID, t.Tenant, t.Type = old.ID, old.Tenant, old.Type
	t.UpdatedAt = p.Now
	saved, err := saveTask(ctx, tx, &t)
	if err != nil {
		return nil, err
	}
	if saved.Status == old.Status && saved.Progress == old.Progress && saved.Message == old.Message && p.Note == "" {
		return saved, nil
	}
	ev := &taskcenter.Event{
		TaskID: saved.ID, At: p.Now, From: old.Status, To: saved.Status,
		Progress: saved.Progress, Message: cmp.Or(p.Note, saved.Message), Actor: p.Actor,
	}
	if err := insertEvent(ctx, tx, saved.Tenant, ev); err != nil {
		return nil, err
	}
	if !saved.Exclusive || saved.Status == old.Status {
		return saved, nil
	}
	if err := syncQueue(ctx, tx, saved); err != nil {
		return nil, err
	}
	saved, _, err = replan(ctx, tx, saved, p.Now, 0, locked)
	return saved, err
}

// taskQueueKey reads, without locking, what decides the queue locks of a
// task of the tenant: its tenant, its instances and whether it is exclusive.
func taskQueueKey(ctx context.Context, tx pgx.Tx, tenant string, id int64) (string, []string, bool, error) {
	conds, args := tenantScope([]string{"id = $1"}, []any{id}, "tenant", tenant)
	var instances []string
	var exclusive bool
	err := tx.QueryRow(ctx, `SELECT tenant, instance_ids, exclusive FROM tasks`+where(conds), args...).
		Scan(&tenant, &instances, &exclusive)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("read task: %w", err)
	}
	return tenant, instances, exclusive, err
}

// saveTask writes the mutable fields of a task and returns it as stored. The
// identity, the instances, the request id, the creation time and Exclusive
// never change.
func saveTask(ctx context.Context, tx pgx.Tx, t *taskcenter.Task) (*taskcenter.Task, error) {
	const q = `UPDATE tasks SET status = $2, progress = $3, code = $4, message = $5,
			started_at = $6, ended_at = $7, updated_at = $8, context = $9, attach_info = $10,
			attempts = $11, max_attempts = $12, run_after = $13, timeout_ms = $14,
			lease_owner = $15, lease_expires_at = $16, cancel_requested = $17, pause_requested = $18,
			claimed_at = $19
		WHERE id = $1
		RETURNING ` + taskColumns
	attach, err := attachArg(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	row := tx.QueryRow(ctx, q, t.ID, string(t.Status), t.Progress, t.Code, t.Message,
		timeArg(t.StartedAt), timeArg(t.EndedAt), timeArg(t.UpdatedAt), contextArg(t.Context), attach,
		t.Attempts, t.MaxAttempts, timeArg(t.RunAfter), t.Timeout.Milliseconds(),
		t.LeaseOwner, timeArg(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested, timeArg(t.ClaimedAt))
	return scanTask(row)
}
