package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter/postgres/pgtest"
)

// migrateTo applies the migrations up to version, as Migrate would have
// when they were the last.
func migrateTo(t *testing.T, s *Store, version int) {
	t.Helper()
	ctx := context.Background()
	migrations, err := loadMigrations()
	require.NoError(t, err)
	require.NoError(t, s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		for _, m := range migrations {
			if m.version <= version {
				if err := applyMigration(ctx, tx, m); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// TestMigrationMarksSharedQueueRows: the queue rows of tasks on several
// instances that an older schema holds are marked shared by 005, and the
// others are not.
func TestMigrationMarksSharedQueueRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	migrateTo(t, s, 4)
	_, err = s.pool.Exec(ctx, `
		INSERT INTO tasks (tenant, type, status, instance_ids, exclusive) VALUES
			('ta', 'Reboot', 'WAITING', '{a,b}', true), ('ta', 'Reboot', 'WAITING', '{a}', true);
		INSERT INTO task_queue (tenant, instance_id, task_id)
			SELECT 'ta', i, id FROM tasks, unnest(instance_ids) AS i`)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	rows, _ := s.pool.Query(ctx, `SELECT q.instance_id || ':' || cardinality(t.instance_ids) || ':' || q.shared
		FROM task_queue q JOIN tasks t ON t.id = q.task_id ORDER BY t.id, q.instance_id`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"a:2:true", "b:2:true", "a:1:false"}, got)
}
