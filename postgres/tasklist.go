package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskList returns one page of the tasks that match f, newest first, and the
// exact number of matching tasks regardless of BeforeID, Offset and Limit.
// Both come from one snapshot.
func (s *Store) TaskList(ctx context.Context, f *taskcenter.TaskFilter) (*taskcenter.TaskPage, error) {
	page := &taskcenter.TaskPage{Tasks: []*taskcenter.Task{}}
	conds, args := taskConds(f)
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		page.Total, err = taskTotal(ctx, tx, f)
		if err != nil || f.Limit <= 0 || page.Total == 0 {
			return err
		}
		q, pageArgs := pageQuery(f, conds, args)
		if countable(f) {
			// A generic plan, which a prepared statement gets after a few
			// runs, cannot tell a big tenant from a small one or a day from
			// a year, and sorts a whole window where a walk by id reads
			// twenty rows: an unnamed statement is planned for its
			// arguments. The few rows of an instance or a request id need
			// no such care, nor the counts, whose plans do not vary.
			pageArgs = append([]any{pgx.QueryExecModeExec}, pageArgs...)
		}
		rows, _ := tx.Query(ctx, q, pageArgs...)
		page.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) {
			return scanTask(row)
		})
		return err
	})
	if err != nil {
		return nil, storeErr("list tasks", err)
	}
	return page, nil
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
