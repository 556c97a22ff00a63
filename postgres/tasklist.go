package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskList returns one page of the tasks that match f, newest first, and the
// exact number of matching tasks regardless of BeforeID, Offset and Limit,
// both from one snapshot and in one round trip (but for the empty page of a
// scanned list, see scannedList).
func (s *Store) TaskList(ctx context.Context, f *taskcenter.TaskFilter) (*taskcenter.TaskPage, error) {
	var page *taskcenter.TaskPage
	var err error
	if countable(f) {
		page, err = s.countedList(ctx, f)
	} else {
		page, err = s.scannedList(ctx, f)
	}
	if err != nil {
		return nil, storeErr("list tasks", err)
	}
	return page, nil
}

// The statements around a counted list (see countedList).
const (
	beginListSQL   = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	genericPlanSQL = `SET LOCAL plan_cache_mode = force_generic_plan`
	customPlanSQL  = `SET LOCAL plan_cache_mode = force_custom_plan`
	// listTotalSetting holds the total for the page's statement to read,
	// until the end of the transaction.
	listTotalSetting = `taskcenter.list_total`
)

// countedList lists a tenant's tasks by status, type and time (countable):
// one pipeline of a read-only repeatable-read transaction that counts f from
// the counters, then reads the page. The total's statements (sums of
// counters, counts within an index) have one good plan whatever their
// arguments, so the total runs on its plan prepared once; the page is
// planned for its arguments (see Store.lists), and reads nothing when the
// total, which it finds in a setting of the transaction, is 0: a filter that
// matches nothing would otherwise walk its whole index.
func (s *Store) countedList(ctx context.Context, f *taskcenter.TaskFilter) (*taskcenter.TaskPage, error) {
	page := &taskcenter.TaskPage{Tasks: []*taskcenter.Task{}}
	totalSQL, totalArgs := totalQuery(f)
	b := &pgx.Batch{}
	b.Queue(beginListSQL)
	b.Queue(genericPlanSQL)
	version := int64(-1)
	if f.InstanceNames && f.Limit > 0 {
		b.Queue(instanceVersionSQL, f.Tenant).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	}
	b.Queue(`SELECT set_config('`+listTotalSetting+`', (`+totalSQL+`)::text, true)::bigint`, totalArgs...).
		QueryRow(func(row pgx.Row) error { return row.Scan(&page.Total) })
	if f.Limit > 0 {
		q, args := countedPageQuery(f)
		b.Queue(customPlanSQL)
		b.Queue(q, args...).Query(func(rows pgx.Rows) (err error) {
			page.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) {
				var r taskRow
				return r.scanList(row, f.Summary)
			})
			return err
		})
	}
	b.Queue(`COMMIT`)
	if err := s.lists.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if f.InstanceNames && len(page.Tasks) > 0 {
		return page, s.setInstanceNames(ctx, version, page.Tasks)
	}
	return page, nil
}

// countedPageQuery is the statement of the page of a counted list: nothing
// when the total in listTotalSetting is 0. The index of (tenant, status,
// id) gives one status in id order, not several: a page of several statuses
// merges one walk of that index per status, where a single walk in id order
// would skip the other statuses' tasks row by row.
func countedPageQuery(f *taskcenter.TaskFilter) (string, []any) {
	guard := `current_setting('` + listTotalSetting + `')::bigint > 0`
	statuses := slices.Compact(slices.Sorted(slices.Values(f.Statuses)))
	if len(statuses) < 2 {
		conds, args := taskConds(nil, f)
		return pageQuery(f, append(conds, guard), args)
	}
	var branches []string
	var args []any
	for _, status := range statuses {
		one := *f
		one.Statuses, one.Limit, one.Offset = []taskcenter.Status{status}, f.Limit+max(f.Offset, 0), 0
		var conds []string
		var q string
		conds, args = taskConds(args, &one)
		q, args = pageQuery(&one, append(conds, guard), args)
		branches = append(branches, "("+q+")")
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	q := fmt.Sprintf(`SELECT %s FROM (%s) AS p ORDER BY p.id DESC LIMIT $%d OFFSET $%d`,
		listColumns(f, true), strings.Join(branches, " UNION ALL "), len(args)-1, len(args))
	return q, args
}

// scannedList lists the few tasks of an instance, a request id or an id,
// and counts them, in one statement: the total is computed once, in a CTE,
// and the page is read only when it is not 0. An empty page leaves the
// total unknown, so it is then counted alone.
func (s *Store) scannedList(ctx context.Context, f *taskcenter.TaskFilter) (*taskcenter.TaskPage, error) {
	page := &taskcenter.TaskPage{Tasks: []*taskcenter.Task{}}
	totalSQL, totalArgs := totalQuery(f)
	if f.Limit > 0 {
		q, args := listQuery(f, totalSQL, totalArgs)
		rows, _ := s.pool.Query(ctx, q, args...)
		var err error
		page.Tasks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*taskcenter.Task, error) {
			var r taskRow
			return r.scanList(row, f.Summary, &page.Total)
		})
		if err != nil {
			return nil, err
		}
		if len(page.Tasks) > 0 {
			// The statement's order is its subquery's only in practice.
			slices.SortFunc(page.Tasks, func(a, b *taskcenter.Task) int { return cmp.Compare(b.ID, a.ID) })
			if f.InstanceNames {
				return page, s.setInstanceNames(ctx, -1, page.Tasks)
			}
			return page, nil
		}
	}
	return page, s.pool.QueryRow(ctx, totalSQL, totalArgs...).Scan(&page.Total)
}

