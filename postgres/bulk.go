package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// BulkLoad stores many instances and tasks with COPY in one transaction, for
// benchmarks and imports. Tasks get new ids in the order given, and their
// task_instances rows; no event is written and no queue is planned, so a
// caller must not load WAITING, INITIAL or RUNNING exclusive tasks.
// Instances must be new. A loaded task keeps its Claims, as it keeps its
// Attempts.
func (s *Store) BulkLoad(ctx context.Context, instances []*taskcenter.Instance, tasks []*taskcenter.Task) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"instances"},
			[]string{"tenant", "id", "name", "engine", "region", "status", "created_at", "updated_at"},
			pgx.CopyFromSlice(len(instances), func(i int) ([]any, error) {
				in := instances[i]
				return []any{in.Tenant, in.ID, in.Name, in.Engine, in.Region, in.Status,
					timeArg(in.CreatedAt), timeArg(in.UpdatedAt)}, nil
			}))
		if err != nil {
			return err
		}
		var first int64
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM tasks").Scan(&first); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"tasks"}, bulkTaskColumns, pgx.CopyFromSlice(len(tasks), func(i int) ([]any, error) {
			return bulkTaskRow(tasks[i])
		}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO task_instances (tenant, instance_id, task_id)
			SELECT tenant, unnest(instance_ids), id FROM tasks WHERE id > $1`, first)
		return err
	})
	return storeErr("bulk load", err)
}

var bulkTaskColumns = []string{"tenant", "type", "status", "progress", "code", "message", "instance_ids",
	"async_request_id", "created_at", "started_at", "ended_at", "updated_at", "context", "attach_info",
	"attempts", "max_attempts", "run_after", "timeout_ms", "lease_owner", "lease_expires_at",
	"cancel_requested", "pause_requested", "exclusive", "claimed_at", "claims"}

func bulkTaskRow(t *taskcenter.Task) ([]any, error) {
	attach, err := attachArg(t.AttachInfo)
	if err != nil {
		return nil, err
	}
	ids := t.InstanceIDs
	if ids == nil {
		ids = []string{}
	}
	return []any{t.Tenant, t.Type, string(t.Status), t.Progress, t.Code, t.Message, ids,
		t.AsyncRequestID, timeArg(t.CreatedAt), timeArg(t.StartedAt), timeArg(t.EndedAt), timeArg(t.UpdatedAt),
		contextArg(t.Context), attach, t.Attempts, t.MaxAttempts, timeArg(t.RunAfter),
		t.Timeout.Milliseconds(), t.LeaseOwner, timeArg(t.LeaseExpiresAt), t.CancelRequested, t.PauseRequested,
		t.Exclusive, timeArg(t.ClaimedAt), t.Claims}, nil
}

// Analyze refreshes the planner's statistics and the visibility map of the
// tables behind task lists, as autovacuum does in its own time: after a
// bulk load, the first lists are then planned on real numbers and count
// edges without visiting the table, and the instances that Huawei's lists
// name are read without setting their rows' hint bits first.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) tasks, task_instances, instances, task_counts, task_totals,
		task_status_counts, instance_task_counts`)
	return storeErr("analyze", err)
}
