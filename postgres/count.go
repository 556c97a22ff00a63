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
	split := window.Split{FromDay: window.MinDay, ToDay: window.MaxDay}
	conds, args := kindConds(f)
	if !f.CreatedAfter.IsZero() || !f.CreatedBefore.IsZero() {
		split = window.SplitWindow(msOf(f.CreatedAfter), msOf(f.CreatedBefore))
		args = append(args, split.FromDay, split.ToDay)
		conds = append(conds, fmt.Sprintf("day >= $%d AND day < $%d", len(args)-1, len(args)))
	}
	if split.FromDay < split.ToDay {
		err := tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::bigint FROM task_counts`+where(conds), args...).Scan(&total)
		if err != nil {
			return 0, err
		}
	}
	for _, r := range split.Exact {
		conds, args := kindConds(f)
		args = append(args, time.UnixMilli(r.From).UTC(), time.UnixMilli(r.To).UTC())
		conds = append(conds, fmt.Sprintf("created_at >= $%d AND created_at < $%d", len(args)-1, len(args)))
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks`+where(conds), args...).Scan(&n); err != nil {
			return 0, err
		}
		total += r.Sign * n
	}
	return total, nil
}

// kindConds is the tenant, statuses and types of f as conditions, which
// tasks and task_counts share.
func kindConds(f *taskcenter.TaskFilter) ([]string, []any) {
	conds, args := tenantScope(nil, nil, "tenant", f.Tenant)
	if len(f.Types) > 0 {
		args = append(args, f.Types)
		conds = append(conds, fmt.Sprintf("type = ANY($%d)", len(args)))
	}
	if len(f.Statuses) > 0 {
		args = append(args, statusStrings(f.Statuses))
		conds = append(conds, fmt.Sprintf("status = ANY($%d)", len(args)))
	} else {
		args = append(args, string(taskcenter.StatusRemoved))
		conds = append(conds, fmt.Sprintf("status <> $%d", len(args)))
	}
	return conds, args
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
	rows, err := s.pool.Query(ctx, `SELECT status, sum(n)::bigint FROM task_counts`+where(conds)+
		` GROUP BY status HAVING sum(n) <> 0`, args...)
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
// task_counts into one row per (tenant, day, type, status), in one
// statement. Deltas that writers commit meanwhile are not in its snapshot
// and stay for the next fold; two folds at once each take a delta at most
// once, since its deletion locks it.
func (s *Store) TaskCountsCompact(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `WITH d AS (DELETE FROM task_counts WHERE delta RETURNING tenant, day, type, status, n)
		INSERT INTO task_counts (tenant, day, type, status, n, delta)
		SELECT tenant, day, type, status, sum(n), false FROM d GROUP BY tenant, day, type, status
		ON CONFLICT (tenant, day, type, status) WHERE NOT delta DO UPDATE SET n = task_counts.n + excluded.n`)
	return storeErr("compact task counts", err)
}
