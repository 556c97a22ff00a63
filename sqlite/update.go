package sqlite

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// The statements of updates.
var (
	// saveStateSQL writes the stateColumns of a task, then its id.
	saveStateSQL = `UPDATE tasks SET ` + strings.Join(stateColumns, " = ?, ") + ` = ? WHERE id = ?`
	// saveProgressSQL writes the stateColumns but those of the task
	// indexes' keys and conditions, then the id: SQLite leaves alone the
	// indexes whose columns an UPDATE does not set, so a change of progress
	// or lease does not rewrite the entries of a task in every index.
	saveProgressSQL = `UPDATE tasks SET ` + strings.Join(progressColumns(), " = ?, ") + ` = ? WHERE id = ?`
	// tasksByIDSQL returns the tasks of a JSON array of ids.
	tasksByIDSQL = "SELECT " + taskColumns + " FROM tasks WHERE id IN (SELECT value FROM json_each(?))"
)

// TaskUpdate applies one update, as TaskUpdateMany does.
func (s *Store) TaskUpdate(ctx context.Context, p *tc.TaskUpdateParams) (*tc.Task, error) {
	res, err := s.TaskUpdateMany(ctx, []*tc.TaskUpdateParams{p})
	if err != nil {
		return nil, err
	}
	return res[0].Task, res[0].Err
}

