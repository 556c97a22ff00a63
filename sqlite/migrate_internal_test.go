package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tc "github.com/taskcenter/taskcenter"
)

// TestMigrationCountDeltas: 007 folds the delta rows that 003's triggers
// appended to task_counts, and from then on the writes' deltas and the fold
// give every total exactly, before and after folding.
func TestMigrationCountDeltas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migratedBelow(t, 4)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// 003's triggers append a delta row per insert and change of status.
	_, err := s.wconn.ExecContext(ctx, `
		WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
		INSERT INTO tasks (tenant, type, status, created_at, updated_at)
		SELECT 't' || (i % 2), 'T' || (i % 3), json_extract('["SUCCEED","FAILED","RUNNING","REMOVED"]', '$[' || (i % 4) || ']'),
			?1 + i * 37 * 60000, ?1 FROM n`, start.UnixMilli())
	require.NoError(t, err)
	_, err = s.wconn.ExecContext(ctx, `UPDATE tasks SET status = 'KILLED' WHERE id % 7 = 0 AND status = 'RUNNING'`)
	require.NoError(t, err)
	var deltas int
	require.NoError(t, s.wconn.QueryRowContext(ctx, `SELECT count(*) FROM task_counts WHERE delta = 1`).Scan(&deltas))
	require.Positive(t, deltas)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.wconn.QueryRowContext(ctx, `SELECT count(*) FROM task_counts WHERE delta = 1`).Scan(&deltas))
	require.Zero(t, deltas, "007 folds them")

	write := func() { // through the store: deltas in task_count_deltas
		var ins []*tc.TaskInsertParams
		for i := range 150 {
			created := start.Add(time.Duration(i) * 53 * time.Minute)
			ins = append(ins, &tc.TaskInsertParams{Task: &tc.Task{Tenant: "t1", Type: []string{"T1", "T2", "T3"}[i%3],
				Status: []tc.Status{tc.StatusSucceed, tc.StatusFailed, tc.StatusRunning}[i%3], InstanceIDs: []string{},
				CreatedAt: created, UpdatedAt: created}})
		}
		res, err := s.TaskInsertMany(ctx, ins)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
	}
	check := func(step string) {
		t.Helper()
		counts, err := s.TaskCounts(ctx, "t1")
		require.NoError(t, err)
		want := map[tc.Status]int{}
		rows, err := s.wconn.QueryContext(ctx, `SELECT status, count(*) FROM tasks WHERE tenant = 't1' GROUP BY status`)
		require.NoError(t, err)
		for rows.Next() {
			var status tc.Status
			var n int
			require.NoError(t, rows.Scan(&status, &n))
			want[status] = n
		}
		require.NoError(t, rows.Err())
		require.Equal(t, want, counts, step)
		for _, w := range []struct{ after, before time.Duration }{
			{0, 200 * time.Hour}, {90 * time.Minute, 50*time.Hour + 7*time.Minute}, {26*time.Hour + 31*time.Minute, 27 * time.Hour},
			{5 * time.Hour, 5*time.Hour + 40*time.Minute}, {47*time.Hour + 59*time.Minute, 96*time.Hour + time.Minute},
		} {
			for _, types := range [][]string{nil, {"T1", "T2"}} {
				f := &tc.TaskFilter{Tenant: "t1", Types: types, Limit: 1,
					CreatedAfter: start.Add(w.after), CreatedBefore: start.Add(w.before)}
				page, err := s.TaskList(ctx, f)
				require.NoError(t, err)
				want := 0
				q := `SELECT count(*) FROM tasks WHERE tenant = 't1' AND status <> 'REMOVED' AND created_at >= ? AND created_at < ?`
				args := []any{f.CreatedAfter.UnixMilli(), f.CreatedBefore.UnixMilli()}
				if types != nil {
					q += ` AND type IN ('T1', 'T2')`
				}
				require.NoError(t, s.wconn.QueryRowContext(ctx, q, args...).Scan(&want))
				require.Equal(t, want, page.Total, "%s: %+v, types %v", step, w, types)
			}
		}
	}
	check("migrated")
	write()
	check("deltas")
	require.NoError(t, s.TaskCountsCompact(ctx))
	check("folded")
	write()
	check("deltas after a fold")
}

