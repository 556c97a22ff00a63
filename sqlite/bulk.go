package sqlite

import (
	"context"
	"encoding/json"
	"strings"

	tc "github.com/taskcenter/taskcenter"
)

// BulkLoad stores many instances and tasks in one transaction with prepared
// statements, for benchmarks and imports. Tasks get new ids in the order
// given, and their task_instances rows; no event is written and no queue is
// planned, so a caller must not load WAITING, INITIAL or RUNNING exclusive
// tasks. Instances must be new.
func (s *Store) BulkLoad(ctx context.Context, instances []*tc.Instance, tasks []*tc.Task) error {
	return s.write(ctx, func(tx *writeTx) error {
		if err := bulkInstances(ctx, tx, instances); err != nil {
			return err
		}
		var first int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM tasks").Scan(&first); err != nil {
			return dbError("bulk load", err)
		}
		if err := bulkTasks(ctx, tx, tasks); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO task_instances (tenant, instance_id, task_id)
			SELECT t.tenant, j.value, t.id FROM tasks AS t, json_each(t.instance_ids) AS j WHERE t.id > ?`, first)
		return dbError("bulk load task instances", err)
	})
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

func bulkTasks(ctx context.Context, tx *writeTx, tasks []*tc.Task) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO tasks (tenant, type, instance_ids, async_request_id,
		created_at, exclusive, `+strings.Join(stateColumns, ", ")+`) VALUES (`+placeholders(6+len(stateColumns))+`)`)
	if err != nil {
		return dbError("bulk load tasks", err)
	}
	defer stmt.Close()
	for _, t := range tasks {
		ids, err := json.Marshal(nonNil(t.InstanceIDs))
		if err != nil {
			return err
		}
		state, err := stateValues(t)
		if err != nil {
			return err
		}
		args := append([]any{t.Tenant, t.Type, string(ids), t.AsyncRequestID, millis(t.CreatedAt), t.Exclusive}, state...)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return dbError("bulk load tasks", err)
		}
	}
	return nil
}