// TaskUpdateMany applies the updates in one transaction. The tasks are read
// in one query and each Update runs in order on the copy in memory; then
// the changed rows and the events are written by statements prepared once
// and run per row (cheaper than decoding JSON rows in SQL), and the queues
// and promotions set by set. The queues of every instance whose exclusive
// task changed status are replanned once, after the last update, so a task
// that an update of the batch frees is promoted when the batch ends and its
// own update in the same batch still sees it WAITING.
func (s *Store) TaskUpdateMany(ctx context.Context, ps []*tc.TaskUpdateParams) ([]tc.TaskResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	var out []tc.TaskResult
	err := s.write(ctx, func(tx *writeTx) (err error) {
		out, err = updateTasks(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func updateTasks(ctx context.Context, tx *writeTx, ps []*tc.TaskUpdateParams) ([]tc.TaskResult, error) {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	loaded, err := tasksByID(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	current, original := byID(loaded), byID(loaded)
	out := make([]tc.TaskResult, len(ps))
	last := map[int64]int{}   // the last update of each task that succeeded
	moved := map[int64]bool{} // exclusive tasks whose status an update changed
	var events [][]any
	var replanAt time.Time
	for i, p := range ps {
		before, ok := current[p.ID]
		if !ok || (p.Tenant != tc.AllTenants && before.Tenant != p.Tenant) {
			out[i].Err = tc.ErrNotFound
			continue
		}
		after, err := applyUpdate(before, p)
		if err != nil {
			out[i].Err = err
			continue
		}
		current[p.ID], last[p.ID], out[i].Task = after, i, after
		if after.Status != before.Status || after.Progress != before.Progress ||
			after.Message != before.Message || p.Note != "" {
			events = append(events, []any{after.ID, after.Tenant, millis(p.Now), before.Status, after.Status,
				after.Progress, cmp.Or(p.Note, after.Message), p.Actor})
		}
		if after.Exclusive && after.Status != before.Status {
			moved[after.ID] = true
			replanAt = later(replanAt, p.Now)
		}
	}
	if len(last) == 0 {
		return out, nil
	}
	if err := saveStates(ctx, tx, original, current, last); err != nil {
		return nil, err
	}
	if err := appendEvents(ctx, tx, events); err != nil {
		return nil, err
	}
	if len(moved) == 0 {
		return out, nil
	}
	var changed []*tc.Task
	for id := range moved {
		changed = append(changed, current[id])
	}
	if err := syncQueue(ctx, tx, changed); err != nil {
		return nil, err
	}
	promoted, err := replan(ctx, tx, queueKeys(changed), replanAt)
	if err != nil {
		return nil, err
	}
	// A task that an update named and the replan started is read again.
	var reread []int64
	for _, id := range promoted {
		if _, ok := last[id]; ok {
			reread = append(reread, id)
		}
	}
	if len(reread) == 0 {
		return out, nil
	}
	tasks, err := tasksByID(ctx, tx, reread)
	for _, t := range tasks {
		out[last[t.ID]].Task = t
	}
	return out, err
}

// applyUpdate runs p.Update on a copy of before and returns the task as it
// will be stored, or the error of Update, before staying as it was.
func applyUpdate(before *tc.Task, p *tc.TaskUpdateParams) (*tc.Task, error) {
	t := cloneTask(before)
	if err := p.Update(t); err != nil {
		return nil, err
	}
	t.ID, t.Tenant, t.Type, t.AsyncRequestID = before.ID, before.Tenant, before.Type, before.AsyncRequestID
	t.InstanceIDs, t.CreatedAt, t.Exclusive = slices.Clone(before.InstanceIDs), before.CreatedAt, before.Exclusive
	t.Claims = before.Claims // only claims count claims: the fence of workers' reports
	t.UpdatedAt = p.Now
	return storedForm(t)
}

// cloneTask copies a task deeply enough that changes to the copy, slices
// included, leave the original alone.
func cloneTask(t *tc.Task) *tc.Task {
	c := *t
	c.InstanceIDs = slices.Clone(t.InstanceIDs)
	c.Context = slices.Clone(t.Context)
	c.AttachInfo = slices.Clone(t.AttachInfo)
	return &c
}

// storedForm returns t as reading it back after a write would: times at
// millisecond precision in UTC, the context and attach info as stored.
func storedForm(t *tc.Task) (*tc.Task, error) {
	for _, at := range []*time.Time{&t.CreatedAt, &t.StartedAt, &t.EndedAt, &t.UpdatedAt, &t.RunAfter, &t.LeaseExpiresAt, &t.ClaimedAt} {
		*at = fromMillis(millis(*at))
	}
	t.Timeout = t.Timeout.Truncate(time.Millisecond)
	if len(t.Context) == 0 {
		t.Context = []byte("{}")
	}
	attach, err := encodeAttach(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	if t.AttachInfo, err = decodeAttach(attach); err != nil {
		return nil, err
	}
	return t, nil
}

// indexedStates are the stateColumns in the keys or conditions of task
// indexes.
var indexedStates = []string{"status", "run_after", "ended_at", "end_status"}

// progressColumns returns the stateColumns but indexedStates, in order.
func progressColumns() []string {
	return slices.DeleteFunc(slices.Clone(stateColumns), func(c string) bool {
		return slices.Contains(indexedStates, c)
	})
}

// saveStates writes the state of every task that an update changed, with
// saveProgressSQL when the indexedStates kept the values they had in
// loaded.
func saveStates(ctx context.Context, tx *writeTx, loaded, current map[int64]*tc.Task, changed map[int64]int) error {
	var full, progress *writeStmt
	var removed, restored []int64
	for _, id := range slices.Sorted(maps.Keys(changed)) {
		before, t := loaded[id], current[id]
		tx.moved(t, before.Status, t.Status)
		switch {
		case t.Status == tc.StatusRemoved && before.Status != tc.StatusRemoved:
			removed = append(removed, id)
		case before.Status == tc.StatusRemoved && t.Status != tc.StatusRemoved:
			restored = append(restored, id) // not a move of the engine's, but a store takes it
		}
		state, err := stateValues(t)
		if err != nil {
			return err
		}
		query, stmt := saveStateSQL, &full
		if t.Status == before.Status && t.RunAfter.Equal(before.RunAfter) && t.EndedAt.Equal(before.EndedAt) {
			query, stmt, state = saveProgressSQL, &progress, progressValues(state)
		}
		if *stmt == nil {
			if *stmt, err = tx.PrepareContext(ctx, query); err != nil {
				return dbError("update tasks", err)
			}
			defer (*stmt).Close()
		}
		if _, err := (*stmt).ExecContext(ctx, append(state, id)...); err != nil {
			return dbError("update tasks", err)
		}
	}
	if err := linkRemoved(ctx, tx, removed); err != nil {
		return err
	}
	if len(restored) > 0 {
		_, err := tx.ExecContext(ctx, unlinkRemovedSQL, jsonText(restored))
		return dbError("unlink removed tasks", err)
	}
	return nil
}

// progressValues keeps of stateValues those of progressColumns.
func progressValues(state []any) []any {
	out := state[:0:0]
	for i, c := range stateColumns {
		if !slices.Contains(indexedStates, c) {
			out = append(out, state[i])
		}
	}
	return out
}

// tasksByID returns the tasks with the given ids that exist, by id.
func tasksByID(ctx context.Context, tx *writeTx, ids []int64) ([]*tc.Task, error) {
	rows, err := tx.QueryContext(ctx, tasksByIDSQL, jsonText(ids))
	if err != nil {
		return nil, dbError("get tasks", err)
	}
	tasks, err := scanTasks(rows)
	return tasks, dbError("get tasks", err)
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
