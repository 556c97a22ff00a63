package sqlite

import (
	"cmp"
	"context"
	"maps"
	"slices"

	tc "github.com/taskcenter/taskcenter"
)

// Every insert of a task and every change of its status adds to the counts
// behind exact totals (task_counts per UTC day, task_totals) in the writer's
// transaction. The writes gather their changes in the transaction and add
// them once per group before it commits: a batch is mostly one tenant, day
// and type, so a batch of a hundred changes costs a few statements, where a
// trigger ran two per row. Deletions are still counted by a trigger (004),
// and a bulk load counts what it loaded in one statement.
const (
	addCountSQL = `INSERT INTO task_counts (tenant, day, type, status, n, delta) VALUES (?, ?, ?, ?, ?, 0)
		ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n`
	addTotalSQL = `INSERT INTO task_totals (tenant, type, status, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n`
)

// countKey is a group of task_counts.
type countKey struct {
	tenant, typ string
	day         int64
	status      tc.Status
}

// dayOfMillis is the UTC day of a time in unix milliseconds, as the
// migrations compute it in SQL.
func dayOfMillis(ms int64) int64 {
	if ms >= 0 {
		return ms / 86400000
	}
	return (ms+1)/86400000 - 1
}

// count records n more (or fewer) tasks of t's tenant, type and creation
// day in status.
func (tx *writeTx) count(t *tc.Task, status tc.Status, n int) {
	if tx.counts == nil {
		tx.counts = map[countKey]int{}
	}
	tx.counts[countKey{t.Tenant, t.Type, dayOfMillis(millis(t.CreatedAt)), status}] += n
}

// moved records a task's change of status.
func (tx *writeTx) moved(t *tc.Task, from, to tc.Status) {
	if from != to {
		tx.count(t, from, -1)
		tx.count(t, to, 1)
	}
}

// flushCounts adds the gathered changes to task_counts and task_totals.
func (tx *writeTx) flushCounts(ctx context.Context) error {
	if len(tx.counts) == 0 {
		return nil
	}
	keys := make([]countKey, 0, len(tx.counts))
	totals := map[countKey]int{}
	for k, n := range tx.counts {
		if n != 0 {
			keys = append(keys, k)
			totals[countKey{k.tenant, k.typ, 0, k.status}] += n
		}
	}
	slices.SortFunc(keys, compareKeys)
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, addCountSQL, k.tenant, k.day, k.typ, k.status, tx.counts[k]); err != nil {
			return dbError("count tasks", err)
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(totals), compareKeys) {
		if _, err := tx.ExecContext(ctx, addTotalSQL, k.tenant, k.typ, k.status, totals[k]); err != nil {
			return dbError("count tasks", err)
		}
	}
	clear(tx.counts)
	return nil
}

func compareKeys(a, b countKey) int {
	return cmp.Or(cmp.Compare(a.tenant, b.tenant), cmp.Compare(a.day, b.day), cmp.Compare(a.typ, b.typ),
		cmp.Compare(a.status, b.status))
}
