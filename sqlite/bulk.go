package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"

	tc "github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
)

// BulkLoad stores many instances and tasks in one transaction, for
// benchmarks and imports; see BulkLoadSeq.
func (s *Store) BulkLoad(ctx context.Context, instances []*tc.Instance, tasks []*tc.Task) error {
	return s.BulkLoadSeq(ctx, instances, slices.Values(tasks))
}

// bulkRows is how many tasks one INSERT statement of a bulk load carries.
const bulkRows = 32

// bulkCacheKiB is the page cache of the writer during a bulk load, whose
// one transaction otherwise spills pages to the WAL as soon as 2 MiB are
// dirty; the usual size is restored after.
const bulkCacheKiB = 256 << 10

// BulkLoadSeq stores instances and then the tasks that tasks yields, in one
// transaction, for loads too big to hold in memory. Tasks get new ids in
// the order given, and their task_instances rows; no event is written and
// no queue is planned, so a caller must not load WAITING, INITIAL or
// RUNNING exclusive tasks. Instances must be new.
//
// The counts of the loaded tasks are added in one statement. When tasks is
// empty to begin with, its indexes are dropped and built again after the
// load: sorting once is much faster than growing them row by row.
func (s *Store) BulkLoadSeq(ctx context.Context, instances []*tc.Instance, tasks iter.Seq[*tc.Task]) error {
	return s.write(ctx, func(tx *writeTx) error {
		if err := bulkInstances(ctx, tx, instances); err != nil {
			return err
		}
		var first int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM tasks").Scan(&first); err != nil {
			return dbError("bulk load", err)
		}
		var cache int64
		if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
			return dbError("bulk load", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -bulkCacheKiB)); err != nil {
			return dbError("bulk load", err)
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", cache))
		restore, err := dropForLoad(ctx, tx, first == 0)
		if err != nil {
			return err
		}
		if err := bulkTasks(ctx, tx, tasks); err != nil {
			return err
		}
		if err := bulkDerived(ctx, tx, first); err != nil {
			return err
		}
		for _, q := range restore {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return dbError("bulk load: restore schema", err)
			}
		}
		return nil
	})
}

// dropForLoad drops every index of tasks when it is empty, and returns the
// statements that create them again.
func dropForLoad(ctx context.Context, tx *writeTx, empty bool) ([]string, error) {
	q := `SELECT type, name, sql FROM sqlite_master
		WHERE tbl_name = 'tasks' AND sql IS NOT NULL AND type = 'index' AND ?`
	rows, err := tx.QueryContext(ctx, q, empty)
	if err != nil {
		return nil, dbError("bulk load: read schema", err)
	}
	var drops, restore []string
	for rows.Next() {
		var typ, name, create string
		if err := rows.Scan(&typ, &name, &create); err != nil {
			rows.Close()
			return nil, dbError("bulk load: read schema", err)
		}
		drops = append(drops, fmt.Sprintf("DROP %s %q", strings.ToUpper(typ), name))
		restore = append(restore, create)
	}
	if err := rows.Close(); err != nil {
		return nil, dbError("bulk load: read schema", err)
	}
	for _, d := range drops {
		if _, err := tx.ExecContext(ctx, d); err != nil {
			return nil, dbError("bulk load: drop", err)
		}
	}
	return restore, nil
}

