package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	tc "github.com/taskcenter/taskcenter"
)

// TaskList returns one page of tasks, newest first, and the exact number of
// tasks that match f regardless of its cursor, offset and limit. Both come
// from one snapshot. A Limit of 0 only counts.
//
// A filter of a tenant on statuses, types and time is counted first, from
// the counters, and its page read only when the count is not 0: a filter
// that matches nothing would walk its whole index. The few rows of an
// instance, a request id or an id are read with their count in one
// statement, outside a transaction (see pageWithTotal). A filter of every
// tenant reads its page first: a first page that is not full holds every
// match, and is then its own count.
func (s *Store) TaskList(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	if fewRows(f) && f.Limit > 0 {
		page, err := s.pageWithTotal(ctx, f)
		if err == nil && len(page.Tasks) > 0 {
			err = readInstanceNames(ctx, s.reads, f, page.Tasks)
		}
		if err != nil || len(page.Tasks) > 0 {
			return page, err
		}
		// An empty page carries no count: count, in a snapshot of its own.
	}
	page := &tc.TaskPage{Tasks: []*tc.Task{}}
	err := s.read(ctx, func(tx *readTx) error {
		var err error
		if !countable(f) && !fewRows(f) && f.Limit > 0 {
			q, args := pageQuery(f)
			if page.Tasks, err = listTasks(ctx, tx, f, q, args); err != nil {
				return err
			}
			if err := readInstanceNames(ctx, tx, f, page.Tasks); err != nil {
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
		if page.Tasks, err = listTasks(ctx, tx, f, q, args); err != nil {
			return err
		}
		return readInstanceNames(ctx, tx, f, page.Tasks)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// fewRows reports whether f names an instance, an async request id or a task
// id: an index finds its few rows, and counting them costs little more than
// reading them.
func fewRows(f *tc.TaskFilter) bool {
	return f.InstanceID != "" || f.AsyncRequestID != "" || f.ID != 0
}

// pageWithTotal reads the page of f with its count as a scalar subquery of
// the same statement: one statement is one snapshot, so it needs no
// transaction, and a list of an instance saves a BEGIN and a COMMIT (a
// quarter of its cost). An empty page comes back without its count.
func (s *Store) pageWithTotal(ctx context.Context, f *tc.TaskFilter) (*tc.TaskPage, error) {
	q, args := pageTotalQuery(f)
	rows, err := s.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError("list tasks", err)
	}
	defer rows.Close()
	page := &tc.TaskPage{Tasks: []*tc.Task{}}
	tr := newTaskReader(!f.Summary, &page.Total)
	for rows.Next() {
		t, err := tr.read(rows)
		if err != nil {
			return nil, dbError("list tasks", err)
		}
		page.Tasks = append(page.Tasks, t)
	}
	return page, dbError("list tasks", rows.Err())
}

// pageTotalQuery is the query of the page of f whose first column is the
// count of f, with its arguments. The tasks of an instance of a tenant come
// from a join driven by the instance's rows of task_instances, newest first:
// the page and the count walk them in place, where the IN (...) of taskWhere
// would gather each one's ids into a temporary list first.
func pageTotalQuery(f *tc.TaskFilter) (string, []any) {
	from, cols, order, w := "tasks", pageColumns(f, false), "id", taskWhere(f)
	if f.InstanceID != "" && f.Tenant != tc.AllTenants {
		rest := *f
		rest.Tenant, rest.InstanceID = tc.AllTenants, ""
		w = &where{}
		w.add("i.tenant = ? AND i.instance_id = ? AND t.tenant = ?", f.Tenant, f.InstanceID, f.Tenant)
		r := taskWhere(&rest)
		w.conds, w.args = append(w.conds, r.conds...), append(w.args, r.args...)
		from = "task_instances AS i CROSS JOIN tasks AS t ON t.id = i.task_id"
		cols, order = pageColumns(f, true), "i.task_id"
	}
	count, args := "(SELECT count(*) FROM "+from+w.String()+")", slices.Clone(w.args)
	if q, a, ok := instanceTotal(f); ok {
		count, args = "("+q+")", a
	}
	if f.BeforeID > 0 {
		w.add(order+" < ?", f.BeforeID)
	}
	return "SELECT " + count + ", " + cols + " FROM " + from + w.String() +
			" ORDER BY " + order + " DESC LIMIT ? OFFSET ?",
		append(append(args, w.args...), f.Limit, max(f.Offset, 0))
}

// pageColumns are the columns of a page of f, of the alias t when ofT: a
// summary's when f asks for one. A summary leaves out the columns a list
// does not show, the context first, whose size has no bound.
func pageColumns(f *tc.TaskFilter, ofT bool) string {
	switch {
	case f.Summary && ofT:
		return summaryColumnsOfT
	case f.Summary:
		return summaryColumns
	case ofT:
		return taskColumnsOfT
	}
	return taskColumns
}

// instanceTotal is the query of the count of f, with its arguments, when f
// is an instance of a tenant and nothing else but a cursor: the instance's
// links less the links of its removed tasks (011), each read from its
// key alone, where a count of the tasks would read each task's row for its
// status.
func instanceTotal(f *tc.TaskFilter) (string, []any, bool) {
	if f.InstanceID == "" || f.Tenant == tc.AllTenants || f.ID != 0 || f.AsyncRequestID != "" ||
		len(f.Types) > 0 || len(f.Statuses) > 0 || !f.CreatedAfter.IsZero() || !f.CreatedBefore.IsZero() {
		return "", nil, false
	}
	return `SELECT (SELECT count(*) FROM task_instances WHERE tenant = ? AND instance_id = ?) -
			(SELECT count(*) FROM task_instances_removed WHERE tenant = ? AND instance_id = ?)`,
		[]any{f.Tenant, f.InstanceID, f.Tenant, f.InstanceID}, true
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
	ofStatuses(w, f.Statuses)
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

// ofStatuses adds the condition that a task be in one of statuses, or, for
// none, that it not be removed, in terms of end_status (migration 014),
// which the covering list indexes hold: an ended status is the task's
// end_status, a living one is read from the row of each task whose
// end_status is empty, the few that live.
func ofStatuses(w *where, statuses []tc.Status) {
	if len(statuses) == 0 {
		w.add("end_status <> ?", tc.StatusRemoved)
		return
	}
	var ended, living []tc.Status
	for _, s := range statuses {
		if s.Terminal() {
			ended = append(ended, s)
		} else {
			living = append(living, s)
		}
	}
	var e, l where
	if len(ended) > 0 {
		in(&e, "end_status", ended)
	}
	if len(living) > 0 {
		l.add("end_status = ''")
		in(&l, "status", living)
	}
	switch {
	case len(living) == 0:
		w.add(e.conds[0], e.args...)
	case len(ended) == 0:
		w.add(strings.Join(l.conds, " AND "), l.args...)
	default:
		w.add("("+e.conds[0]+" OR ("+strings.Join(l.conds, " AND ")+"))", append(e.args, l.args...)...)
	}
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
		return "tasks INDEXED BY tasks_tenant_end_status_id_cov"
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
	return "SELECT " + pageColumns(f, false) + " FROM " + pageFrom(f) + w.String() + " ORDER BY id DESC LIMIT ? OFFSET ?",
		append(w.args, f.Limit, max(f.Offset, 0))
}

func listTasks(ctx context.Context, tx *readTx, f *tc.TaskFilter, q string, args []any) ([]*tc.Task, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError("list tasks", err)
	}
	defer rows.Close()
	tasks := []*tc.Task{}
	tr := newTaskReader(!f.Summary, nil)
	for rows.Next() {
		t, err := tr.read(rows)
		if err != nil {
			return nil, dbError("list tasks", err)
		}
		tasks = append(tasks, t)
	}
	return tasks, dbError("list tasks", rows.Err())
}

// instanceNamesSQL returns those of the [tenant, id] pairs of a JSON array
// that are instances, with their names.
const instanceNamesSQL = `SELECT j.value->>0, j.value->>1, i.name FROM json_each(?) AS j
	CROSS JOIN instances AS i ON i.tenant = j.value->>0 AND i.id = j.value->>1`

// rowsQuerier is what a read transaction and the readers' statements have
// in common.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readInstanceNames sets the InstanceNames of the listed tasks, when f asks
// for them, from one read of their instances through q.
func readInstanceNames(ctx context.Context, q rowsQuerier, f *tc.TaskFilter, tasks []*tc.Task) error {
	if !f.InstanceNames || len(tasks) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, instanceNamesSQL, keysJSON(queueKeys(tasks)))
	if err != nil {
		return dbError("read instance names", err)
	}
	defer rows.Close()
	names := map[queueKey]string{}
	for rows.Next() {
		var k queueKey
		var name string
		if err := rows.Scan(&k.tenant, &k.instance, &name); err != nil {
			return dbError("read instance names", err)
		}
		names[k] = name
	}
	if err := rows.Err(); err != nil {
		return dbError("read instance names", err)
	}
	for _, t := range tasks {
		t.InstanceNames = make([]string, len(t.InstanceIDs))
		for i, id := range t.InstanceIDs {
			t.InstanceNames[i] = names[queueKey{t.Tenant, id}]
		}
	}
	return nil
}
