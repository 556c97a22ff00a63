package postgres

import (
	"context"
	"fmt"
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

// taskTotal returns the exact number of tasks that match f, cursor aside.
func taskTotal(ctx context.Context, tx pgx.Tx, f *taskcenter.TaskFilter) (int, error) {
	var total int
	if !countable(f) {
		conds, args := taskConds(f)
		err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks t`+where(conds), args...).Scan(&total)
		return total, err
	}
	var parts []countPart
	if f.CreatedAfter.IsZero() && f.CreatedBefore.IsZero() {
		q, args := totalsQuery(f)
		parts = append(parts, countPart{q, args, 1})
	} else {
		split := window.SplitWindow(msOf(f.CreatedAfter), msOf(f.CreatedBefore))
		if split.FromDay < split.ToDay {
			q, args := daysQuery(f, split)
			parts = append(parts, countPart{q, args, 1})
		}
		for _, r := range split.Exact {
			q, args := rangeQuery(f, r)
			parts = append(parts, countPart{q, args, r.Sign})
		}
	}
	if len(parts) == 0 {
		return 0, nil // an empty window
	}
	// One round trip for the day sums and the edge counts.
	batch := &pgx.Batch{}
	for _, p := range parts {
		batch.Queue(p.sql, p.args...)
	}
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	for _, p := range parts {
		var n int
		if err := results.QueryRow().Scan(&n); err != nil {
			return 0, err
		}
		total += p.sign * n
	}
	return total, results.Close()
}

// countPart is one statement of a total, added or (sign -1) subtracted.
type countPart struct {
	sql  string
	args []any
	sign int
}

// totalsQuery sums the tasks of f over every day: the folded totals and
// the deltas not folded yet.
func totalsQuery(f *taskcenter.TaskFilter) (string, []any) {
	conds, args := kindConds(f)
	return `SELECT (SELECT coalesce(sum(n), 0) FROM task_totals` + where(conds) +
		`)::bigint + (SELECT coalesce(sum(n), 0) FROM task_counts` + where(append(conds, "delta")) + `)::bigint`, args
}

// daysQuery sums the tasks of f created on the whole days of split.
func daysQuery(f *taskcenter.TaskFilter, split window.Split) (string, []any) {
	conds, args := kindConds(f)
	args = append(args, split.FromDay, split.ToDay)
	conds = append(conds, fmt.Sprintf("day >= $%d AND day < $%d", len(args)-1, len(args)))
	return `SELECT coalesce(sum(n), 0)::bigint FROM task_counts` + where(conds), args
}

// rangeQuery counts the tasks of f created in r, within the index of
// (tenant, created_at) that includes status and type.
func rangeQuery(f *taskcenter.TaskFilter, r window.Range) (string, []any) {
	conds, args := kindConds(f)
	args = append(args, time.UnixMilli(r.From).UTC(), time.UnixMilli(r.To).UTC())
	conds = append(conds, fmt.Sprintf("created_at >= $%d AND created_at < $%d", len(args)-1, len(args)))
	return `SELECT count(*) FROM tasks` + where(conds), args
}

// kindConds is the tenant, statuses and types of f as conditions, which
// tasks and task_counts share.
func kindConds(f *taskcenter.TaskFilter) ([]string, []any) {
	conds, args := tenantScope(nil, nil, "tenant", f.Tenant)
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
// task_counts into one row per (tenant, day, type, status) and into
// task_totals, in one statement. Deltas that writers commit meanwhile are not in its snapshot
// and stay for the next fold; two folds at once each take a delta at most
// once, since its deletion locks it.
func (s *Store) TaskCountsCompact(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `WITH d AS (DELETE FROM task_counts WHERE delta RETURNING tenant, day, type, status, n),
		days AS (INSERT INTO task_counts (tenant, day, type, status, n, delta)
			SELECT tenant, day, type, status, sum(n), false FROM d GROUP BY tenant, day, type, status
			ON CONFLICT (tenant, day, type, status) WHERE NOT delta DO UPDATE SET n = task_counts.n + excluded.n)
		INSERT INTO task_totals (tenant, type, status, n)
		SELECT tenant, type, status, sum(n) FROM d GROUP BY tenant, type, status
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = task_totals.n + excluded.n`)
	return storeErr("compact task counts", err)
}
