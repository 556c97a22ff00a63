package sqlite

import (
	"cmp"
	"context"
	"maps"
	"slices"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// Every insert of a task and every change of its status adds to the counts
// behind exact totals (task_counts per UTC day, task_totals,
// task_status_counts per UTC day and hour) in the writer's transaction. The
// writes gather their changes in the transaction and add them once per
// group before it commits: a batch is mostly one tenant, hour and type, so a
// batch of a hundred changes costs a few statements, where a trigger ran two
// per row. Deletions are still counted by a trigger (004, 006), and a bulk
// load counts what it loaded in one statement per table.
const (
	addCountSQL = `INSERT INTO task_counts (tenant, day, type, status, n, delta) VALUES (?, ?, ?, ?, ?, 0)
		ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n`
	addTotalSQL = `INSERT INTO task_totals (tenant, type, status, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n`
	addStatusCountSQL = `INSERT INTO task_status_counts (tenant, hourly, period, status, n) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = n + excluded.n`
)

// countKey is a group of changes: the tenant, type, UTC hour of creation and
// status of tasks. The groups of each table are coarser.
type countKey struct {
	tenant, typ string
	hour        int64
	status      tc.Status
}

// day is the UTC day of the key's hour.
func (k countKey) day() int64 { return window.DayOf(k.hour * window.Hour) }

// count records n more (or fewer) tasks of t's tenant, type and creation
// hour in status.
func (tx *writeTx) count(t *tc.Task, status tc.Status, n int) {
	if tx.counts == nil {
		tx.counts = map[countKey]int{}
	}
	tx.counts[countKey{t.Tenant, t.Type, window.HourOf(millis(t.CreatedAt)), status}] += n
}

// moved records a task's change of status.
func (tx *writeTx) moved(t *tc.Task, from, to tc.Status) {
	if from != to {
		tx.count(t, from, -1)
		tx.count(t, to, 1)
	}
}

// flushCounts adds the gathered changes to task_counts, task_totals and
// task_status_counts, each group of each table once, in key order.
func (tx *writeTx) flushCounts(ctx context.Context) error {
	if len(tx.counts) == 0 {
		return nil
	}
	// The groups of each table, keyed by countKey with the fields that the
	// table does not have zeroed, hour holding the day where a table has days.
	days, totals, statusDays, statusHours := map[countKey]int{}, map[countKey]int{}, map[countKey]int{}, map[countKey]int{}
	for k, n := range tx.counts {
		if n != 0 {
			days[countKey{k.tenant, k.typ, k.day(), k.status}] += n
			totals[countKey{k.tenant, k.typ, 0, k.status}] += n
			statusDays[countKey{k.tenant, "", k.day(), k.status}] += n
			statusHours[countKey{k.tenant, "", k.hour, k.status}] += n
		}
	}
	for _, table := range []struct {
		query  string
		groups map[countKey]int
		args   func(k countKey, n int) []any
	}{
		{addCountSQL, days, func(k countKey, n int) []any { return []any{k.tenant, k.hour, k.typ, k.status, n} }},
		{addTotalSQL, totals, func(k countKey, n int) []any { return []any{k.tenant, k.typ, k.status, n} }},
		{addStatusCountSQL, statusDays, func(k countKey, n int) []any { return []any{k.tenant, 0, k.hour, k.status, n} }},
		{addStatusCountSQL, statusHours, func(k countKey, n int) []any { return []any{k.tenant, 1, k.hour, k.status, n} }},
	} {
		for _, k := range slices.SortedFunc(maps.Keys(table.groups), compareKeys) {
			if n := table.groups[k]; n != 0 {
				if _, err := tx.ExecContext(ctx, table.query, table.args(k, n)...); err != nil {
					return dbError("count tasks", err)
				}
			}
		}
	}
	clear(tx.counts)
	return nil
}

func compareKeys(a, b countKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.hour, b.hour), cmp.Compare(a.typ, b.typ),
		cmp.Compare(a.status, b.status))
}