// TestMigrationTaskClaims: 008 gives the tasks already stored 0 claims,
// whatever their attempts, and claims count from there.
func TestMigrationTaskClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, start := belowWithTasks(t, 8, `INSERT INTO tasks (tenant, type, status, attempts, lease_owner, created_at, updated_at)
		VALUES ('ta', 'T', 'RUNNING', 2, 'w', ?1, ?1), ('ta', 'T', 'INITIAL', 1, '', ?1, ?1)`)
	require.NoError(t, s.Migrate(ctx))
	running, err := s.TaskGet(ctx, "ta", 1)
	require.NoError(t, err)
	require.Zero(t, running.Claims)
	require.Equal(t, 2, running.Attempts)
	claimed, err := s.TaskClaim(ctx, &tc.TaskClaimParams{Tenant: "ta", WorkerID: "w", Max: 1, Lease: time.Minute,
		Now: time.UnixMilli(start).Add(time.Second)})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.Equal(t, int64(2), claimed[0].ID)
	require.Equal(t, int64(1), claimed[0].Claims)
	require.Equal(t, 2, claimed[0].Attempts)
}

// TestMigrationRemovedLinks: 011 copies the links of the tasks already
// removed, so an instance's count leaves them out from the start.
func TestMigrationRemovedLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := belowWithTasks(t, 11, `INSERT INTO tasks (tenant, type, status, instance_ids, created_at, updated_at)
		VALUES ('ta', 'T', 'SUCCEED', '["i1"]', ?1, ?1), ('ta', 'T', 'REMOVED', '["i1","i2"]', ?1, ?1),
			('ta', 'T', 'RUNNING', '["i2"]', ?1, ?1), ('tb', 'T', 'REMOVED', '["i1"]', ?1, ?1)`)
	_, err := s.wconn.ExecContext(ctx, `INSERT INTO task_instances (tenant, instance_id, task_id)
		SELECT t.tenant, j.value, t.id FROM tasks AS t, json_each(t.instance_ids) AS j`)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	var links int
	require.NoError(t, s.wconn.QueryRowContext(ctx, `SELECT count(*) FROM task_instances_removed`).Scan(&links))
	require.Equal(t, 3, links)
	for _, c := range []struct {
		tenant, instance string
		statuses         []tc.Status
		total            int
	}{
		{"ta", "i1", nil, 1}, {"ta", "i2", nil, 1}, {"tb", "i1", nil, 0},
		{"ta", "i1", []tc.Status{tc.StatusRemoved}, 1}, {"tb", "i1", []tc.Status{tc.StatusRemoved}, 1},
	} {
		for _, limit := range []int{0, 10} {
			page, err := s.TaskList(ctx, &tc.TaskFilter{Tenant: c.tenant, InstanceID: c.instance, Statuses: c.statuses, Limit: limit})
			require.NoError(t, err)
			require.Equal(t, c.total, page.Total, "%+v, limit %d", c, limit)
		}
	}
}

// TestMigrationQueueHolders: 013 marks the queue rows of the tasks that
// already hold their instances, and only those.
func TestMigrationQueueHolders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := belowWithTasks(t, 13, `INSERT INTO tasks (tenant, type, status, instance_ids, created_at, updated_at, exclusive)
		VALUES ('ta', 'T', 'RUNNING', '["i1"]', ?1, ?1, 1), ('ta', 'T', 'WAITING', '["i1","i2"]', ?1, ?1, 1),
			('ta', 'T', 'INITIAL', '["i3"]', ?1, ?1, 1), ('ta', 'T', 'WAITING', '["i3"]', ?1, ?1, 1)`)
	_, err := s.wconn.ExecContext(ctx, `INSERT INTO task_queue (tenant, instance_id, task_id)
		SELECT t.tenant, j.value, t.id FROM tasks AS t, json_each(t.instance_ids) AS j`)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	held := textRows(t, s, `SELECT instance_id || ':' || task_id FROM task_queue WHERE holds ORDER BY 1`)
	require.Equal(t, []string{"i1:1", "i3:3"}, held)
}

