package engine

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	tc "github.com/taskcenter/taskcenter"
)

// Bounds of a submission.
const (
	MaxInstancesPerTask  = 100
	MaxAsyncRequestIDLen = tc.MaxAsyncRequestIDLen
	MaxAttemptsLimit     = 100
	MaxTimeout           = 7 * 24 * time.Hour
)

// SubmitTask validates a submission and stores the task: WAITING when it may
// not run before RunAfter, INITIAL otherwise. A repeated async request id
// returns the tenant's existing task with created=false. Concurrent
// submissions are written together, a transaction per batch.
func (s *Service) SubmitTask(ctx context.Context, p *tc.SubmitTaskParams) (*tc.Task, bool, error) {
	task, err := s.newTask(ctx, p)
	if err != nil {
		return nil, false, err
	}
	res := s.inserts.do(ctx, &tc.TaskInsertParams{Task: task, Actor: p.Actor})
	if res.Created && res.Task.Status == tc.StatusInitial {
		s.ready.broadcast()
	}
	return res.Task, res.Created, res.Err
}

// SubmitTasks submits several tasks in one transaction, each as SubmitTask
// would, and reports each outcome at its position: a refused task does not
// stop the others. Tasks of one batch on the same instance queue in the
// batch's order.
func (s *Service) SubmitTasks(ctx context.Context, ps []*tc.SubmitTaskParams) ([]tc.TaskResult, error) {
	if len(ps) == 0 || len(ps) > tc.MaxSubmitBatch {
		return nil, tc.Invalidf("tasks", "a batch holds 1 to %d tasks", tc.MaxSubmitBatch)
	}
	out := make([]tc.TaskResult, len(ps))
	var inserts []*tc.TaskInsertParams
	var at []int // position in out of each insert
	for i, p := range ps {
		task, err := s.newTask(ctx, p)
		if err != nil {
			out[i].Err = err
			continue
		}
		inserts = append(inserts, &tc.TaskInsertParams{Task: task, Actor: p.Actor})
		at = append(at, i)
	}
	if len(inserts) == 0 {
		return out, nil
	}
	res, err := s.store.TaskInsertMany(ctx, inserts)
	if err != nil {
		return nil, err
	}
	ready := false
	for j, r := range res {
		out[at[j]] = r
		ready = ready || (r.Created && r.Task.Status == tc.StatusInitial)
	}
	if ready {
		s.ready.broadcast()
	}
	return out, nil
}

// newTask validates a submission and returns the task to store.
func (s *Service) newTask(ctx context.Context, p *tc.SubmitTaskParams) (*tc.Task, error) {
	typ, err := s.taskType(ctx, p.Type)
	if err != nil {
		return nil, err
	}
	if err := validateSubmit(p); err != nil {
		return nil, err
	}
	taskCtx, err := tc.ValidateContext(p.Type, p.Context)
	if err != nil {
		return nil, err
	}
	now := s.now()
	// Exclusive tasks are submitted WAITING: the store queues them on their
	// instances and makes them INITIAL at once when they may start.
	task := &tc.Task{
		Tenant:         p.Tenant,
		Type:           p.Type,
		Status:         tc.StatusInitial,
		InstanceIDs:    p.InstanceIDs,
		AsyncRequestID: p.AsyncRequestID,
		CreatedAt:      now,
		Context:        taskCtx,
		MaxAttempts:    firstPositive(p.MaxAttempts, typ.MaxAttempts, s.cfg.DefaultMaxAttempts),
		Timeout:        firstPositive(p.Timeout, typ.Timeout, s.cfg.DefaultTimeout),
		Exclusive:      typ.Exclusive,
	}
	if typ.Exclusive {
		task.Status = tc.StatusWaiting
	}
	if p.RunAfter.After(now) {
		task.Status = tc.StatusWaiting
		task.RunAfter = p.RunAfter.UTC().Truncate(time.Millisecond)
	}
	return task, nil
}

func validateSubmit(p *tc.SubmitTaskParams) error {
	if err := tc.ValidateTenant(p.Tenant); err != nil {
		return err
	}
	if len(p.InstanceIDs) == 0 {
		return tc.Invalidf("instance_ids", "instance_ids needs at least one instance id")
	}
	if len(p.InstanceIDs) > MaxInstancesPerTask {
		return tc.Invalidf("instance_ids", "instance_ids may name at most %d instances", MaxInstancesPerTask)
	}
	for i, id := range p.InstanceIDs {
		if err := tc.ValidateInstanceID("instance_ids", id); err != nil {
			return err
		}
		if slices.Contains(p.InstanceIDs[:i], id) {
			return tc.Invalidf("instance_ids", "instance_ids names %q twice", id)
		}
	}
	switch {
	case len(p.AsyncRequestID) > MaxAsyncRequestIDLen || !utf8.ValidString(p.AsyncRequestID):
		return tc.Invalidf("async_request_id", "async_request_id must be valid UTF-8 of at most %d bytes", MaxAsyncRequestIDLen)
	case p.MaxAttempts < 0 || p.MaxAttempts > MaxAttemptsLimit:
		return tc.Invalidf("max_attempts", "max_attempts must be between 1 and %d", MaxAttemptsLimit)
	case p.Timeout < 0 || p.Timeout > MaxTimeout:
		return tc.Invalidf("timeout_seconds", "timeout_seconds must be between 1 and %d", int(MaxTimeout/time.Second))
	}
	return nil
}

