package sqlite

import (
	"context"
	"time"

	tc "github.com/taskcenter/taskcenter"
)

// TaskTypePut creates or replaces an operator-defined task type.
func (s *Store) TaskTypePut(ctx context.Context, t *tc.TaskType) error {
	return s.write(ctx, func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO task_types
				(key, tencent_code, description, exclusive, timeout_ms, max_attempts)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET tencent_code = excluded.tencent_code,
				description = excluded.description, exclusive = excluded.exclusive,
				timeout_ms = excluded.timeout_ms, max_attempts = excluded.max_attempts`,
			t.Key, t.TencentCode, t.Description, t.Exclusive, t.Timeout.Milliseconds(), t.MaxAttempts)
		return dbError("put task type", err)
	})
}

// TaskTypeList returns the operator-defined task types, by key.
func (s *Store) TaskTypeList(ctx context.Context) ([]tc.TaskType, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT key, tencent_code, description, exclusive, timeout_ms, max_attempts
		FROM task_types ORDER BY key`)
	if err != nil {
		return nil, dbError("list task types", err)
	}
	defer rows.Close()
	var list []tc.TaskType
	for rows.Next() {
		var t tc.TaskType
		var timeout int64
		if err := rows.Scan(&t.Key, &t.TencentCode, &t.Description, &t.Exclusive, &timeout, &t.MaxAttempts); err != nil {
			return nil, dbError("list task types", err)
		}
		t.Timeout = time.Duration(timeout) * time.Millisecond
		list = append(list, t)
	}
	return list, dbError("list task types", rows.Err())
}
