package sqlite

import (
	"context"
	"database/sql"

	tc "github.com/taskcenter/taskcenter"
)

// TaskList returns one page of tasks, newest first, and the exact number of
// tasks that match f regardless of its cursor, offset and limit. Both come
// from one snapshot. A Limit of 0 only counts.
func (s *Store) TaskList(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	page := &tc.TaskPage{Tasks: []*tc.Task{}}
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		page.Total, err = taskTotal(ctx, tx, f)
		if err != nil || f.Limit <= 0 || page.Total == 0 {
			return err
		}
		w := taskWhere(f)
		if f.BeforeID > 0 {
			w.add("id < ?", f.BeforeID)
		}
		page.Tasks, err = listTasks(ctx, tx, w, f.Limit, max(f.Offset, 0))
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// taskWhere translates a filter, without its cursor, into conditions.
func taskWhere(f *tc.TaskFilter) *where {
	w := &where{}
	if f.InstanceID != "" && f.Tenant != tc.AllTenants {
		// The instance's few tasks come from task_instances. The unary +
		// keeps the planner from scanning the whole tenant through the
		// (tenant, status) index instead, which it prefers without statistics.
		w.add("+tenant = ?", f.Tenant)
	} else {
		w.tenant(f.Tenant)
	}
	if f.ID != 0 {
		w.add("id = ?", f.ID)
	}
	if f.InstanceID != "" {
		sub := &where{}
		sub.tenant(f.Tenant)
		sub.add("instance_id = ?", f.InstanceID)
		w.add("id IN (SELECT task_id FROM task_instances"+sub.String()+")", sub.args...)
	}
	if len(f.Types) > 0 {
		in(w, "type", f.Types)
	}
	if len(f.Statuses) > 0 {
		in(w, "status", f.Statuses)
	} else {
		w.add("status <> ?", tc.StatusRemoved)
	}
	if f.AsyncRequestID != "" {
		w.add("async_request_id = ? AND async_request_id <> ''", f.AsyncRequestID) // <> '' selects the partial index
	}
	if !f.CreatedAfter.IsZero() {
		w.add("created_at >= ?", millis(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at < ?", millis(f.CreatedBefore))
	}
	return w
}

func listTasks(ctx context.Context, tx *sql.Tx, w *where, limit, offset int) ([]*tc.Task, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+taskColumns+" FROM tasks"+w.String()+
		" ORDER BY id DESC LIMIT ? OFFSET ?", append(w.args, limit, offset)...)
	if err != nil {
		return nil, dbError("list tasks", err)
	}
	defer rows.Close()
	tasks := []*tc.Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, dbError("list tasks", err)
		}
		tasks = append(tasks, t)
	}
	return tasks, dbError("list tasks", rows.Err())
}
