package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// countable reports whether the total of f can come from task_counts: f names
// one tenant and filters on nothing but statuses, types and creation time.
func countable(f *taskcenter.TaskFilter) bool {
	return f.Tenant != taskcenter.AllTenants && f.ID == 0 && f.InstanceID == "" && f.AsyncRequestID == ""
}

// totalQuery is one statement whose one row and column is the exact number
// of tasks that match f, cursor aside: for an instance and nothing else, its
// links less its removed links (instanceTotal); a count of the few rows of
// an instance, a request id or an id; else the counters' sums and the edges'
// counts, added and subtracted in one expression. A window without types
// sums task_status_counts by day and, for its partial edge days, by hour;
// a window of some types sums task_counts by day and counts its partial
// edge days row by row. Both add the deltas of task_counts not folded yet
// in the whole hours those counters cover.
func totalQuery(f *taskcenter.TaskFilter) (string, []any) {
	if q, args, ok := instanceTotal(f); ok {
		return q, args
	}
	if !countable(f) {
		conds, args := taskConds(nil, f)
		return `SELECT count(*) FROM tasks t` + where(conds), args
	}
	if f.CreatedAfter.IsZero() && f.CreatedBefore.IsZero() {
		return totalsQuery(f)
	}
	var terms []string
	var args []any
	term := func(sign int, q string) {
		op := " + "
		if sign < 0 {
			op, sign = " - ", -sign
		}
		if sign != 1 {
			op += strconv.Itoa(sign) + " * "
		}
		terms = append(terms, op+"("+q+")")
	}
	typed := len(f.Types) > 0
	parts := window.Parts(msOf(f.CreatedAfter), msOf(f.CreatedBefore), !typed)
	for _, p := range parts {
		var q string
		switch {
		case p.Rows:
			q, args = rangeQuery(args, f, p.From, p.To)
		case typed:
			q, args = daysQuery(args, f, p.From, p.To)
		default:
			q, args = periodsQuery(args, f, p.Hourly, p.From, p.To)
		}
		term(p.Sign, q)
	}
	for _, h := range window.CounterHours(parts) {
		var q string
		q, args = deltasQuery(args, f, h.From, h.To)
		term(h.Sign, q)
	}
	return `SELECT 0::bigint` + strings.Join(terms, ""), args // 0 for an empty window
}

// instanceOnly reports whether f is an instance of a tenant and nothing
// else but a cursor and paging.
func instanceOnly(f *taskcenter.TaskFilter) bool {
	return f.InstanceID != "" && f.Tenant != taskcenter.AllTenants && f.ID == 0 && f.AsyncRequestID == "" &&
		len(f.Types) == 0 && len(f.Statuses) == 0 && f.CreatedAfter.IsZero() && f.CreatedBefore.IsZero()
}

// instanceTotal is the query of the count of f, with its arguments, when f
// is an instance of a tenant and nothing else but a cursor: the instance's
// folded count and its deltas not folded yet (migration 016), where a count
// of its links less its removed links walked its whole range of both.
func instanceTotal(f *taskcenter.TaskFilter) (string, []any, bool) {
	if !instanceOnly(f) {
		return "", nil, false
	}
	return `SELECT coalesce((SELECT n FROM instance_task_counts
				WHERE tenant = $1 AND instance_id = $2 AND NOT delta), 0) +
			coalesce((SELECT sum(n) FROM instance_task_counts
				WHERE tenant = $1 AND instance_id = $2 AND delta), 0)::bigint`,
		[]any{f.Tenant, f.InstanceID}, true
}

// The statements of the terms of a window's total take args, the arguments
// of the terms before them, and return them with their own: their
// parameters are numbered after those.

// periodsQuery sums the folded counts of the tasks of f, which names no
// type, created in the days, or hours when hourly, [from, to).
func periodsQuery(args []any, f *taskcenter.TaskFilter, hourly bool, from, to int64) (string, []any) {
	conds, args := kindConds(args, f)
	args = append(args, hourly, from, to)
	conds = append(conds, fmt.Sprintf("hourly = $%d AND period >= $%d AND period < $%d", len(args)-2, len(args)-1, len(args)))
	return `SELECT coalesce(sum(n), 0)::bigint FROM task_status_counts` + where(conds), args
}

// totalsQuery sums the tasks of f over every day: the folded totals and
// the deltas not folded yet.
func totalsQuery(f *taskcenter.TaskFilter) (string, []any) {
	conds, args := kindConds(nil, f)
	return `SELECT (SELECT coalesce(sum(n), 0) FROM task_totals` + where(conds) +
		`)::bigint + (SELECT coalesce(sum(n), 0) FROM task_counts` + where(append(conds, "delta")) + `)::bigint`, args
}

// daysQuery sums the folded counts of the tasks of f created on the days
// [from, to).
func daysQuery(args []any, f *taskcenter.TaskFilter, from, to int64) (string, []any) {
	conds, args := kindConds(args, f)
	args = append(args, from, to)
	conds = append(conds, fmt.Sprintf("day >= $%d AND day < $%d", len(args)-1, len(args)), "NOT delta")
	return `SELECT coalesce(sum(n), 0)::bigint FROM task_counts` + where(conds), args
}