// listQuery is the statement of a page of f with the total of totalQuery
// (totalSQL, totalArgs) in a last column of each row.
func listQuery(f *taskcenter.TaskFilter, totalSQL string, totalArgs []any) (string, []any) {
	const guard = "(SELECT n FROM total) > 0"
	var pageSQL string
	var args []any
	if instanceOnly(f) {
		pageSQL, args = instancePageQuery(f, guard, totalArgs)
	} else {
		var conds []string
		conds, args = taskConds(totalArgs, f)
		pageSQL, args = pageQuery(f, append(conds, guard), args)
	}
	q := `WITH total(n) AS (` + totalSQL + `) SELECT ` + listColumns(f, true) + `, (SELECT n FROM total)
		FROM (` + pageSQL + `) AS p`
	return q, args
}

// instancePageQuery selects the page of f, an instance alone (instanceOnly),
// among its tasks when guard holds: the instance's links walked in id order,
// each link's task read by its primary key. The OFFSET 0 keeps the task's
// conditions out of its probe: with the tenant among them PostgreSQL probes
// the index of (tenant, id) for the same row, whose keys cost more to
// compare (74 µs a page of 20 at 10M, against 52).
func instancePageQuery(f *taskcenter.TaskFilter, guard string, args []any) (string, []any) {
	args = append(args, f.Tenant, f.InstanceID, string(taskcenter.StatusRemoved))
	tenant, instance, removed := len(args)-2, len(args)-1, len(args)
	conds := []string{fmt.Sprintf("ti.tenant = $%d", tenant), fmt.Sprintf("ti.instance_id = $%d", instance),
		fmt.Sprintf("t.tenant = $%d", tenant), fmt.Sprintf("t.status <> $%d", removed), guard}
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		conds = append(conds, fmt.Sprintf("ti.task_id < $%d", len(args)))
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	q := fmt.Sprintf(`SELECT t.* FROM task_instances ti
		CROSS JOIN LATERAL (SELECT %s FROM tasks WHERE tasks.id = ti.task_id OFFSET 0) AS t%s
		ORDER BY ti.task_id DESC LIMIT $%d OFFSET $%d`,
		listColumns(f, false), where(conds), len(args)-1, len(args))
	return q, args
}

// taskConds turns the filter, but for its paging fields, into conditions on
// tasks t, their arguments appended to args and numbered after them.
func taskConds(args []any, f *taskcenter.TaskFilter) ([]string, []any) {
	conds, args := tenantScope(nil, args, "t.tenant", f.Tenant)
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
		listColumns(f, false), where(conds), len(args)-1, len(args))
	return q, args
}

// listColumns are the columns of a page of f, of the page p when ofPage: a
// summary's when f asks for one.
func listColumns(f *taskcenter.TaskFilter, ofPage bool) string {
	switch {
	case f.Summary && ofPage:
		return pageSummaryColumns
	case f.Summary:
		return summaryColumns
	case ofPage:
		return pageColumns
	}
	return taskColumns
}

// statusStrings converts statuses for a text[] argument.
func statusStrings(statuses []taskcenter.Status) []string {
	out := make([]string, len(statuses))
	for i, s := range statuses {
		out[i] = string(s)
	}
	return out
}