// TestMigrationEndStatus: 014 gives the tasks there are the status they
// ended in as end_status, an empty one to those that live, and lists by
// ended and by living statuses find them through it.
func TestMigrationEndStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, start := belowWithTasks(t, 14, `INSERT INTO tasks (tenant, type, status, instance_ids, created_at, updated_at)
		VALUES ('ta', 'T', 'SUCCEED', '[]', ?1, ?1), ('ta', 'T', 'RUNNING', '[]', ?1, ?1),
			('ta', 'T', 'REMOVED', '[]', ?1, ?1), ('ta', 'T', 'WAITING', '[]', ?1, ?1)`)
	require.NoError(t, s.Migrate(ctx))
	got := textRows(t, s, `SELECT status || ':' || end_status FROM tasks ORDER BY id`)
	require.Equal(t, []string{"SUCCEED:SUCCEED", "RUNNING:", "REMOVED:REMOVED", "WAITING:"}, got)
	for status, id := range map[tc.Status]int64{tc.StatusSucceed: 1, tc.StatusRunning: 2} {
		page, err := s.TaskList(ctx, &tc.TaskFilter{Tenant: "ta", Statuses: []tc.Status{status}, Limit: 5,
			CreatedAfter: time.UnixMilli(start - 1), CreatedBefore: time.UnixMilli(start + 1)})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1, status)
		require.Equal(t, id, page.Tasks[0].ID)
	}
}

// belowWithTasks returns a store migrated below version whose tasks insert
// wrote, with ?1 their time of creation, and that time.
func belowWithTasks(t *testing.T, version int, insert string) (*Store, int64) {
	t.Helper()
	s := migratedBelow(t, version)
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	_, err := s.wconn.ExecContext(context.Background(), insert, start)
	require.NoError(t, err)
	return s, start
}

// textRows returns the rows of query, one text column, read by the writer.
func textRows(t *testing.T, s *Store, query string) []string {
	t.Helper()
	rows, err := s.wconn.QueryContext(context.Background(), query)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		got = append(got, v)
	}
	require.NoError(t, rows.Err())
	return got
}

// TestMigrateRefusesNewerSchema: a database with a migration this build
// does not know was made by a later taskcenter, and is refused rather than
// used.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	_, err := s.wconn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '099_later.sql', 0)`)
	require.NoError(t, err)
	err = s.Migrate(ctx)
	require.ErrorContains(t, err, "migration 99")
	require.ErrorContains(t, err, "newer taskcenter")
}

// migratedBelow opens a new store with the migrations before version
// applied, as a store made by an earlier taskcenter would be.
func migratedBelow(t *testing.T, version int) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "taskcenter.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.wconn.ExecContext(ctx, createMigrationsTable)
	require.NoError(t, err)
	names, err := fs.Glob(migrations, "migration/*.sql")
	require.NoError(t, err)
	for _, name := range names {
		if v, err := migrationVersion(name); err == nil && v < version {
			require.NoError(t, s.applyMigration(ctx, name))
		}
	}
	return s
}

// TestForeignKeysIndexed: every foreign key's column leads an index, so the
// rows that a deleted task cascades to are found by key: a pruned task
// reads its own rows, not whole tables.
func TestForeignKeysIndexed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := migrated(t)
	rows, err := s.wconn.QueryContext(ctx, `SELECT m.name, f."from" FROM sqlite_schema AS m,
		pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table'`)
	require.NoError(t, err)
	type key struct{ table, column string }
	var keys []key
	for rows.Next() {
		var k key
		require.NoError(t, rows.Scan(&k.table, &k.column))
		keys = append(keys, k)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NotEmpty(t, keys)
	for _, k := range keys {
		plan := queryPlan(t, s, `DELETE FROM `+k.table+` WHERE `+k.column+` = 1`)
		require.Contains(t, plan, "USING", "%s.%s: %s", k.table, k.column, plan)
		require.NotContains(t, plan, "SCAN", "%s.%s: %s", k.table, k.column, plan)
	}
}
