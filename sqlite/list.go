package sqlite

import (
	"context"

	tc "github.com/taskcenter/taskcenter"
)

// TaskList returns one page of tasks, newest first, and the exact number of
// tasks that match f regardless of its cursor, offset and limit. Both come
// from one snapshot. A Limit of 0 only counts.
//
// A filter of a tenant on statuses, types and time is counted first, from
// the counters, and its page read only when the count is not 0: a filter
// that matches nothing would walk its whole index. The few rows of an
// instance, a request id or an id are read first instead: a first page that
// is not full holds every match, and is then its own count.
func (s *Store) TaskList(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	page := &tc.TaskPage{Tasks: []*tc.Task{}}
	err := s.read(ctx, func(tx *readTx) error {
		var err error
		if !countable(f) && f.Limit > 0 {
			q, args := pageQuery(f)
			if page.Tasks, err = listTasks(ctx, tx, q, args); err != nil {
				return err
			}
			if f.Offset <= 0 && f.BeforeID <= 0 && len(page.Tasks) < f.Limit {
				page.Total = len(page.Tasks)
				return nil
			}
			page.Total, err = taskTotal(ctx, tx, f)
			return err
		}
		page.Total, err = taskTotal(ctx, tx, f)
		if err != nil || f.Limit <= 0 || page.Total == 0 {
			return err
		}
		q, args := pageQuery(f)
		page.Tasks, err = listTasks(ctx, tx, q, args)
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

// pageFrom is the FROM clause of a page of f. A filter of a tenant on
// statuses, types and a window walks one of the covering indexes by id,
// newest first: the one of its status or of its type when it names only
// one, which skips the others, else the one of the whole tenant. Left to
// itself, the planner would rather sort every task of a window or of
// several types. Other filters (instance, request id, id) read few rows.
func pageFrom(f *tc.TaskFilter) string {
	switch {
	case !countable(f):
		return "tasks"
	case len(f.Statuses) == 1:
		return "tasks INDEXED BY tasks_tenant_status_id_cov"
	case len(f.Types) == 1:
		return "tasks INDEXED BY tasks_tenant_type_id_cov"
	}
	return "tasks INDEXED BY tasks_tenant_id_cov"
}

// pageQuery is the query of the page of f, with its arguments.
func pageQuery(f *tc.TaskFilter) (string, []any) {
	w := taskWhere(f)
	if f.BeforeID > 0 {
		w.add("id < ?", f.BeforeID)
	}
	return "SELECT " + taskColumns + " FROM " + pageFrom(f) + w.String() + " ORDER BY id DESC LIMIT ? OFFSET ?",
		append(w.args, f.Limit, max(f.Offset, 0))
}

func listTasks(ctx context.Context, tx *readTx, q string, args []any) ([]*tc.Task, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
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
