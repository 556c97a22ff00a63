package postgres

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskUpdate is TaskUpdateMany with one update.
func (s *Store) TaskUpdate(ctx context.Context, p *taskcenter.TaskUpdateParams) (*taskcenter.Task, error) {
	res, err := s.TaskUpdateMany(ctx, []*taskcenter.TaskUpdateParams{p})
	if err != nil {
		return nil, err
	}
	return res[0].Task, res[0].Err
}

// TaskUpdateMany locks the tasks, applies each p.Update in order to the
// task as the updates before it left it, keeps the tasks' identity, saves
// them with UpdatedAt = p.Now and appends an event for each update that
// changed the status, the progress or the message, or has a Note, all in
// one transaction and in a number of statements that does not grow with the
// batch. When exclusive tasks change status, the queues of their instances
// are replanned once, at the end, under the locks of their instances rows.
func (s *Store) TaskUpdateMany(ctx context.Context, ps []*taskcenter.TaskUpdateParams) ([]taskcenter.TaskResult, error) {
	if len(ps) == 0 {
		return []taskcenter.TaskResult{}, nil
	}
	var out []taskcenter.TaskResult
	err := s.writeTx(ctx, func(tx pgx.Tx) (err error) {
		out, err = updateTasks(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, storeErr("update tasks", err)
	}
	return out, nil
}

// updateTasks is TaskUpdateMany inside its transaction.
func updateTasks(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskUpdateParams) ([]taskcenter.TaskResult, error) {
	// The instances of exclusive tasks are locked before the tasks: a
	// concurrent plan holding them may be about to promote one. Whether a
	// task is exclusive, its tenant and its instances never change.
	ids, keys, err := updateLockSet(ctx, tx, ps)
	if err != nil {
		return nil, err
	}
	locked := map[instanceKey]bool{}
	readAt := latestNow(ps)
	var entries []queued
	if len(keys) > 0 {
		if entries, err = lockQueues(ctx, tx, keys, readAt, locked); err != nil {
			return nil, err
		}
	}
	stored, err := lockTasks(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	b := applyUpdates(ps, stored)
	if len(b.dirty) == 0 {
		return b.out, nil
	}
	// Exclusive tasks whose status changed leave or join their queues, which
	// are then planned once for the whole batch.
	var moved []*taskcenter.Task
	for _, t := range b.dirty {
		if b.requeue[t.ID] {
			moved = append(moved, t)
		}
	}
	var w writes
	if err := w.saveTasks(b.dirty); err != nil {
		return nil, err
	}
	w.insertEvents(b.eventTenants, b.events)
	w.syncQueues(moved)
	// The queues are still locked and as read but for this batch's changes,
	// so they are usually planned from memory. When the batch moved an
	// instance's oldest due waiting task, the next one, which was not read,
	// may be the oldest now: the queues are read again after the writes, in
	// the same round trip.
	if len(moved) > 0 {
		var known bool
		if entries, known = requeued(entries, b.dirty, b.now); !known || !b.now.Equal(readAt) {
			entries = nil
			queueOn(&w.batch, slices.SortedFunc(maps.Keys(locked), compareInstanceKeys), b.now, &entries)
		}
	}
	if err := w.send(ctx, tx); err != nil {
		return nil, err
	}
	for _, t := range b.dirty {
		b.out[b.last[t.ID]].Task = t
	}
	if len(moved) == 0 {
		return b.out, nil
	}
	promoted, err := plan(ctx, tx, entries, b.now, nil)
	if err != nil {
		return nil, err
	}
	for _, t := range promoted {
		if i, ok := b.last[t.ID]; ok {
			b.out[i].Task = t
		}
	}
	return b.out, nil
}

// requeued is what queueOn read under the locks of the instances, as the
// saved tasks leave it: a saved exclusive task is in its queues while
// WAITING, INITIAL or RUNNING, with its new status and time to run. The
// instances of every saved exclusive task must be among those read. known
// is false when a saved task was the oldest due waiting task of an instance
// (every WAITING task read, due at now) and no longer is: the next waiting
// task of that instance was not read.
func requeued(entries []queued, saved []*taskcenter.Task, now time.Time) (out []queued, known bool) {
	byID := make(map[int64]*taskcenter.Task, len(saved))
	for _, t := range saved {
		if t.Exclusive {
			byID[t.ID] = t
		}
	}
	due := func(s taskcenter.Status, runAfter time.Time) bool {
		return s == taskcenter.StatusWaiting && !runAfter.After(now)
	}
	out = make([]queued, 0, len(entries)+len(byID))
	for _, e := range entries {
		t, ok := byID[e.ID]
		if !ok {
			out = append(out, e)
			continue
		}
		delete(byID, e.ID)
		if due(e.Status, e.RunAfter) && !due(t.Status, t.RunAfter) {
			return nil, false
		}
		if t.Status == taskcenter.StatusWaiting || taskcenter.HoldsInstances(t.Status) {
			e.Status, e.RunAfter = t.Status, t.RunAfter
			out = append(out, e)
		}
	}
	// Tasks that joined their queues or were not read (younger ones, or ones
	// not due): what they are now is known.
	for _, t := range byID {
		if t.Status == taskcenter.StatusWaiting || taskcenter.HoldsInstances(t.Status) {
			out = append(out, queued{t.Tenant, taskcenter.QueueEntry{ID: t.ID, Status: t.Status,
				RunAfter: t.RunAfter, InstanceIDs: t.InstanceIDs}})
		}
	}
	slices.SortFunc(out, func(a, b queued) int { return cmp.Compare(a.ID, b.ID) })
	return out, true
}

// latestNow is the latest Now of the updates.
func latestNow(ps []*taskcenter.TaskUpdateParams) time.Time {
	var now time.Time
	for _, p := range ps {
		if p.Now.After(now) {
			now = p.Now
		}
	}
	return now
}

// updateLockSet reads, without locking, what the updates need locked: the
// ids of the tasks they may see, sorted, and the instances of the exclusive
// ones among them. A task of another tenant is not locked at all, so that
// no task is locked without its instances.
func updateLockSet(ctx context.Context, tx pgx.Tx, ps []*taskcenter.TaskUpdateParams) ([]int64, []instanceKey, error) {
	asked := make([]int64, len(ps))
	for i, p := range ps {
		asked[i] = p.ID
	}
	const q = `SELECT id, tenant, instance_ids, exclusive FROM tasks WHERE id = ANY($1)`
	rows, _ := tx.Query(ctx, q, asked)
	type task struct {
		tenant    string
		instances []string
		exclusive bool
	}
	tasks := map[int64]task{}
	var id int64
	var t task
	_, err := pgx.ForEachRow(rows, []any{&id, &t.tenant, &t.instances, &t.exclusive}, func() error {
		tasks[id] = t
		t.instances = nil // the next row scans into a slice of its own
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read tasks: %w", err)
	}
	seen := map[int64]bool{}
	var ids []int64
	var keys []instanceKey
	for _, p := range ps {
		t, ok := tasks[p.ID]
		if !ok || seen[p.ID] || !visible(p.Tenant, t.tenant) {
			continue
		}
		seen[p.ID] = true
		ids = append(ids, p.ID)
		if t.exclusive {
			keys = append(keys, instanceKeysOf(t.tenant, t.instances)...)
		}
	}
	slices.Sort(ids)
	return ids, keys, nil
}

// lockTasks locks the tasks with the given ids, in id order, and returns
// them by id. Missing ids are left out.
func lockTasks(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]*taskcenter.Task, error) {
	if len(ids) == 0 {
		return map[int64]*taskcenter.Task{}, nil
	}
	const q = `SELECT ` + taskColumns + ` FROM tasks WHERE id = ANY($1) ORDER BY id FOR UPDATE`
	rows, _ := tx.Query(ctx, q, ids)
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) { return scanTask(row) })
	if err != nil {
		return nil, fmt.Errorf("lock tasks: %w", err)
	}
	byID := make(map[int64]*taskcenter.Task, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	return byID, nil
}

// visible reports whether a caller acting for tenant may see a task of
// owner.
func visible(tenant, owner string) bool {
	return tenant == taskcenter.AllTenants || tenant == owner
}

// updateBatch is what applying the updates of a batch in memory yields.
type updateBatch struct {
	out          []taskcenter.TaskResult
	dirty        []*taskcenter.Task // the final state of each changed task, by id
	last         map[int64]int      // the last successful update of each task
	events       []*taskcenter.Event
	eventTenants []string
	requeue      map[int64]bool // exclusive tasks whose status changed
	now          time.Time      // the latest Now of the updates, for the plan
}

// applyUpdates applies the updates in order to the stored tasks, each to
// the task as the updates before it left it. An update of a task that is
// missing or of another tenant is ENOTFOUND, and one whose Update fails, or
// makes a task that cannot be stored, leaves the task as it was before it.
func applyUpdates(ps []*taskcenter.TaskUpdateParams, stored map[int64]*taskcenter.Task) *updateBatch {
	b := &updateBatch{out: make([]taskcenter.TaskResult, len(ps)), last: map[int64]int{}, requeue: map[int64]bool{}}
	current := maps.Clone(stored)
	for i, p := range ps {
		old, ok := current[p.ID]
		if !ok || !visible(p.Tenant, old.Tenant) {
			b.out[i].Err = storeErr("update task", pgx.ErrNoRows)
			continue
		}
		t := cloneTask(old)
		if err := p.Update(t); err != nil {
			b.out[i].Err = storeErr("update task", err)
			continue
		}
		t.ID, t.Tenant, t.Type, t.InstanceIDs = old.ID, old.Tenant, old.Type, slices.Clone(old.InstanceIDs)
		t.AsyncRequestID, t.CreatedAt, t.Exclusive = old.AsyncRequestID, old.CreatedAt, old.Exclusive
		t.Claims = old.Claims // only claims count claims: the fence of workers' reports
		t.UpdatedAt = p.Now
		if err := storable(t); err != nil {
			b.out[i].Err = err
			continue
		}
		asStored(t)
		current[p.ID], b.out[i].Task, b.last[p.ID] = t, t, i
		if t.Exclusive && t.Status != old.Status {
			b.requeue[t.ID] = true
		}
		if p.Now.After(b.now) {
			b.now = p.Now
		}
		if t.Status == old.Status && t.Progress == old.Progress && t.Message == old.Message && p.Note == "" {
			continue
		}
		b.events = append(b.events, &taskcenter.Event{
			TaskID: t.ID, At: p.Now, From: old.Status, To: t.Status,
			Progress: t.Progress, Message: cmp.Or(p.Note, t.Message), Actor: p.Actor,
		})
		b.eventTenants = append(b.eventTenants, t.Tenant)
	}
	for _, id := range slices.Sorted(maps.Keys(b.last)) {
		b.dirty = append(b.dirty, current[id])
	}
	return b
}

// cloneTask is a copy of t that shares no slice with it.
func cloneTask(t *taskcenter.Task) *taskcenter.Task {
	c := *t
	c.InstanceIDs = slices.Clone(t.InstanceIDs)
	c.AttachInfo = slices.Clone(t.AttachInfo)
	c.Context = slices.Clone(t.Context)
	return &c
}

// asStored makes t what reading it back once saved would return: times
// in UTC at millisecond precision, the timeout in whole milliseconds, an
// empty context as {} and empty attach info as nil.
func asStored(t *taskcenter.Task) {
	for _, at := range []*time.Time{&t.CreatedAt, &t.StartedAt, &t.EndedAt, &t.UpdatedAt, &t.RunAfter,
		&t.LeaseExpiresAt, &t.ClaimedAt} {
		if !at.IsZero() {
			*at = at.UTC().Truncate(time.Millisecond)
		}
	}
	t.Timeout = t.Timeout.Truncate(time.Millisecond)
	t.Context = []byte(contextArg(t.Context))
	if len(t.AttachInfo) == 0 {
		t.AttachInfo = nil
	}
}
