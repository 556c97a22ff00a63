package sqlite

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// Every insert of a task and every change of its status adds to the counts
// behind exact totals (task_counts per UTC day, task_totals,
// task_status_counts per UTC day and hour) in the writer's transaction. The
// writes gather their changes in the transaction and add them once per
// group before it commits, sixteen groups to a statement: a batch of a
// hundred changes of one tenant costs a few statements, where a trigger ran
// two per row, and one spread over a hundred tenants a few dozen. Deletions are still counted by a trigger (004, 006), and a bulk
// load counts what it loaded in one statement per table.
// countTable is a table of counts and its statements that add groups of
// changes: rows of its columns, the last one n, inserted or added to the
// row of the same key. A statement adds one group (one), or countChunk at
// once (chunk): a statement per group was most of what counting cost with
// many tenants in a batch.
type countTable struct {
	one, chunk string
}

const countChunk = 16

func newCountTable(insert, conflict string, cols int) countTable {
	query := func(rows int) string {
		values := strings.Repeat("("+placeholders(cols)+"), ", rows)
		return "INSERT INTO " + insert + " VALUES " + strings.TrimSuffix(values, ", ") +
			" ON CONFLICT " + conflict + " DO UPDATE SET n = n + excluded.n"
	}
	return countTable{query(1), query(countChunk)}
}

var (
	countsByDay = newCountTable("task_counts (tenant, day, type, status, n, delta)",
		"(tenant, day, type, status) WHERE delta = 0", 6)
	countTotals    = newCountTable("task_totals (tenant, type, status, n)", "(tenant, type, status)", 4)
	countsByPeriod = newCountTable("task_status_counts (tenant, hourly, period, status, n)",
		"(tenant, hourly, period, status)", 5)
	// countQueries are the statements that the writer prepares.
	countQueries = []string{countsByDay.one, countsByDay.chunk, countTotals.one, countTotals.chunk,
		countsByPeriod.one, countsByPeriod.chunk}
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
		countTable
		groups map[countKey]int
		args   func(k countKey, n int) []any
	}{
		{countsByDay, days, func(k countKey, n int) []any { return []any{k.tenant, k.hour, k.typ, k.status, n, 0} }},
		{countTotals, totals, func(k countKey, n int) []any { return []any{k.tenant, k.typ, k.status, n} }},
		{countsByPeriod, statusDays, func(k countKey, n int) []any { return []any{k.tenant, 0, k.hour, k.status, n} }},
		{countsByPeriod, statusHours, func(k countKey, n int) []any { return []any{k.tenant, 1, k.hour, k.status, n} }},
	} {
		var rows [][]any
		for _, k := range slices.SortedFunc(maps.Keys(table.groups), compareKeys) {
			if n := table.groups[k]; n != 0 {
				rows = append(rows, table.args(k, n))
			}
		}
		for len(rows) > 0 {
			query, chunk := table.one, 1
			if len(rows) >= countChunk {
				query, chunk = table.chunk, countChunk
			}
			var args []any
			for _, row := range rows[:chunk] {
				args = append(args, row...)
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return dbError("count tasks", err)
			}
			rows = rows[chunk:]
		}
	}
	clear(tx.counts)
	return nil
}

func compareKeys(a, b countKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.hour, b.hour), cmp.Compare(a.typ, b.typ),
		cmp.Compare(a.status, b.status))
}
