package postgres

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/taskcenter/taskcenter"
	"github.com/taskcenter/taskcenter/internal/window"
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

// migratedFrom returns a store whose schema was at version when setup, a
// script, wrote its rows, then migrated to the last version, and the rows of
// query, one text column, read after.
func migratedFrom(t *testing.T, version int, setup, query string) (*Store, []string) {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	migrateTo(t, s, version)
	_, err := s.pool.Exec(ctx, setup)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	rows, _ := s.pool.Query(ctx, query)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return s, got
}

// TestMigrationMarksSharedQueueRows: the queue rows of tasks on several
// instances that an older schema holds are marked shared by 005, and the
// others are not.
func TestMigrationMarksSharedQueueRows(t *testing.T) {
	t.Parallel()
	_, got := migratedFrom(t, 4, `
		INSERT INTO tasks (tenant, type, status, instance_ids, exclusive) VALUES
			('ta', 'Reboot', 'WAITING', '{a,b}', true), ('ta', 'Reboot', 'WAITING', '{a}', true);
		INSERT INTO task_queue (tenant, instance_id, task_id)
			SELECT 'ta', i, id FROM tasks, unnest(instance_ids) AS i`,
		`SELECT q.instance_id || ':' || cardinality(t.instance_ids) || ':' || q.shared
		FROM task_queue q JOIN tasks t ON t.id = q.task_id ORDER BY t.id, q.instance_id`)
	require.Equal(t, []string{"a:2:true", "b:2:true", "a:1:false"}, got)
}

// TestMigrationQueueHolders: 014 marks the queue rows of the tasks that
// already hold their instances, and only those.
func TestMigrationQueueHolders(t *testing.T) {
	t.Parallel()
	_, got := migratedFrom(t, 13, `
		INSERT INTO tasks (tenant, type, status, instance_ids, exclusive) VALUES
			('ta', 'Reboot', 'RUNNING', '{a}', true), ('ta', 'Reboot', 'WAITING', '{a,b}', true),
			('ta', 'Reboot', 'INITIAL', '{c}', true), ('ta', 'Reboot', 'WAITING', '{c}', true);
		INSERT INTO task_queue (tenant, instance_id, task_id)
			SELECT 'ta', i, id FROM tasks, unnest(instance_ids) AS i`,
		`SELECT q.instance_id || ':' || t.status FROM task_queue q JOIN tasks t ON t.id = q.task_id
		WHERE q.holds ORDER BY q.instance_id`)
	require.Equal(t, []string{"a:RUNNING", "c:INITIAL"}, got)
}

