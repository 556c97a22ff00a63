package sqlite

import (
	"context"
	"time"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// countable reports whether the total of f can come from task_counts: f names
// one tenant and filters on nothing but statuses, types and creation time.
func countable(f *tc.TaskFilter) bool {
	return f.Tenant != tc.AllTenants && f.ID == 0 && f.InstanceID == "" && f.AsyncRequestID == ""
}

// taskTotal returns the exact number of tasks that match f, cursor aside.
func taskTotal(ctx context.Context, tx *readTx, f *tc.TaskFilter) (int, error) {
	var total int
	if q, args, ok := instanceTotal(f); ok {
		err := tx.QueryRowContext(ctx, q, args...).Scan(&total)
		return total, dbError("count tasks", err)
	}
	if !countable(f) {
		w := taskWhere(f)
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM tasks"+w.String(), w.args...).Scan(&total)
		return total, dbError("count tasks", err)
	}
	if f.CreatedAfter.IsZero() && f.CreatedBefore.IsZero() {
		q, args := totalsQuery(f)
		err := tx.QueryRowContext(ctx, q, args...).Scan(&total)
		return total, dbError("count tasks", err)
	}
	// A window without types sums task_status_counts by day and, for its
	// partial edge days, by hour; a window of some types sums task_counts
	// by day and counts its partial edge days row by row. Both add the
	// deltas not folded yet in the whole hours those counters cover.
	typed := len(f.Types) > 0
	parts := window.Parts(msOf(f.CreatedAfter), msOf(f.CreatedBefore), !typed)
	add := func(sign int, q string, args []any) error {
		var n int
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return dbError("count tasks", err)
		}
		total += sign * n
		return nil
	}
	for _, p := range parts {
		var q string
		var args []any
		switch {
		case p.Rows:
			q, args = rangeQuery(f, p.From, p.To)
		case typed:
			q, args = daysQuery(f, p.From, p.To)
		default:
			q, args = periodsQuery(f, p.Hourly, p.From, p.To)
		}
		if err := add(p.Sign, q, args); err != nil {
			return 0, err
		}
	}
	for _, h := range window.CounterHours(parts) {
		q, args := deltasQuery(f, h.From, h.To)
		if err := add(h.Sign, q, args); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// periodsQuery sums the folded counts of the tasks of f, which names no
// type, created in the days, or hours when hourly, [from, to).
func periodsQuery(f *tc.TaskFilter, hourly bool, from, to int64) (string, []any) {
	w := kindWhere(f)
	w.add("hourly = ? AND period >= ? AND period < ?", hourly, from, to)
	return "SELECT coalesce(sum(n), 0) FROM task_status_counts" + w.String(), w.args
}

// totalsQuery sums the tasks of f over every day: the folded totals and
// the deltas not folded yet.
func totalsQuery(f *tc.TaskFilter) (string, []any) {
	w := kindWhere(f)
	return "SELECT (SELECT coalesce(sum(n), 0) FROM task_totals" + w.String() +
			") + (SELECT coalesce(sum(n), 0) FROM task_count_deltas" + w.String() + ")",
		append(w.args, w.args...)
}

// daysQuery sums the folded counts of the tasks of f created on the days
// [from, to).
func daysQuery(f *tc.TaskFilter, from, to int64) (string, []any) {
	w := kindWhere(f)
	w.add("day >= ? AND day < ?", from, to)
	return "SELECT coalesce(sum(n), 0) FROM task_counts INDEXED BY task_counts_sum" + w.String(), w.args
}

// deltasQuery sums the deltas not folded yet of the tasks of f created in
// the hours [from, to).
func deltasQuery(f *tc.TaskFilter, from, to int64) (string, []any) {
	w := kindWhere(f)
	w.add("hour >= ? AND hour < ?", from, to)
	return "SELECT coalesce(sum(n), 0) FROM task_count_deltas" + w.String(), w.args
}

// rangeQuery counts the tasks of f created in [from, to) milliseconds,
// within the covering index of (tenant, created_at, end_status, type): a
// living task's status is read from its row (ofStatuses).
func rangeQuery(f *tc.TaskFilter, from, to int64) (string, []any) {
	w := &where{}
	w.tenant(f.Tenant)
	if len(f.Types) > 0 {
		in(w, "type", f.Types)
	}
	ofStatuses(w, f.Statuses)
	w.add("created_at >= ? AND created_at < ?", from, to)
	return "SELECT count(*) FROM tasks INDEXED BY tasks_tenant_created_at_end_status_type" + w.String(), w.args
}

// kindWhere is the tenant, statuses and types of f as conditions on the
// counters.
func kindWhere(f *tc.TaskFilter) *where {
	w := &where{}
	w.tenant(f.Tenant)
	if len(f.Types) > 0 {
		in(w, "type", f.Types)
	}
	if len(f.Statuses) > 0 {
		in(w, "status", f.Statuses)
	} else {
		w.add("status <> ?", tc.StatusRemoved)
	}
	return w
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
func (s *Store) TaskCounts(ctx context.Context, tenant string) (map[tc.Status]int, error) {
	var w where
	w.tenant(tenant)
	rows, err := s.reads.QueryContext(ctx, "SELECT status, sum(n) FROM (SELECT status, n FROM task_totals"+w.String()+
		" UNION ALL SELECT status, n FROM task_count_deltas"+w.String()+") GROUP BY status HAVING sum(n) <> 0",
		append(w.args, w.args...)...)
	if err != nil {
		return nil, dbError("count tasks", err)
	}
	defer rows.Close()
	counts := map[tc.Status]int{}
	for rows.Next() {
		var status tc.Status
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, dbError("count tasks", err)
		}
		counts[status] = n
	}
	return counts, dbError("count tasks", rows.Err())
}

// foldSQL adds task_count_deltas to the folded counts, each table's groups
// in one statement, before TaskCountsCompact empties it.
var foldSQL = []string{
	`INSERT INTO task_counts (tenant, day, type, status, n, delta)
		SELECT tenant, day, type, status, sum(n), 0 FROM task_count_deltas GROUP BY tenant, day, type, status
		HAVING sum(n) <> 0
		ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n`,
	`INSERT INTO task_totals (tenant, type, status, n)
		SELECT tenant, type, status, sum(n) FROM task_count_deltas GROUP BY tenant, type, status
		HAVING sum(n) <> 0
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n`,
	`INSERT INTO task_status_counts (tenant, hourly, period, status, n)
		SELECT tenant, 0, day, status, sum(n) FROM task_count_deltas GROUP BY tenant, day, status
		HAVING sum(n) <> 0
		ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = n + excluded.n`,
	`INSERT INTO task_status_counts (tenant, hourly, period, status, n)
		SELECT tenant, 1, hour, status, sum(n) FROM task_count_deltas GROUP BY tenant, hour, status
		HAVING sum(n) <> 0
		ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = n + excluded.n`,
	`DELETE FROM task_count_deltas`,
}

// TaskCountsCompact folds task_count_deltas into task_counts, task_totals
// and task_status_counts, in one transaction of the writer: totals read
// before and after agree.
func (s *Store) TaskCountsCompact(ctx context.Context) error {
	return s.write(ctx, func(tx *writeTx) error {
		for _, q := range foldSQL {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return dbError("compact task counts", err)
			}
		}
		return nil
	})
}