// bulkDerived writes the task_instances rows, those of removed tasks again
// in task_instances_removed, and the counts of the tasks above first,
// folded. The rows go in key order, appending to the index.
func bulkDerived(ctx context.Context, tx *writeTx, first int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO task_instances (tenant, instance_id, task_id)
		SELECT t.tenant, j.value, t.id FROM tasks AS t, json_each(t.instance_ids) AS j WHERE t.id > ?
		ORDER BY 1, 2, 3`, first)
	if err != nil {
		return dbError("bulk load task instances", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO task_instances_removed (tenant, instance_id, task_id)
		SELECT t.tenant, j.value, t.id FROM tasks AS t, json_each(t.instance_ids) AS j
		WHERE t.id > ? AND t.status = 'REMOVED' ORDER BY 1, 2, 3`, first)
	if err != nil {
		return dbError("bulk load removed links", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO task_counts (tenant, day, type, status, n, delta)
		SELECT tenant, `+dayOf("created_at")+`, type, status, count(*), 0 FROM tasks WHERE id > ?
		GROUP BY 1, 2, 3, 4
		ON CONFLICT (tenant, day, type, status) WHERE delta = 0 DO UPDATE SET n = n + excluded.n`, first)
	if err != nil {
		return dbError("bulk load task counts", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO task_totals (tenant, type, status, n)
		SELECT tenant, type, status, count(*) FROM tasks WHERE id > ? GROUP BY 1, 2, 3
		ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + excluded.n`, first)
	if err != nil {
		return dbError("bulk load task counts", err)
	}
	for hourly, period := range []string{dayOf("created_at"), hourOf("created_at")} {
		_, err = tx.ExecContext(ctx, `INSERT INTO task_status_counts (tenant, hourly, period, status, n)
			SELECT tenant, ?, `+period+`, status, count(*) FROM tasks WHERE id > ? GROUP BY 1, 2, 3, 4
			ON CONFLICT (tenant, hourly, period, status) DO UPDATE SET n = n + excluded.n`, hourly, first)
		if err != nil {
			return dbError("bulk load task counts", err)
		}
	}
	return nil
}

// dayOf and hourOf are the SQL of the UTC day and hour of a unix millisecond
// column, floored, as window.DayOf and window.HourOf compute them.
func dayOf(col string) string { return periodOf(col, window.Day) }

func hourOf(col string) string { return periodOf(col, window.Hour) }

// periodOf is the SQL of col divided by unit, floored.
func periodOf(col string, unit int64) string {
	return fmt.Sprintf("CASE WHEN %[1]s >= 0 THEN %[1]s / %[2]d ELSE (%[1]s + 1) / %[2]d - 1 END", col, unit)
}

func bulkInstances(ctx context.Context, tx *writeTx, instances []*tc.Instance) error {
	if len(instances) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO instances (`+instanceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return dbError("bulk load instances", err)
	}
	defer stmt.Close()
	for _, i := range instances {
		_, err := stmt.ExecContext(ctx, i.Tenant, i.ID, i.Name, i.Engine, i.Region, i.Status,
			millis(i.CreatedAt), millis(i.UpdatedAt))
		if err != nil {
			return dbError("bulk load instances", err)
		}
	}
	return nil
}

// bulkTasks inserts tasks bulkRows at a time with one prepared statement,
// and the rest one by one. A loaded task keeps its Claims, as an imported one
// keeps its Attempts.
func bulkTasks(ctx context.Context, tx *writeTx, tasks iter.Seq[*tc.Task]) error {
	cols := 7 + len(stateColumns)
	insert := `INSERT INTO tasks (tenant, type, instance_ids, async_request_id, created_at, exclusive, claims, ` +
		strings.Join(stateColumns, ", ") + `) VALUES `
	row := "(" + placeholders(cols) + ")"
	many, err := tx.PrepareContext(ctx, insert+strings.TrimSuffix(strings.Repeat(row+", ", bulkRows), ", "))
	if err != nil {
		return dbError("bulk load tasks", err)
	}
	defer many.Close()
	one, err := tx.PrepareContext(ctx, insert+row)
	if err != nil {
		return dbError("bulk load tasks", err)
	}
	defer one.Close()
	args := make([]any, 0, cols*bulkRows)
	for t := range tasks {
		values, err := bulkValues(t)
		if err != nil {
			return err
		}
		if args = append(args, values...); len(args) == cap(args) {
			if _, err := many.ExecContext(ctx, args...); err != nil {
				return dbError("bulk load tasks", err)
			}
			args = args[:0]
		}
	}
	for ; len(args) > 0; args = args[cols:] {
		if _, err := one.ExecContext(ctx, args[:cols]...); err != nil {
			return dbError("bulk load tasks", err)
		}
	}
	return nil
}

// bulkValues are the inserted columns of a task, in the order of bulkTasks.
func bulkValues(t *tc.Task) ([]any, error) {
	ids, err := json.Marshal(nonNil(t.InstanceIDs))
	if err != nil {
		return nil, err
	}
	state, err := stateValues(t)
	if err != nil {
		return nil, err
	}
	return append([]any{t.Tenant, t.Type, string(ids), t.AsyncRequestID, millis(t.CreatedAt), t.Exclusive, t.Claims},
		state...), nil
}