// TestMigrationRemovedLinks: migration 015 copies the links of the tasks
// removed before it, each instance once, so that an instance's count leaves
// them out from the start; the tasks that are not removed have none.
func TestMigrationRemovedLinks(t *testing.T) {
	t.Parallel()
	s, got := migratedFrom(t, 14, `
		INSERT INTO tasks (tenant, type, status, instance_ids) VALUES
			('ta', 'Reboot', 'REMOVED', '{a,b,a}'), ('ta', 'Reboot', 'SUCCEED', '{a}'), ('tb', 'Reboot', 'REMOVED', '{a}');
		INSERT INTO task_instances (tenant, instance_id, task_id)
			SELECT DISTINCT tenant, i, id FROM tasks, unnest(instance_ids) AS i`,
		`SELECT r.tenant || ':' || r.instance_id || ':' || t.status
		FROM task_instances_removed r JOIN tasks t ON t.id = r.task_id ORDER BY 1`)
	require.Equal(t, []string{"ta:a:REMOVED", "ta:b:REMOVED", "tb:a:REMOVED"}, got)
	page, err := s.TaskList(context.Background(), &taskcenter.TaskFilter{Tenant: "ta", InstanceID: "a", Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
}

// TestMigrationInstanceCounts: migration 016 counts each instance's tasks,
// its links less its removed links, into one folded row, and a list of the
// instance reads its total from there.
func TestMigrationInstanceCounts(t *testing.T) {
	t.Parallel()
	s, got := migratedFrom(t, 15, `
		INSERT INTO tasks (tenant, type, status, instance_ids) VALUES
			('ta', 'Reboot', 'REMOVED', '{a,b,a}'), ('ta', 'Reboot', 'SUCCEED', '{a}'),
			('ta', 'Reboot', 'FAILED', '{a,c}'), ('tb', 'Reboot', 'REMOVED', '{a}');
		INSERT INTO task_instances (tenant, instance_id, task_id)
			SELECT DISTINCT tenant, i, id FROM tasks, unnest(instance_ids) AS i`,
		`SELECT tenant || ':' || instance_id || ':' || n || ':' || delta FROM instance_task_counts ORDER BY 1`)
	require.Equal(t, []string{"ta:a:2:false", "ta:b:0:false", "ta:c:1:false", "tb:a:0:false"}, got)
	for instance, want := range map[string]int{"a": 2, "b": 0, "c": 1} {
		page, err := s.TaskList(context.Background(), &taskcenter.TaskFilter{Tenant: "ta", InstanceID: instance, Limit: 10})
		require.NoError(t, err)
		require.Equal(t, want, page.Total, instance)
		require.Len(t, page.Tasks, want, instance)
	}
}

// TestTaskDay: task_day and task_hour are inlined into the statements that
// call them, and agree with the days and hours that readers compute in Go.
func TestTaskDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	for _, fn := range []struct {
		name string
		inGo func(ms int64) int64
	}{{"task_day", window.DayOf}, {"task_hour", window.HourOf}} {
		rows, _ := s.pool.Query(ctx, `EXPLAIN VERBOSE SELECT `+fn.name+`(created_at) FROM tasks`)
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		require.NotContains(t, strings.Join(plan, "\n"), fn.name+"(", "inlined")
		for _, at := range []time.Time{
			time.UnixMilli(0), time.UnixMilli(-1), time.UnixMilli(86_400_000 - 1), time.UnixMilli(86_400_000),
			time.UnixMilli(3_600_000 - 1), time.UnixMilli(3_600_000), time.UnixMilli(-3_600_001),
			time.Date(1900, 2, 28, 23, 59, 59, 999e6, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone("", 3600)),
			time.Now().Truncate(time.Millisecond),
		} {
			var period int64
			require.NoError(t, s.pool.QueryRow(ctx, `SELECT `+fn.name+`($1)`, at).Scan(&period))
			require.Equal(t, fn.inGo(at.UnixMilli()), period, "%s(%s)", fn.name, at)
		}
		var none int64
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT `+fn.name+`(NULL)`).Scan(&none))
		require.Equal(t, int64(math.MinInt32), none)
	}
}

// openStore opens a store on a schema of its own (pgtest), closed when the
// test ends.
func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// migratedStore is openStore, migrated.
func migratedStore(t *testing.T) *Store {
	t.Helper()
	s := openStore(t)
	require.NoError(t, s.Migrate(context.Background()))
	return s
}

// TestMigrationHourlyDeltas: 008 folds the deltas that 007's triggers
// appended to both count tables, and from then on the triggers' hourly
// deltas and the fold give every total of a window exactly, before and
// after folding.
func TestMigrationHourlyDeltas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	migrateTo(t, s, 7)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// 007's triggers append to task_counts and task_status_counts.
	write := func(first int) {
		_, err := s.pool.Exec(ctx, `
			INSERT INTO tasks (tenant, type, status, instance_ids, created_at)
			SELECT 't' || (n % 2), 'T' || (n % 3), (ARRAY['SUCCEED', 'FAILED', 'RUNNING', 'REMOVED'])[n % 4 + 1],
				'{i}', $2::timestamptz + n * interval '37 minutes'
			FROM generate_series($1::int, $1::int + 199) AS n`, first, start)
		require.NoError(t, err)
		_, err = s.pool.Exec(ctx, `UPDATE tasks SET status = 'KILLED' WHERE id % 7 = 0 AND status = 'RUNNING'`)
		require.NoError(t, err)
	}
	write(0)
	require.NoError(t, s.Migrate(ctx))
	var left int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM task_counts WHERE delta`).Scan(&left))
	require.Zero(t, left, "008 folds the deltas there were")
	write(100) // 008's triggers: hourly deltas in task_counts alone

	check := func() {
		t.Helper()
		counts, err := s.TaskCounts(ctx, "t1")
		require.NoError(t, err)
		rows, _ := s.pool.Query(ctx, `SELECT status, count(*) FROM tasks WHERE tenant = 't1' GROUP BY status`)
		want, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
			Status string
			N      int
		}])
		require.NoError(t, err)
		require.Len(t, counts, len(want))
		for _, w := range want {
			require.Equal(t, w.N, counts[taskcenter.Status(w.Status)], w.Status)
		}
		for _, w := range []struct{ after, before time.Duration }{
			{0, 200 * time.Hour}, {90 * time.Minute, 50*time.Hour + 7*time.Minute}, {26*time.Hour + 31*time.Minute, 27 * time.Hour},
			{5 * time.Hour, 5*time.Hour + 40*time.Minute}, {47*time.Hour + 59*time.Minute, 96*time.Hour + time.Minute},
		} {
			for _, types := range [][]string{nil, {"T1", "T2"}} {
				f := &taskcenter.TaskFilter{Tenant: "t1", Types: types,
					CreatedAfter: start.Add(w.after), CreatedBefore: start.Add(w.before)}
				q, args := totalQuery(f)
				var got, want int
				require.NoError(t, s.pool.QueryRow(ctx, q, args...).Scan(&got))
				require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE tenant = 't1'
					AND status <> 'REMOVED' AND ($1::text[] IS NULL OR type = ANY($1))
					AND created_at >= $2 AND created_at < $3`, types, f.CreatedAfter, f.CreatedBefore).Scan(&want))
				require.Equal(t, want, got, "%+v, types %v", w, types)
			}
		}
	}
	check()
	require.NoError(t, s.TaskCountsCompact(ctx))
	check()
	write(300)
	check()
}

// TestMigrationInstanceVersions: 009 gives every tenant with instances a
// number, and from then on each statement that inserts, updates or deletes
// a tenant's instances raises that tenant's number once, and no other's.
func TestMigrationInstanceVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	migrateTo(t, s, 8)
	exec := func(q string) {
		t.Helper()
		_, err := s.pool.Exec(ctx, q)
		require.NoError(t, err)
	}
	exec(`INSERT INTO instances (tenant, id, status) VALUES ('a', '1', ''), ('a', '2', ''), ('b', '1', '')`)
	require.NoError(t, s.Migrate(ctx))
	versions := func() map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		var tenant string
		var version int64
		rows, _ := s.pool.Query(ctx, `SELECT tenant, version FROM instance_versions`)
		_, err := pgx.ForEachRow(rows, []any{&tenant, &version}, func() error {
			out[tenant] = version
			return nil
		})
		require.NoError(t, err)
		return out
	}
	require.Equal(t, map[string]int64{"a": 1, "b": 1}, versions())
	exec(`UPDATE instances SET name = 'x' WHERE tenant = 'a'`)
	require.Equal(t, map[string]int64{"a": 2, "b": 1}, versions())
	exec(`INSERT INTO instances (tenant, id, status) VALUES ('a', '3', ''), ('c', '1', '')`)
	require.Equal(t, map[string]int64{"a": 3, "b": 1, "c": 1}, versions())
	exec(`INSERT INTO instances (tenant, id, status) VALUES ('b', '1', '') ON CONFLICT (tenant, id) DO UPDATE SET name = 'y'`)
	require.Equal(t, map[string]int64{"a": 3, "b": 2, "c": 1}, versions())
	exec(`DELETE FROM instances WHERE tenant = 'c'`)
	require.Equal(t, map[string]int64{"a": 3, "b": 2, "c": 2}, versions())
	exec(`UPDATE instances SET name = 'z' WHERE false`)
	require.Equal(t, map[string]int64{"a": 3, "b": 2, "c": 2}, versions(), "a statement that changes nothing")
}

// TestMigrationTaskClaims: 010 gives the tasks already stored 0 claims,
// whatever their attempts, and claims count from there.
func TestMigrationTaskClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	migrateTo(t, s, 9)
	var running, ready int64
	require.NoError(t, s.pool.QueryRow(ctx, `INSERT INTO tasks (tenant, type, status, attempts, lease_owner)
		VALUES ('ta', 'T', 'RUNNING', 2, 'w') RETURNING id`).Scan(&running))
	require.NoError(t, s.pool.QueryRow(ctx, `INSERT INTO tasks (tenant, type, status, attempts)
		VALUES ('ta', 'T', 'INITIAL', 1) RETURNING id`).Scan(&ready))
	require.NoError(t, s.Migrate(ctx))
	got, err := s.TaskGet(ctx, "ta", running)
	require.NoError(t, err)
	require.Zero(t, got.Claims)
	require.Equal(t, 2, got.Attempts)
	claimed, err := s.TaskClaim(ctx, &taskcenter.TaskClaimParams{Tenant: "ta", WorkerID: "w", Max: 1,
		Lease: time.Minute, Now: time.Now()})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, ready, claimed[0].ID)
	require.Equal(t, int64(1), claimed[0].Claims)
	require.Equal(t, 2, claimed[0].Attempts)
}

// TestMigrateRefusesNewerSchema: a schema with a migration this build does
// not know was made by a later taskcenter, and is refused rather than used.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedStore(t)
	_, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (99, '099_later.sql')`)
	require.NoError(t, err)
	err = s.Migrate(ctx)
	require.ErrorContains(t, err, "migration 99")
	require.ErrorContains(t, err, "newer taskcenter")
}
