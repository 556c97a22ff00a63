package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskList returns one page of the tasks that match f, newest first, and the
// exact number of matching tasks regardless of BeforeID, Offset and Limit.
// Both come from one statement (a filter of a tenant on statuses, types and
// time runs on the lists pool, see Store), so from one snapshot, in one
// round trip: the total is computed once, and the page is read only when it
// is not 0 (a filter that matches nothing would otherwise walk its whole
// index). An empty page leaves the total unknown, so it is then counted
// alone.
func (s *Store) TaskList(ctx context.Context, f *taskcenter.TaskFilter) (*taskcenter.TaskPage, error) {
	page := &taskcenter.TaskPage{Tasks: []*taskcenter.Task{}}
	totalSQL, totalArgs := totalQuery(f)
	// The few rows of an instance, a request id or an id need no plan of
	// their own.
	pool := s.pool
	if countable(f) {
		pool = s.lists
	}
	if f.Limit > 0 {
		q, args := listQuery(f, totalSQL, totalArgs)
		rows, _ := pool.Query(ctx, q, args...)
		var err error
		page.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) {
			var r taskRow
			return r.scan(row, &page.Total)
		})
		if err != nil {
			return nil, storeErr("list tasks", err)
		}
		if len(page.Tasks) > 0 {
			// The statement's order is its subquery's only in practice.
			slices.SortFunc(page.Tasks, func(a, b *taskcenter.Task) int { return cmp.Compare(b.ID, a.ID) })
			return page, nil
		}
	}
	err := pool.QueryRow(ctx, totalSQL, totalArgs...).Scan(&page.Total)
	if err != nil {
		return nil, storeErr("list tasks", err)
	}
	return page, nil
}

// listQuery is the statement of a page of f with the total of totalQuery
// (totalSQL, totalArgs) in a last column of each row.
func listQuery(f *taskcenter.TaskFilter, totalSQL string, totalArgs []any) (string, []any) {
	conds, args := taskConds(f)
	pageSQL, pageArgs := pageQuery(f, append(conds, "(SELECT n FROM total) > 0"), args)
	q := `WITH total(n) AS (` + totalSQL + `) SELECT ` + qualified("p", taskColumns) + `, (SELECT n FROM total)
		FROM (` + shiftParams(pageSQL, len(totalArgs)) + `) AS p`
	return q, slices.Concat(totalArgs, pageArgs)
}

// taskConds turns the filter, but for its paging fields, into conditions on
// tasks t with positional arguments.
func taskConds(f *taskcenter.TaskFilter) ([]string, []any) {
	conds, args := tenantScope(nil, nil, "t.tenant", f.Tenant)
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.ID != 0 {
		add("t.id = $%d", f.ID)
	}
	if f.InstanceID != "" {
		add(`EXISTS (SELECT 1 FROM task_instances ti
			WHERE ti.tenant = t.tenant AND ti.instance_id = $%d AND ti.task_id = t.id)`, f.InstanceID)
	}
	if len(f.Types) > 0 {
		conds, args = anyOf(conds, args, "t.type", f.Types)
	}
	if len(f.Statuses) > 0 {
		conds, args = anyOf(conds, args, "t.status", statusStrings(f.Statuses))
	} else {
		add("t.status <> $%d", string(taskcenter.StatusRemoved))
	}
	if f.AsyncRequestID != "" {
		add("t.async_request_id = $%d", f.AsyncRequestID)
	}
	if !f.CreatedAfter.IsZero() {
		add("t.created_at >= $%d", timeArg(f.CreatedAfter))
	}
	if !f.CreatedBefore.IsZero() {
		add("t.created_at < $%d", timeArg(f.CreatedBefore))
	}
	return conds, args
}

// pageQuery selects the page of f among the tasks matching conds.
func pageQuery(f *taskcenter.TaskFilter, conds []string, args []any) (string, []any) {
	conds = append([]string(nil), conds...)
	args = append([]any(nil), args...)
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		conds = append(conds, fmt.Sprintf("t.id < $%d", len(args)))
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	q := fmt.Sprintf(`SELECT %s FROM tasks t%s ORDER BY t.id DESC LIMIT $%d OFFSET $%d`,
		taskColumns, where(conds), len(args)-1, len(args))
	return q, args
}

// statusStrings converts statuses for a text[] argument.
func statusStrings(statuses []taskcenter.Status) []string {
	out := make([]string, len(statuses))
	for i, s := range statuses {
		out[i] = string(s)
	}
	return out
}
