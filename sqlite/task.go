package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

const taskColumns = `id, tenant, type, status, progress, code, message, instance_ids, async_request_id,
	created_at, started_at, ended_at, updated_at, context, attach_info, attempts, max_attempts,
	run_after, timeout_ms, lease_owner, lease_expires_at, cancel_requested, pause_requested,
	exclusive, claimed_at`

// stateColumns are the columns TaskUpdate writes, in the order of stateValues.
// The others are the task's identity and never change.
var stateColumns = []string{
	"status", "progress", "code", "message", "started_at", "ended_at", "updated_at", "context",
	"attach_info", "attempts", "max_attempts", "run_after", "timeout_ms", "lease_owner",
	"lease_expires_at", "cancel_requested", "pause_requested", "claimed_at",
}

var (
	insertTaskSQL = `INSERT INTO tasks (tenant, type, instance_ids, async_request_id, created_at, exclusive, ` +
		strings.Join(stateColumns, ", ") + `) VALUES (` + placeholders(6+len(stateColumns)) +
		`) RETURNING ` + taskColumns
	updateTaskSQL = `UPDATE tasks SET ` + strings.Join(stateColumns, " = ?, ") +
		` = ? WHERE id = ? RETURNING ` + taskColumns
)

// TaskInsert stores a new task, its instances and its first event in one
// transaction. It returns the existing task and created=false when the
// tenant already has one with the same AsyncRequestID; the single writer
// makes that check and the insert atomic.
func (s *Store) TaskInsert(ctx context.Context, p *tc.TaskInsertParams) (task *tc.Task, created bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		task, created, err = insertTask(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return task, created, nil
}

func insertTask(ctx context.Context, tx *sql.Tx, p *tc.TaskInsertParams) (*tc.Task, bool, error) {
	t := *p.Task
	if t.AsyncRequestID != "" {
		existing, err := taskByRequest(ctx, tx, t.Tenant, t.AsyncRequestID)
		if !errors.Is(err, tc.ErrNotFound) { // found, or failed
			return existing, false, err
		}
	}
	instanceIDs, err := json.Marshal(nonNil(t.InstanceIDs))
	if err != nil {
		return nil, false, fmt.Errorf("insert task: %w", err)
	}
	if err := checkInstances(ctx, tx, t.Tenant, instanceIDs); err != nil {
		return nil, false, err
	}
	t.UpdatedAt = t.CreatedAt
	state, err := stateValues(&t)
	if err != nil {
		return nil, false, err
	}
	args := append([]any{t.Tenant, t.Type, string(instanceIDs), t.AsyncRequestID, millis(t.CreatedAt), t.Exclusive}, state...)
	stored, err := scanTask(tx.QueryRowContext(ctx, insertTaskSQL, args...))
	if err != nil {
		return nil, false, dbError("insert task", err)
	}
	if err := linkInstances(ctx, tx, stored.ID, t.Tenant, instanceIDs); err != nil {
		return nil, false, err
	}
	// A queued exclusive task may start at once; it is then stored INITIAL
	// with one submission event, not a WAITING one and a promotion.
	if stored.Exclusive {
		if err := syncQueue(ctx, tx, stored); err != nil {
			return nil, false, err
		}
		if stored, err = replan(ctx, tx, stored, t.CreatedAt, stored.ID); err != nil {
			return nil, false, err
		}
	}
	first := &tc.Event{TaskID: stored.ID, At: stored.CreatedAt, To: stored.Status, Progress: stored.Progress, Actor: p.Actor}
	return stored, true, appendEvent(ctx, tx, stored.Tenant, first)
}

// taskByRequest returns the tenant's task with an async request id, or ErrNotFound.
func taskByRequest(ctx context.Context, q querier, tenant, requestID string) (*tc.Task, error) {
	// The redundant <> '' lets SQLite use the partial unique index.
	row := q.QueryRowContext(ctx, "SELECT "+taskColumns+
		" FROM tasks WHERE tenant = ? AND async_request_id = ? AND async_request_id <> ''", tenant, requestID)
	t, err := scanTask(row)
	return t, dbError("get task", err)
}

// checkInstances refuses the first instance of the JSON array ids that the
// tenant does not have.
func checkInstances(ctx context.Context, tx *sql.Tx, tenant string, ids []byte) error {
	var unknown string
	err := tx.QueryRowContext(ctx, `SELECT j.value FROM json_each(?) AS j
		WHERE NOT EXISTS (SELECT 1 FROM instances AS i WHERE i.tenant = ? AND i.id = j.value)
		ORDER BY j.key LIMIT 1`, string(ids), tenant).Scan(&unknown)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return dbError("check instances", err)
	}
	return tc.UnknownInstance(unknown)
}

