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
// behind exact totals in the writer's transaction. The writes gather their
// changes in the transaction and, before it commits, add them to
// task_count_deltas (007): one row per tenant, UTC hour of creation, type
// and status, sixteen groups to a statement. Readers add those rows to the
// folded counts (task_counts per UTC day, task_totals, task_status_counts
// per UTC day and hour), and TaskCountsCompact folds them there. Deletions
// are still counted in place by a trigger (004, 006), and a bulk load adds
// what it loaded in one statement per table.
const deltaChunk = 16

var (
	addDeltaSQL  = addDeltasQuery(1)
	addDeltasSQL = addDeltasQuery(deltaChunk)
)

func addDeltasQuery(rows int) string {
	return `INSERT INTO task_count_deltas (tenant, hour, type, status, day, n) VALUES ` + valuesRows(6, rows) +
		` ON CONFLICT (tenant, hour, type, status) DO UPDATE SET n = n + excluded.n`
}

// countKey is a group of changes: the tenant, type, UTC hour of creation and
// status of tasks.
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

// flushCounts adds the gathered changes to task_count_deltas, each group
// once, in key order.
func (tx *writeTx) flushCounts(ctx context.Context) error {
	var rows [][]any
	for _, k := range slices.SortedFunc(maps.Keys(tx.counts), compareKeys) {
		if n := tx.counts[k]; n != 0 {
			rows = append(rows, []any{k.tenant, k.hour, k.typ, k.status, k.day(), n})
		}
	}
	clear(tx.counts)
	return dbError("count tasks", execRows(ctx, tx, addDeltaSQL, addDeltasSQL, deltaChunk, rows))
}

func compareKeys(a, b countKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.hour, b.hour), cmp.Compare(a.typ, b.typ),
		cmp.Compare(a.status, b.status))
}