func firstPositive[T int | time.Duration](vals ...T) T {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

// GetTask returns one task of the tenant.
func (s *Service) GetTask(ctx context.Context, tenant string, id int64) (*tc.Task, error) {
	task, err := s.store.TaskGet(ctx, tenant, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, tc.Errorf(tc.ENOTFOUND, "task %d not found", id)
	}
	return task, err
}

// ListTasks returns a page of the tenant's tasks and the exact total. A type
// or status named more than once counts once: a request may repeat one tens
// of thousands of times, more than a statement takes values.
func (s *Service) ListTasks(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	if len(f.Types) > 1 || len(f.Statuses) > 1 {
		g := *f
		g.Types = slices.Compact(slices.Sorted(slices.Values(f.Types)))
		g.Statuses = slices.Compact(slices.Sorted(slices.Values(f.Statuses)))
		f = &g
	}
	return s.store.TaskList(ctx, f)
}

// CountTasks returns the number of the tenant's tasks in each status.
func (s *Service) CountTasks(ctx context.Context, tenant string) (map[tc.Status]int, error) {
	return s.store.TaskCounts(ctx, tenant)
}

// TaskEvents returns a task's history, oldest first.
func (s *Service) TaskEvents(ctx context.Context, tenant string, id int64) ([]*tc.Event, error) {
	events, err := s.store.TaskEvents(ctx, tenant, id)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, tc.Errorf(tc.ENOTFOUND, "task %d not found", id)
	}
	return events, err
}

// ListTaskEvents returns a page of a task's history, oldest first.
func (s *Service) ListTaskEvents(ctx context.Context, p *tc.TaskEventListParams) ([]*tc.Event, error) {
	if p.Limit <= 0 {
		return nil, tc.Invalidf("limit", "limit must be positive")
	}
	events, err := s.store.TaskEventList(ctx, p)
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, tc.Errorf(tc.ENOTFOUND, "task %d not found", p.TaskID)
	}
	return events, err
}

// CancelTask kills a task that has not ended. A task that is not running is
// KILLED at once. A running one is asked to stop: its worker learns of it on
// its next heartbeat and stops, and the task becomes KILLED when the worker
// says it stopped or its lease runs out, so its instance is never given to
// the next task while the handler may still be at work.
func (s *Service) CancelTask(ctx context.Context, tenant string, id int64, actor string) (*tc.Task, error) {
	return s.transition(ctx, tenant, id, actor, "cancel requested", func(t *tc.Task, now time.Time) error {
		if t.Status == tc.StatusRunning {
			if t.CancelRequested {
				return tc.Errorf(tc.ECONFLICT, "task %d is being canceled already", t.ID)
			}
			t.CancelRequested = true
			return nil
		}
		return t.Transition(tc.StatusKilled, now)
	})
}

// PauseTask holds a waiting, ready or running task until it is resumed; a
// running one, like a canceled one, once its worker has stopped.
func (s *Service) PauseTask(ctx context.Context, tenant string, id int64, actor string) (*tc.Task, error) {
	return s.transition(ctx, tenant, id, actor, "pause requested", func(t *tc.Task, now time.Time) error {
		if t.Status == tc.StatusRunning {
			if t.CancelRequested || t.PauseRequested {
				return tc.Errorf(tc.ECONFLICT, "task %d is being stopped already", t.ID)
			}
			t.PauseRequested = true
			return nil
		}
		return t.Transition(tc.StatusPaused, now)
	})
}

// settleStop ends a running task whose cancel or pause was asked for, once
// its worker stopped or its lease ran out: KILLED, or PAUSED without counting
// the interrupted attempt. It reports false for a task asked for neither.
func settleStop(t *tc.Task, now time.Time) (bool, error) {
	switch {
	case t.CancelRequested:
		return true, t.Transition(tc.StatusKilled, now)
	case t.PauseRequested:
		t.Attempts--
		t.PauseRequested = false
		return true, t.Transition(tc.StatusPaused, now)
	}
	return false, nil
}

// ResumeTask makes a paused task eligible again: INITIAL, or WAITING while
// its RunAfter is in the future or, for an exclusive task, until its
// instances are free.
func (s *Service) ResumeTask(ctx context.Context, tenant string, id int64, actor string) (*tc.Task, error) {
	return s.transition(ctx, tenant, id, actor, "resumed", func(t *tc.Task, now time.Time) error {
		if t.Status == tc.StatusRunning && t.PauseRequested {
			t.PauseRequested = false // not stopped yet: it just goes on
			return nil
		}
		if t.Status != tc.StatusPaused {
			return tc.Errorf(tc.ECONFLICT, "task %d is %s, not PAUSED", t.ID, t.Status)
		}
		t.PauseRequested = false
		if t.RunAfter.After(now) || t.Exclusive {
			return t.Transition(tc.StatusWaiting, now)
		}
		return t.Transition(tc.StatusInitial, now)
	})
}

func (s *Service) transition(ctx context.Context, tenant string, id int64, actor, note string, fn func(*tc.Task, time.Time) error) (*tc.Task, error) {
	now := s.now()
	res := s.updates.do(ctx, &tc.TaskUpdateParams{
		Tenant: tenant, ID: id, Actor: actor, Now: now, Note: note,
		Update: func(t *tc.Task) error { return fn(t, now) },
	})
	task, err := res.Task, res.Err
	if tc.ErrorCode(err) == tc.ENOTFOUND {
		return nil, tc.Errorf(tc.ENOTFOUND, "task %d not found", id)
	}
	if err == nil {
		// An ended or paused exclusive task may have let another start.
		s.ready.broadcast()
	}
	return task, err
}