// linkInstances records the instances of a task, for per-instance queries.
func linkInstances(ctx context.Context, tx *sql.Tx, taskID int64, tenant string, ids []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO task_instances (tenant, instance_id, task_id)
		SELECT ?, value, ? FROM json_each(?)`, tenant, taskID, string(ids))
	return dbError("link instances", err)
}

// TaskGet returns a task of the tenant, or ErrNotFound.
func (s *Store) TaskGet(ctx context.Context, tenant string, id int64) (*tc.Task, error) {
	return getTask(ctx, s.reader, tenant, id)
}

func getTask(ctx context.Context, q querier, tenant string, id int64) (*tc.Task, error) {
	var w where
	w.add("id = ?", id)
	w.tenant(tenant)
	t, err := scanTask(q.QueryRowContext(ctx, "SELECT "+taskColumns+" FROM tasks"+w.String(), w.args...))
	return t, dbError("get task", err)
}

// TaskUpdate loads a task, applies p.Update and saves the result in one
// transaction, with UpdatedAt set to p.Now. The task's identity (ID, Tenant,
// Type, InstanceIDs, AsyncRequestID, CreatedAt) is kept whatever Update does
// to it. A change of status or progress appends an event.
func (s *Store) TaskUpdate(ctx context.Context, p *tc.TaskUpdateParams) (*tc.Task, error) {
	var saved *tc.Task
	err := s.write(ctx, func(tx *sql.Tx) error {
		before, err := getTask(ctx, tx, p.Tenant, p.ID)
		if err != nil {
			return err
		}
		t := *before
		if err := p.Update(&t); err != nil {
			return err
		}
		t.UpdatedAt = p.Now
		if saved, err = saveTask(ctx, tx, before.ID, &t); err != nil {
			return err
		}
		if saved.Status == before.Status && saved.Progress == before.Progress && saved.Message == before.Message && p.Note == "" {
			return nil
		}
		err = appendEvent(ctx, tx, saved.Tenant, &tc.Event{
			TaskID: saved.ID, At: p.Now, From: before.Status, To: saved.Status,
			Progress: saved.Progress, Message: cmp.Or(p.Note, saved.Message), Actor: p.Actor,
		})
		if err != nil || !saved.Exclusive || saved.Status == before.Status {
			return err
		}
		if err := syncQueue(ctx, tx, saved); err != nil {
			return err
		}
		saved, err = replan(ctx, tx, saved, p.Now, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}

// saveTask writes the state columns of task id and returns the stored task.
func saveTask(ctx context.Context, tx *sql.Tx, id int64, t *tc.Task) (*tc.Task, error) {
	args, err := stateValues(t)
	if err != nil {
		return nil, err
	}
	saved, err := scanTask(tx.QueryRowContext(ctx, updateTaskSQL, append(args, id)...))
	return saved, dbError("update task", err)
}

// stateValues encodes the stateColumns of a task.
func stateValues(t *tc.Task) ([]any, error) {
	attach, err := encodeAttach(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	taskContext := string(t.Context)
	if taskContext == "" {
		taskContext = "{}"
	}
	return []any{
		t.Status, t.Progress, t.Code, t.Message, millis(t.StartedAt), millis(t.EndedAt),
		millis(t.UpdatedAt), taskContext, attach, t.Attempts, t.MaxAttempts, millis(t.RunAfter),
		t.Timeout.Milliseconds(), t.LeaseOwner, millis(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested,
		millis(t.ClaimedAt),
	}, nil
}

func scanTask(sc scanner) (*tc.Task, error) {
	var t tc.Task
	var instanceIDs, taskContext, attach string
	var created, started, ended, updated, runAfter, timeout, leaseExpires, claimed int64
	err := sc.Scan(&t.ID, &t.Tenant, &t.Type, &t.Status, &t.Progress, &t.Code, &t.Message,
		&instanceIDs, &t.AsyncRequestID, &created, &started, &ended, &updated, &taskContext, &attach,
		&t.Attempts, &t.MaxAttempts, &runAfter, &timeout, &t.LeaseOwner, &leaseExpires,
		&t.CancelRequested, &t.PauseRequested, &t.Exclusive, &claimed)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(instanceIDs), &t.InstanceIDs); err != nil {
		return nil, fmt.Errorf("task %d: instance ids: %w", t.ID, err)
	}
	if t.AttachInfo, err = decodeAttach(attach); err != nil {
		return nil, fmt.Errorf("task %d: %w", t.ID, err)
	}
	t.Context = json.RawMessage(taskContext)
	t.CreatedAt, t.StartedAt, t.EndedAt = fromMillis(created), fromMillis(started), fromMillis(ended)
	t.UpdatedAt, t.RunAfter, t.LeaseExpiresAt = fromMillis(updated), fromMillis(runAfter), fromMillis(leaseExpires)
	t.Timeout = time.Duration(timeout) * time.Millisecond
	t.ClaimedAt = fromMillis(claimed)
	return &t, nil
}

// attachJSON is the stored form of a taskcenter.Attach.
type attachJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func encodeAttach(list []tc.Attach) (string, error) {
	out := make([]attachJSON, len(list))
	for i, a := range list {
		out[i] = attachJSON(a)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("attach info: %w", err)
	}
	return string(b), nil
}

// decodeAttach returns nil for an empty list.
func decodeAttach(s string) ([]tc.Attach, error) {
	var in []attachJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("attach info: %w", err)
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]tc.Attach, len(in))
	for i, a := range in {
		out[i] = tc.Attach(a)
	}
	return out, nil
}

// nonNil makes a nil list encode as [] rather than null.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