// deltasQuery sums the deltas not folded yet of the tasks of f created in
// the hours [from, to).
func deltasQuery(args []any, f *taskcenter.TaskFilter, from, to int64) (string, []any) {
	conds, args := kindConds(args, f)
	args = append(args, from, to)
	conds = append(conds, "delta", fmt.Sprintf("hour >= $%d AND hour < $%d", len(args)-1, len(args)))
	return `SELECT coalesce(sum(n), 0)::bigint FROM task_counts` + where(conds), args
}

// rangeQuery counts the tasks of f created in [from, to) milliseconds,
// within the index of (tenant, created_at) that includes status and type.
func rangeQuery(args []any, f *taskcenter.TaskFilter, from, to int64) (string, []any) {
	conds, args := kindConds(args, f)
	args = append(args, time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC())
	conds = append(conds, fmt.Sprintf("created_at >= $%d AND created_at < $%d", len(args)-1, len(args)))
	return `SELECT count(*) FROM tasks` + where(conds), args
}

// kindConds is the tenant, statuses and types of f as conditions, which
// tasks and the counters share, with their arguments appended to args.
func kindConds(args []any, f *taskcenter.TaskFilter) ([]string, []any) {
	conds, args := tenantScope(nil, args, "tenant", f.Tenant)
	if len(f.Types) > 0 {
		conds, args = anyOf(conds, args, "type", f.Types)
	}
	if len(f.Statuses) > 0 {
		conds, args = anyOf(conds, args, "status", statusStrings(f.Statuses))
	} else {
		args = append(args, string(taskcenter.StatusRemoved))
		conds = append(conds, fmt.Sprintf("status <> $%d", len(args)))
	}
	return conds, args
}

// anyOf appends the condition that col is one of values. One value is an
// equality, which an index on (..., col, id) can walk in id order.
func anyOf(conds []string, args []any, col string, values []string) ([]string, []any) {
	if len(values) == 1 {
		args = append(args, values[0])
		return append(conds, fmt.Sprintf("%s = $%d", col, len(args))), args
	}
	args = append(args, values)
	return append(conds, fmt.Sprintf("%s = ANY($%d)", col, len(args))), args
}

// msOf is the unix millisecond of t, nil for the zero time: an open side.
func msOf(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// TaskCounts returns the number of tasks of the tenant per status; statuses
// without tasks are absent.
func (s *Store) TaskCounts(ctx context.Context, tenant string) (map[taskcenter.Status]int, error) {
	conds, args := tenantScope(nil, nil, "tenant", tenant)
	rows, err := s.pool.Query(ctx, `SELECT status, sum(n)::bigint FROM (SELECT status, n FROM task_totals`+
		where(conds)+` UNION ALL SELECT status, n FROM task_counts`+where(append(conds, "delta"))+
		`) AS c GROUP BY status HAVING sum(n) <> 0`, args...)
	if err != nil {
		return nil, storeErr("count tasks", err)
	}
	counts := map[taskcenter.Status]int{}
	var status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		counts[taskcenter.Status(status)] = n
		return nil
	})
	if err != nil {
		return nil, storeErr("count tasks", err)
	}
	return counts, nil
}

// TaskCountsCompact folds the deltas that the triggers appended to
// task_counts, one per (tenant, hour, type, status), in one statement: into
// one row per (tenant, day, type, status), into task_totals, and into
// task_status_counts by day and by hour; and those of instance_task_counts
// into one row per instance. Deltas that writers commit
// meanwhile are not in its snapshot and stay for the next fold; two folds
// at once each take a delta at most once, since its deletion locks it.
func (s *Store) TaskCountsCompact(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `WITH d AS (DELETE FROM task_counts WHERE delta
			RETURNING tenant, day, hour, type, status, n),
		days AS (INSERT INTO task_counts (tenant, day, type, status, n, delta)
			SELECT tenant, day, type, status, sum(n), false FROM d GROUP BY tenant, day, type, status
			HAVING sum(n) <> 0
			ON CONFLICT (tenant, day, type, status) WHERE NOT delta DO UPDATE SET n = task_counts.n + excluded.n),
		periods AS (INSERT INTO task_status_counts (tenant, hourly, period, status, n)
			SELECT d.tenant, p.hourly, p.period, d.status, sum(d.n)
			FROM d CROSS JOIN LATERAL (VALUES (false, d.day), (true, d.hour)) AS p(hourly, period)
			GROUP BY 1, 2, 3, 4
			HAVING sum(d.n) <> 0
			ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = task_status_counts.n + excluded.n),
		i AS (DELETE FROM instance_task_counts WHERE delta RETURNING tenant, instance_id, n),
		instances AS (INSERT INTO instance_task_counts (tenant, instance_id, n, delta)
			SELECT tenant, instance_id, sum(n), false FROM i GROUP BY tenant, instance_id
			HAVING sum(n) <> 0
			ON CONFLICT (tenant, instance_id) WHERE NOT delta DO UPDATE SET n = instance_task_counts.n + excluded.n)
		INSERT INTO task_totals (tenant, type, status, n)
		SELECT tenant, type, status, sum(n) FROM d GROUP BY tenant, type, status
		HAVING sum(n) <> 0
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = task_totals.n + excluded.n`)
	return storeErr("compact task counts", err)
}
