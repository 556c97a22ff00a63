package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskcenter/taskcenter"
)

// TaskTypePut creates or replaces an operator-defined task type.
func (s *Store) TaskTypePut(ctx context.Context, t *taskcenter.TaskType) error {
	const q = `INSERT INTO task_types (key, tencent_code, description, exclusive, timeout_ms, max_attempts)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key) DO UPDATE SET
			tencent_code = excluded.tencent_code, description = excluded.description,
			exclusive = excluded.exclusive, timeout_ms = excluded.timeout_ms,
			max_attempts = excluded.max_attempts`
	_, err := s.pool.Exec(ctx, q, t.Key, t.TencentCode, t.Description, t.Exclusive,
		t.Timeout.Milliseconds(), t.MaxAttempts)
	return storeErr("put task type", err)
}

// TaskTypeList returns the operator-defined task types, by key.
func (s *Store) TaskTypeList(ctx context.Context) ([]taskcenter.TaskType, error) {
	const q = `SELECT key, tencent_code, description, exclusive, timeout_ms, max_attempts
		FROM task_types ORDER BY key`
	rows, _ := s.pool.Query(ctx, q)
	list, err := pgx.CollectRows(rows, scanTaskType)
	return list, storeErr("list task types", err)
}

// scanTaskType reads a task_types row.
func scanTaskType(row pgx.CollectableRow) (taskcenter.TaskType, error) {
	var t taskcenter.TaskType
	var timeoutMS int64
	err := row.Scan(&t.Key, &t.TencentCode, &t.Description, &t.Exclusive, &timeoutMS, &t.MaxAttempts)
	t.Timeout = time.Duration(timeoutMS) * time.Millisecond
	return t, err
}
